"""W3C trace context through the outbox and Kafka, so one trace follows a request's events
across services (OpenTelemetry's API only; the service runtime picks the exporter).

- An outbox row gets the ``traceparent`` of the span it was written under (the request's, or
  the span of the consumed event that caused it) at write time, so the relay, which publishes
  later in a task of its own, carries the trace of what caused the event.
- The relay publishes each row in a producer span, child of the row's ``traceparent``, and
  sends its own span's ``traceparent`` in the message headers.
- The consumer handles each record in a consumer span, child of the record's ``traceparent``.

With tracing off (no tracer) nothing is recorded, and the incoming ``traceparent`` is passed on
unchanged, so a service without an exporter does not cut the trace of the others.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any
from uuid import UUID

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT = "traceparent"
TRACE_HEADERS = frozenset({TRACEPARENT, "tracestate"})
_PROPAGATOR = TraceContextTextMapPropagator()

# While a consumer applies a batch together, the span of each consumed event by its id: an
# event a handler publishes names its cause (``causation_id``), and carries the cause's trace.
_NO_CAUSES: Mapping[UUID, Context] = MappingProxyType({})
_cause_spans: ContextVar[Mapping[UUID, Context]] = ContextVar(
    "defense_cause_spans", default=_NO_CAUSES
)


def trace_headers(context: Context | None = None) -> list[list[str]]:
    """``[["traceparent", …]]`` (and ``tracestate`` when there is one) of ``context`` (the
    current one by default); empty when there is no span."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=context)
    return [[name, value] for name, value in carrier.items() if name in TRACE_HEADERS]


def headers_for_cause(causation_id: UUID | None) -> list[list[str]]:
    """The trace headers of an event caused by ``causation_id``: its cause's span when the
    consumer is applying that cause, else the current span's."""
    spans = _cause_spans.get()
    if causation_id is not None and causation_id in spans:
        return trace_headers(spans[causation_id])
    return trace_headers()


def context_from_headers(headers: Iterable[tuple[str, Any]] | None) -> Context:
    """The trace context a message's headers carry (an empty one when they carry none)."""
    carrier: dict[str, str] = {}
    for name, value in headers or ():
        if name in TRACE_HEADERS:
            text = value.decode("latin-1") if isinstance(value, bytes | bytearray) else str(value)
            carrier[name] = text
    return _PROPAGATOR.extract(carrier)


@contextlib.contextmanager
def causes(spans: Mapping[UUID, Context]) -> Iterator[None]:
    """Inside the block, events caused by these event ids carry their span (see above)."""
    token = _cause_spans.set(MappingProxyType({**_cause_spans.get(), **spans}))
    try:
        yield
    finally:
        _cause_spans.reset(token)


@contextlib.contextmanager
def span(
    tracer: trace.Tracer | None,
    name: str,
    *,
    parent: Context,
    kind: trace.SpanKind,
    attributes: Mapping[str, Any] | None = None,
) -> Iterator[trace.Span | None]:
    """A current span named ``name``, child of ``parent``; with no tracer, ``parent`` itself
    becomes current (its trace is passed on, nothing is recorded)."""
    if tracer is None:
        token = otel_context.attach(parent)
        try:
            yield None
        finally:
            otel_context.detach(token)
        return
    # Not the SDK's own exception event: it carries the message, which may quote the input
    # (the span is exported); the status names the type only.
    with tracer.start_as_current_span(
        name,
        context=parent,
        kind=kind,
        attributes=dict(attributes or {}),
        record_exception=False,
        set_status_on_exception=False,
    ) as current:
        try:
            yield current
        except BaseException as exc:
            current.set_status(trace.Status(trace.StatusCode.ERROR, type(exc).__name__))
            raise


def start_span(
    tracer: trace.Tracer | None,
    name: str,
    *,
    parent: Context,
    kind: trace.SpanKind,
    attributes: Mapping[str, Any] | None = None,
) -> tuple[trace.Span | None, Context]:
    """A span that is not made current (several at once: a batch), and the context to pass on
    (the span's, or ``parent`` when there is no tracer); the caller ends the span."""
    if tracer is None:
        return None, parent
    started = tracer.start_span(name, context=parent, kind=kind, attributes=dict(attributes or {}))
    return started, trace.set_span_in_context(started, parent)
