"""The aid center's own series: how long a notice waits for its lawyer.

The pipeline's targets are read off this histogram: an assignment within 100 ms of the notice
at the median and within 250 ms at the 99th percentile, on a quiet system; under load the
consumer's batches and lag show in it first. The buckets put edges on both targets.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import Histogram

from defense_schemas import Envelope
from service_runtime.observability import ServiceMetrics

NOTICE_TO_ASSIGNMENT = "notice_to_assignment_seconds"

NOTICE_EVENTS = ("DefenseNoticeSent", "NoticeSupplemented")
"""The events that put a notice before the center: the letter, or the supplement that makes it
complete. An assignment caused by one of them is timed from its ``occurred_at``."""

BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def notice_to_assignment(metrics: ServiceMetrics) -> Histogram:
    return metrics.histogram(
        NOTICE_TO_ASSIGNMENT,
        "From the notice event's occurred_at (the letter, or the supplement completing it) to "
        "the commit of the lawyer's assignment, by the event that triggered it",
        ("trigger",),
        buckets=BUCKETS,
    )


def declare(metrics: ServiceMetrics) -> None:
    """Every trigger's series from the start, at zero: a rate over an absent series is no
    data, not 0, and the alert would not see a first slow assignment's increase."""
    histogram = notice_to_assignment(metrics)
    for trigger in NOTICE_EVENTS:
        histogram.labels(trigger)


def observe_assignment(metrics: ServiceMetrics, notice: Envelope) -> None:
    """The notice was assigned and the transaction committed just now (the wall clock: the
    event's ``occurred_at`` is the producer's wall clock, not the use case's injected one)."""
    waited = (datetime.now(UTC) - notice.occurred_at).total_seconds()
    # A producer's clock ahead of ours would make it negative: the wait was nil, not less.
    notice_to_assignment(metrics).labels(notice.event_type).observe(max(waited, 0.0))
