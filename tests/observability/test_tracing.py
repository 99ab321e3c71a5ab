"""One trace follows a suspect's events across the services: the request's server span, the
relay's producer span of each event it caused, the consuming service's consumer span, and on
to the notifier's sending of the message (OpenTelemetry, spans collected in memory)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from service_runtime import tracing
from tests.e2e.platform import running_platform
from tests.e2e.test_workflow import _minor_declining_counsel, _roster
from tests.infrastructure import eventually


def _service(span: ReadableSpan) -> str:
    return str(span.resource.attributes["service.name"])


def _consumed(spans: Sequence[ReadableSpan], service: str, event_type: str) -> ReadableSpan | None:
    return next(
        (
            s
            for s in spans
            if s.kind is SpanKind.CONSUMER
            and _service(s) == service
            and s.attributes is not None
            and s.attributes.get("defense.event_type") == event_type
        ),
        None,
    )


def _deliveries(spans: Sequence[ReadableSpan], event_type: str) -> list[ReadableSpan]:
    return [
        s
        for s in spans
        if s.kind is SpanKind.CLIENT
        and _service(s) == "notifier"
        and s.name.startswith("deliver ")
        and s.attributes is not None
        and s.attributes.get("defense.event_type") == event_type
    ]


def _ancestry(span: ReadableSpan, spans: Sequence[ReadableSpan]) -> list[tuple[str, str, str]]:
    """``(service, kind, name)`` from ``span`` up to its root, through parent links alone."""
    by_id = {s.context.span_id: s for s in spans}
    chain = []
    current: ReadableSpan | None = span
    while current is not None:
        assert current.context.trace_id == span.context.trace_id
        chain.append((_service(current), current.kind.name, current.name))
        current = by_id.get(current.parent.span_id) if current.parent else None
    return chain


@pytest.mark.integration
async def test_a_trace_runs_from_the_request_to_the_notifier_across_three_services(
    service_settings: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    exporter = InMemorySpanExporter()
    # As if every service had its OTLP endpoint set; the spans stay in this process.
    monkeypatch.setattr(
        tracing, "span_processors", lambda settings: [SimpleSpanProcessor(exporter)]
    )
    async with running_platform(service_settings, "traced") as platform:
        await _roster(platform.aid_center)
        await _minor_declining_counsel(
            platform.procuratorate.client,
            decided_at="2026-03-03T11:00:00+08:00",
            materials=["起诉意见书"],
        )

        async def notifier_told_the_lawyer() -> bool:
            return bool(_deliveries(exporter.get_finished_spans(), "LawyerAssigned"))

        await eventually(notifier_told_the_lawyer, what="the notifier's delivery span")
    spans = exporter.get_finished_spans()

    assignment = _consumed(spans, "notifier", "LawyerAssigned")
    assert assignment is not None
    procuratorate_topic = platform.procuratorate.settings.topic_procuratorate
    aid_center_topic = platform.aid_center.settings.topic_aid_center
    decision_route = "POST /cases/{case_id}/suspects/{suspect_id}/defense-decision"
    assert _ancestry(assignment, spans) == [
        ("notifier", "CONSUMER", f"{aid_center_topic} process"),
        ("aid-center", "PRODUCER", f"{aid_center_topic} publish"),
        ("aid-center", "CONSUMER", f"{procuratorate_topic} process"),
        ("procuratorate", "PRODUCER", f"{procuratorate_topic} publish"),
        ("procuratorate", "SERVER", decision_route),
    ]
    # The worker sends the messages later, from a task of its own, in the same trace.
    told = _deliveries(spans, "LawyerAssigned")
    assert told
    for delivery in told:
        assert _ancestry(delivery, spans) == [
            ("notifier", "CLIENT", delivery.name),
            *_ancestry(assignment, spans),
        ]
    # The case's receipt: from POST /cases to the notifier, which starts its clocks.
    received = _consumed(spans, "notifier", "CaseReceived")
    assert received is not None
    assert _ancestry(received, spans) == [
        ("notifier", "CONSUMER", f"{procuratorate_topic} process"),
        ("procuratorate", "PRODUCER", f"{procuratorate_topic} publish"),
        ("procuratorate", "SERVER", "POST /cases"),
    ]


def test_an_outbox_rows_traceparent_stays_clear_and_a_tracestate_is_sealed() -> None:
    from service_runtime.security.fields import FieldCipher, generate_key
    from service_runtime.security.personal import OutboxSealer

    sealer = OutboxSealer(FieldCipher({"k1": generate_key()}, "k1", generate_key()))
    traced = [
        ["event_type", "CaseReceived"],
        ["producer", "procuratorate"],
        ["traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"],
    ]
    assert sealer.seal(1, b"{}", traced)[1] == traced
    with_state = [*traced, ["tracestate", "vendor=anything"]]
    _, stored = sealer.seal(2, b"{}", with_state)
    assert isinstance(stored, str) and "anything" not in stored
    assert sealer.open(2, b"{}", stored)[1] == with_state


async def test_with_tracing_off_an_incoming_traceparent_passes_through_unchanged() -> None:
    from defense_messaging.tracing import context_from_headers, span, trace_headers

    incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    parent = context_from_headers([("traceparent", incoming.encode())])
    with span(None, "x", parent=parent, kind=SpanKind.CONSUMER):
        assert trace_headers() == [["traceparent", incoming]]
    assert trace_headers() == []
