"""What operators watch: consumer lag, and Prometheus metrics for requests, events and outbox.

Each app has its own ``CollectorRegistry`` (several apps may share a process in tests). Gauges
that need I/O (lag, outbox backlog) are refreshed when ``/metrics`` or ``/ops/lag`` is read, so
nothing polls Kafka or the database in the background.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from defense_messaging import KafkaConnection, MessagingTables
from service_runtime.route_match import route_of


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
        self._own_gauges: dict[str, Gauge] = {}
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
        self.outbox_parked = Counter(
            "outbox_parked_total",
            "Outbox rows the broker refused for good, parked by the relay",
            registry=self.registry,
        )
        self.outbox_parked_rows = Gauge(
            "outbox_parked_rows",
            "Parked outbox rows (see /ops/outbox/parked)",
            registry=self.registry,
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

    def gauge(self, name: str, documentation: str) -> Gauge:
        """A service's own gauge in this app's registry, made on first use."""
        gauge = self._own_gauges.get(name)
        if gauge is None:
            gauge = self._own_gauges[name] = Gauge(name, documentation, registry=self.registry)
        return gauge

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
                    ).where(outbox.c.published_at.is_(None), outbox.c.parked_at.is_(None))
                )
            ).one()
            parked = await conn.scalar(
                sa.select(sa.func.count()).where(
                    outbox.c.published_at.is_(None), outbox.c.parked_at.is_not(None)
                )
            )
            dead_count = await conn.scalar(
                sa.select(sa.func.count()).where(dead.c.replayed_at.is_(None))
            )
        self.outbox_pending.set(pending)
        self.outbox_parked_rows.set(parked or 0)
        self.outbox_oldest_age.set(float(oldest or 0))
        self.dead_letters.set(dead_count or 0)


def request_metrics_middleware(metrics: ServiceMetrics) -> Callable[[ASGIApp], ASGIApp]:
    """The request metrics around an app, for ``FastAPI.add_middleware``."""
    return functools.partial(RequestMetrics, metrics=metrics)


class RequestMetrics:
    """Counts each request and observes its latency up to the start of the response.

    Plain ASGI, not ``BaseHTTPMiddleware``: that one runs every request through a task group
    and memory streams, a cost paid on each request, ``/health`` included."""

    def __init__(self, app: ASGIApp, *, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                method = scope["method"]
                # The route template, not the raw path: ids must not explode the label space.
                route, _ = route_of(scope)
                self.metrics.requests.labels(method, route, str(message["status"])).inc()
                self.metrics.request_seconds.labels(method, route).observe(
                    time.perf_counter() - started
                )
            await send(message)

        await self.app(scope, receive, send_observed)


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
