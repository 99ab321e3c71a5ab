"""The aid center's refusals, as the domain and the use cases raise them.

They know nothing of HTTP or of the consumer: ``aid_center.errors`` maps each kind once, to the
status code and body of the project's conventions for a route and to a permanent (dead-lettered)
failure for a consumed event."""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """A command the rules refuse. ``kind`` says how the edges report it."""

    kind: ClassVar[str] = "conflict"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class StateConflict(DomainError):
    """Well-formed, but the state of the request, the assignment or the roster forbids it
    (HTTP 409)."""

    kind = "conflict"


class RuleViolation(DomainError):
    """Input only the domain can tell is wrong (HTTP 400)."""

    kind = "invalid_input"


class NotKnown(DomainError):
    """The command names something the center does not hold (HTTP 404)."""

    kind = "not_found"

    def __init__(self, what: str, identifier: object, *, message: str | None = None) -> None:
        super().__init__(message or f"{what} {identifier} not found")
