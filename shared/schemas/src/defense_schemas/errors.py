"""Contract violations: why a message does not meet its event contract.

Consumers dead-letter on `ContractViolation` (any subclass): the message can never become valid
by retrying, so it goes to `<topic>.dlq` with `str(error)` as the reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError


class ContractViolation(ValueError):
    """A message breaks its contract. `field` names the first field at fault ("payload.x")."""

    def __init__(
        self,
        problems: Sequence[tuple[str, str]],
        *,
        event_type: str | None = None,
        schema_version: int | None = None,
    ) -> None:
        if not problems:
            raise ValueError("a contract violation needs at least one problem")
        self.problems: tuple[tuple[str, str], ...] = tuple(problems)
        self.event_type = event_type
        self.schema_version = schema_version
        where = f"{event_type} v{schema_version}: " if event_type is not None else ""
        super().__init__(where + "; ".join(f"{field}: {reason}" for field, reason in problems))

    @property
    def field(self) -> str:
        """The (first) field at fault, as a dotted path: `payload.suspects[0].name`."""
        return self.problems[0][0]

    @property
    def reason(self) -> str:
        """What is wrong with `field`."""
        return self.problems[0][1]

    @classmethod
    def from_validation_error(
        cls,
        error: ValidationError,
        *,
        prefix: str = "",
        event_type: str | None = None,
        schema_version: int | None = None,
    ) -> ContractViolation:
        """Translate pydantic's errors, naming each field by its path under `prefix`."""
        problems = [(field_path(err["loc"], prefix=prefix), err["msg"]) for err in error.errors()]
        return cls(problems, event_type=event_type, schema_version=schema_version)


class UnknownEventType(ContractViolation):
    """No event is registered for the envelope's (event_type, schema_version)."""


class InvalidEvent(ContractViolation):
    """A registered event whose payload (or envelope) fails validation."""


class InvalidEnvelope(InvalidEvent):
    """The bytes are not JSON, or not an envelope: a field is missing, malformed or unknown."""


def field_path(loc: Sequence[int | str], *, prefix: str = "") -> str:
    """`("suspects", 0, "name")` → `suspects[0].name`; the empty path is the prefix or `<root>`."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path or "<root>"
