"""The ids a log line carries besides its message: the request's, and the event's being handled.

A context variable, so each request and each consumed event (each is one task, or one step of
the consumer's task) has its own; ``service_runtime.logs`` writes them into every JSON line.
Only ids are bound here, never a value from a payload: logs must hold no personal data.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from types import MappingProxyType

from defense_schemas import Envelope

FIELDS = ("service", "request_id", "correlation_id", "causation_id", "event_id", "case_id")

_EMPTY: Mapping[str, str] = MappingProxyType({})
_bound: ContextVar[Mapping[str, str]] = ContextVar("defense_log_context", default=_EMPTY)


def current() -> Mapping[str, str]:
    """The ids bound where the caller runs."""
    return _bound.get()


@contextlib.contextmanager
def bound(**ids: object) -> Iterator[None]:
    """Adds ``ids`` (``None`` ones left out) to what log lines carry inside the block."""
    added = {name: str(value) for name, value in ids.items() if value is not None}
    token = _bound.set(MappingProxyType({**_bound.get(), **added}))
    try:
        yield
    finally:
        _bound.reset(token)


def envelope_ids(envelope: Envelope) -> dict[str, object]:
    """The ids of a consumed event, for :func:`bound`."""
    return {
        "event_id": envelope.event_id,
        "case_id": envelope.case_id,
        "correlation_id": envelope.correlation_id,
        "causation_id": envelope.causation_id,
    }
