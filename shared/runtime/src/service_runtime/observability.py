"""What operators watch: consumer lag, and Prometheus metrics for requests, events and outbox.

Each app has its own ``CollectorRegistry`` (several apps may share a process in tests). Gauges
that need I/O (lag, outbox backlog) are refreshed when ``/metrics`` or ``/ops/lag`` is read, so
nothing polls Kafka or the database in the background.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from fastapi import Request, Response
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy.ext.asyncio import AsyncEngine

from defense_messaging import KafkaConnection, MessagingTables


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed_offset: int | None
    end_offset: int
    lag: int


class ServiceMetrics:
    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "REST requests served",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "http_request_duration_seconds",
            "REST request latency",
            ["method", "route"],
            registry=self.registry,
        )
        self.events = Counter(
            "events_handled_total",
            "Consumed events by type and outcome (applied, duplicate, dead_lettered)",
            ["event_type", "outcome"],
            registry=self.registry,
        )
        self.event_seconds = Histogram(
            "event_handling_duration_seconds",
            "Time to apply one consumed event, database commit included",
            ["event_type"],
            registry=self.registry,
        )
        self.outbox_published = Counter(
            "outbox_published_total", "Outbox rows published to Kafka", registry=self.registry
        )
        self.outbox_pending = Gauge(
            "outbox_pending_rows", "Outbox rows not yet published", registry=self.registry
        )
        self.outbox_oldest_age = Gauge(
            "outbox_oldest_pending_age_seconds",
            "Age of the oldest unpublished outbox row (0 when none)",
            registry=self.registry,
        )
        self.dead_letters = Gauge(
            "dead_letters_pending", "Dead letters not yet replayed", registry=self.registry
        )
        labels = ["group", "topic", "partition"]
        self.committed = Gauge(
            "kafka_consumer_committed_offset", "Committed offset", labels, registry=self.registry
        )
        self.end = Gauge("kafka_topic_end_offset", "Log end offset", labels, registry=self.registry)
        self.lag = Gauge(
            "kafka_consumer_lag",
            "End offset minus committed offset",
            labels,
            registry=self.registry,
        )

    def observe_event(self, event_type: str, outcome: str, seconds: float) -> None:
        self.events.labels(event_type, outcome).inc()
        self.event_seconds.labels(event_type).observe(seconds)

    def record_lag(self, lags: list[PartitionLag]) -> None:
        for item in lags:
            labels = (item.group, item.topic, str(item.partition))
            self.committed.labels(*labels).set(
                -1 if item.committed_offset is None else item.committed_offset
            )
            self.end.labels(*labels).set(item.end_offset)
            self.lag.labels(*labels).set(item.lag)

    async def refresh_outbox(self, engine: AsyncEngine, tables: MessagingTables) -> None:
        outbox, dead = tables.outbox, tables.dead_letters
        async with engine.connect() as conn:
            pending, oldest = (
                await conn.execute(
                    sa.select(
                        sa.func.count(),
                        sa.func.extract("epoch", sa.func.now() - sa.func.min(outbox.c.created_at)),
                    ).where(outbox.c.published_at.is_(None))
                )
            ).one()
            dead_count = await conn.scalar(
                sa.select(sa.func.count()).where(dead.c.replayed_at.is_(None))
            )
        self.outbox_pending.set(pending)
        self.outbox_oldest_age.set(float(oldest or 0))
        self.dead_letters.set(dead_count or 0)


def request_metrics_middleware(
    metrics: ServiceMetrics,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    async def middleware(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        # The route template, not the raw path: ids must not explode the label space.
        route = getattr(request.scope.get("route"), "path", "unmatched")
        metrics.requests.labels(request.method, route, str(response.status_code)).inc()
        metrics.request_seconds.labels(request.method, route).observe(time.perf_counter() - started)
        return response

    return middleware


async def consumer_lag(
    connection: KafkaConnection, group: str, topics: list[str]
) -> list[PartitionLag]:
    """Committed offset, end offset and lag of ``group`` on every partition of ``topics``."""
    admin = AIOKafkaAdminClient(**connection.options())
    probe = AIOKafkaConsumer(enable_auto_commit=False, **connection.options())
    await admin.start()
    await probe.start()
    try:
        partitions = [
            TopicPartition(topic["topic"], partition["partition"])
            for topic in await admin.describe_topics(topics)
            for partition in topic["partitions"]
        ]
        committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
        ends = await probe.end_offsets(partitions)
        starts = await probe.beginning_offsets(partitions)
        result = []
        for tp in sorted(partitions):
            offset = committed.get(tp)
            position = offset.offset if offset is not None and offset.offset >= 0 else None
            # Never committed: everything still in the log is waiting.
            lag = ends[tp] - (position if position is not None else starts[tp])
            result.append(
                PartitionLag(group, tp.topic, tp.partition, position, ends[tp], max(lag, 0))
            )
        return result
    finally:
        await probe.stop()
        await admin.close()
