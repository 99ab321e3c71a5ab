"""The ids a log line carries besides its message: the request's, and the event's being handled.

A context variable, so each request and each consumed event (each is one task, or one step of
the consumer's task) has its own; ``service_runtime.logs`` writes them into every JSON line.
Only ids are bound here, never a value from a payload: logs must hold no personal data.
"""

from __future__ import annotations

import contextlib
import traceback
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


def redacted(exc: BaseException) -> str:
    """An exception for a log line: its type and how long its message was, not the message.

    A parser's or a library's message may quote the input it choked on (a name, a phone
    number); the full text is kept only where personal data may be: the sealed dead letter."""
    message = str(exc)
    kind = f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins.")
    return f"{kind} [message withheld: {len(message)} characters]" if message else kind


def redacted_traceback(exc: BaseException) -> str:
    """The traceback as ``logging`` writes it, each exception of the chain (causes and
    contexts) reduced to :func:`redacted`: the frames say where it failed, never with what.
    Frames name files, lines and functions only (locals are not captured)."""
    chain = _chain(exc)
    out: list[str] = []
    for index, current in enumerate(chain):
        if index:
            out.append(
                "\nThe above exception was the direct cause of the following exception:\n\n"
                if current.__cause__ is chain[index - 1]
                else "\nDuring handling of the above exception, another exception occurred:\n\n"
            )
        frames = "".join(
            traceback.StackSummary.extract(traceback.walk_tb(current.__traceback__)).format()
        )
        out.append("Traceback (most recent call last):\n" + frames + redacted(current) + "\n")
    return "".join(out).rstrip("\n")


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what led to it, oldest first (as ``logging`` prints them)."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        if current.__cause__ is not None:
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            current = current.__context__
        else:
            current = None
    return chain[::-1]
