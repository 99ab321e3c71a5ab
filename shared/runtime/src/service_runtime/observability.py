"""What operators watch: consumer lag, and Prometheus metrics for requests, events and outbox.

Each app has its own ``CollectorRegistry`` (several apps may share a process in tests), with the
standard process, platform and garbage-collector collectors. Every series the platform defines is
named ``defense_…``. The outbox gauges are read from the database when ``/metrics`` is scraped;
consumer lag is read by a :class:`LagMonitor` in the background on Kafka clients it keeps open,
so a scrape never opens a Kafka connection and a scrape's time does not depend on the broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from defense_messaging import KafkaConnection, MessagingTables
from service_runtime.route_match import route_of

log = logging.getLogger(__name__)

PREFIX = "defense_"
"""Every series the platform defines starts with this (the standard ``process_…``,
``python_…`` series keep their usual names)."""

LAG_READ_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed_offset: int | None
    """``None`` while the group has never committed on the partition."""
    end_offset: int
    lag: int


class ServiceMetrics:
    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self._own_gauges: dict[tuple[str, tuple[str, ...]], Gauge] = {}
        self._own_histograms: dict[str, Histogram] = {}
        self.info = Gauge(
            PREFIX + "service_info",
            "Always 1; names the service this process runs",
            ["service"],
            registry=self.registry,
        )
        self.info.labels(service).set(1)
        self.requests = Counter(
            PREFIX + "http_requests_total",
            "REST requests served",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            PREFIX + "http_request_duration_seconds",
            "REST request latency",
            ["method", "route"],
            registry=self.registry,
        )
        self.events = Counter(
            PREFIX + "events_handled_total",
            "Consumed events by type and outcome (applied, duplicate, dead_lettered, "
            "contract_violation)",
            ["event_type", "outcome"],
            registry=self.registry,
        )
        self.event_seconds = Histogram(
            PREFIX + "event_handling_duration_seconds",
            "Time to apply one consumed event, database commit included",
            ["event_type"],
            registry=self.registry,
        )
        self.outbox_published = Counter(
            PREFIX + "outbox_published_total",
            "Outbox rows published to Kafka",
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            PREFIX + "outbox_pending_rows", "Outbox rows not yet published", registry=self.registry
        )
        self.outbox_parked = Counter(
            PREFIX + "outbox_parked_total",
            "Outbox rows the broker refused for good, parked by the relay",
            registry=self.registry,
        )
        self.outbox_parked_rows = Gauge(
            PREFIX + "outbox_parked_rows",
            "Parked outbox rows (see /ops/outbox/parked)",
            registry=self.registry,
        )
        self.outbox_oldest_age = Gauge(
            PREFIX + "outbox_oldest_pending_age_seconds",
            "Age of the oldest unpublished outbox row (0 when none)",
            registry=self.registry,
        )
        self.dead_letters = Gauge(
            PREFIX + "dead_letters_pending",
            "Dead letters not yet replayed",
            registry=self.registry,
        )
        labels = ["group", "topic", "partition"]
        self.committed = Gauge(
            PREFIX + "kafka_consumer_committed_offset",
            "Committed offset (absent while the group has never committed on the partition)",
            labels,
            registry=self.registry,
        )
        self.end = Gauge(
            PREFIX + "kafka_topic_end_offset", "Log end offset", labels, registry=self.registry
        )
        self.lag = Gauge(
            PREFIX + "kafka_consumer_lag",
            "Messages not yet consumed: end offset minus committed offset (minus the first "
            "offset still in the log when nothing was committed)",
            labels,
            registry=self.registry,
        )
        self.lag_error = Gauge(
            PREFIX + "kafka_lag_error",
            "1 when the last lag reading failed (the lag series are then absent, not stale), "
            "else 0",
            registry=self.registry,
        )
        self.loop_up = Gauge(
            PREFIX + "loop_up",
            "1 while the loop (relay, consumer) runs and goes round, 0 when it died or is stuck "
            "(then /health fails)",
            ["loop"],
            registry=self.registry,
        )
        self.relay_failing = Gauge(
            PREFIX + "outbox_relay_failing_seconds",
            "How long the relay has failed every batch (0 while batches go out)",
            registry=self.registry,
        )
        self.ready = Gauge(
            PREFIX + "ready",
            "The last /ready answer: 1 ready, 0 not (absent until /ready is first asked)",
            registry=self.registry,
        )
        self.ready_transitions = Counter(
            PREFIX + "ready_transitions_total",
            "Changes of the /ready answer between ready and not ready",
            registry=self.registry,
        )
        self._last_ready: bool | None = None
        self.lag_read_at = Gauge(
            PREFIX + "kafka_lag_last_success_timestamp_seconds",
            "When the lag was last read successfully (Unix time; 0 before the first reading)",
            registry=self.registry,
        )

    def clear_lag(self) -> None:
        """Export no lag: another replica of the group does (:class:`LagExporter`)."""
        for gauge in (self.committed, self.end, self.lag):
            gauge.clear()
        self.lag_error.set(0)

    def gauge(self, name: str, documentation: str, labels: tuple[str, ...] = ()) -> Gauge:
        """A service's own gauge in this app's registry, made on first use (``name`` without
        the ``defense_`` prefix, which is added)."""
        gauge = self._own_gauges.get((name, labels))
        if gauge is None:
            gauge = self._own_gauges[(name, labels)] = Gauge(
                PREFIX + name, documentation, labels, registry=self.registry
            )
        return gauge

    def histogram(
        self,
        name: str,
        documentation: str,
        labels: tuple[str, ...] = (),
        *,
        buckets: tuple[float, ...],
    ) -> Histogram:
        """A service's own histogram in this app's registry, made on first use (``name``
        without the ``defense_`` prefix)."""
        histogram = self._own_histograms.get(name)
        if histogram is None:
            histogram = self._own_histograms[name] = Histogram(
                PREFIX + name, documentation, labels, registry=self.registry, buckets=buckets
            )
        return histogram

    def record_liveness(self, checks: dict[str, str], relay_failing_seconds: float) -> None:
        """What ``/health`` would say of each loop, as gauges (no I/O)."""
        for loop, state in checks.items():
            self.loop_up.labels(loop).set(1 if state == "ok" else 0)
        self.relay_failing.set(relay_failing_seconds)

    def record_readiness(self, ready: bool) -> None:
        """Each ``/ready`` answer; a change from the previous one is counted, so a readiness
        that flaps between probes shows even when scrapes miss it."""
        if self._last_ready is not None and self._last_ready != ready:
            self.ready_transitions.inc()
        self._last_ready = ready
        self.ready.set(1 if ready else 0)

    def observe_event(self, event_type: str, outcome: str, seconds: float) -> None:
        self.events.labels(event_type, outcome).inc()
        self.event_seconds.labels(event_type).observe(seconds)

    def record_lag(self, lags: list[PartitionLag]) -> None:
        """A successful reading replaces the previous one whole (a partition no longer read
        leaves no series behind)."""
        for gauge in (self.committed, self.end, self.lag):
            gauge.clear()
        for item in lags:
            labels = (item.group, item.topic, str(item.partition))
            # Never committed: no committed-offset sample rather than a made-up -1.
            if item.committed_offset is not None:
                self.committed.labels(*labels).set(item.committed_offset)
            self.end.labels(*labels).set(item.end_offset)
            self.lag.labels(*labels).set(item.lag)
        self.lag_error.set(0)
        self.lag_read_at.set(time.time())

    def record_lag_error(self) -> None:
        """The reading failed: say so, and show no lag rather than the last one, which would
        look current."""
        for gauge in (self.committed, self.end, self.lag):
            gauge.clear()
        self.lag_error.set(1)

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


class LagExporter:
    """Decides which replica exports its consumer group's lag gauges: the one holding a
    session-level advisory lock named after the group, on a connection of its own.

    Every replica of a service is in the same group and would otherwise export the same
    committed and end offsets, so a dashboard's ``sum`` counted the lag once per replica. The
    lock goes with its connection: when the holder dies or loses its database, the next replica
    scraped takes it. (``/ops/lag`` still answers in every replica: it is a question, not a
    metric.)"""

    def __init__(self, engine: AsyncEngine, group: str) -> None:
        self._engine = engine
        self._key = f"defense-lag-exporter:{group}"
        self._connection: AsyncConnection | None = None
        self._guard = asyncio.Lock()

    async def holds(self) -> bool:
        """Whether this replica exports the lag (taking the lock if it is free)."""
        async with self._guard:
            if self._connection is not None:
                try:
                    await self._connection.execute(sa.select(1))
                    await self._connection.commit()
                    return True
                except Exception:  # the connection (and with it the lock) is gone
                    await self._drop()
            connection = await self._engine.connect()
            try:
                taken = await connection.scalar(
                    sa.select(sa.func.pg_try_advisory_lock(sa.func.hashtextextended(self._key, 0)))
                )
                await connection.commit()
            except BaseException:
                await connection.close()
                raise
            if taken:
                self._connection = connection
                return True
            await connection.close()
            return False

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.invalidate()
            with contextlib.suppress(Exception):
                await connection.close()

    async def close(self) -> None:
        """Give the lock up. Closing the connection alone would not: the pool keeps the
        server session, and the lock with it, for whoever checks the connection out next."""
        async with self._guard:
            connection, self._connection = self._connection, None
            if connection is None:
                return
            try:
                await connection.scalar(
                    sa.select(sa.func.pg_advisory_unlock(sa.func.hashtextextended(self._key, 0)))
                )
                await connection.commit()
                await connection.close()
            except Exception:
                with contextlib.suppress(Exception):
                    await connection.invalidate()  # closes the server session, and the lock
                with contextlib.suppress(Exception):
                    await connection.close()


class LagMonitor:
    """Reads a consumer group's lag on Kafka clients it keeps open, and keeps the metrics'
    lag series current from a background loop.

    A reading that fails marks the lag as an error (``defense_kafka_lag_error``) instead of
    leaving the last values up, and drops the clients, so the next reading starts them afresh
    (the broker may have moved); otherwise no reading opens a connection."""

    def __init__(
        self,
        connection: KafkaConnection,
        group: str,
        topics: list[str],
        metrics: ServiceMetrics,
        *,
        timeout: float = LAG_READ_TIMEOUT_SECONDS,
        exporter: LagExporter | None = None,
    ) -> None:
        self.connection = connection
        self.exporter = exporter
        """Decides whether this replica's readings go into the metrics (one replica per group:
        the others would export the same series); ``None``: always."""
        self.group = group
        self.topics = topics
        self.metrics = metrics
        self.timeout = timeout
        self._admin: AIOKafkaAdminClient | None = None
        self._probe: AIOKafkaConsumer | None = None
        # One reading at a time: the background loop and /ops/lag share the clients.
        self._lock = asyncio.Lock()
        self.clients_started = 0
        """How many times the clients were (re)started: once, unless readings failed."""

    async def read(self) -> list[PartitionLag]:
        """A fresh reading (recorded in the metrics); raises when Kafka does not answer in time,
        after recording the error."""
        exports = await self._exports()
        async with self._lock:
            try:
                lags = await asyncio.wait_for(self._read(), timeout=self.timeout)
            except BaseException:
                if exports:
                    self.metrics.record_lag_error()
                await self._close_clients()
                raise
        if exports:
            self.metrics.record_lag(lags)
        else:
            self.metrics.clear_lag()
        return lags

    async def _exports(self) -> bool:
        if self.exporter is None:
            return True
        try:
            return await self.exporter.holds()
        except Exception as exc:  # no database: this replica cannot know, so it stays quiet
            log.warning("lag exporter lock of %s unavailable: %r", self.group, exc)
            return False

    async def run(self, interval: float) -> None:
        """Reads every ``interval`` seconds until cancelled; a failure is logged and shown by
        the error gauge, and the loop goes on."""
        try:
            while True:
                # First wait: a starting service has its consumer to join and its probes to
                # answer; the lag can come a round later (/ops/lag reads at once anyway).
                await asyncio.sleep(interval)
                try:
                    if await self._exports():
                        await self.read()
                    else:  # another replica reads and exports it; nothing to ask Kafka
                        self.metrics.clear_lag()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("consumer lag of %s unreadable: %r", self.group, exc)
        finally:
            await self.close()

    async def close(self) -> None:
        async with self._lock:
            await self._close_clients()
        if self.exporter is not None:
            await self.exporter.close()

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None or self._probe is None:
            admin = AIOKafkaAdminClient(**self.connection.options("lag-admin"))
            probe = AIOKafkaConsumer(enable_auto_commit=False, **self.connection.options("lag"))
            self._admin, self._probe = admin, probe
            self.clients_started += 1
            await admin.start()
            await probe.start()
        return self._admin, self._probe

    async def _close_clients(self) -> None:
        admin, probe = self._admin, self._probe
        self._admin = self._probe = None
        with contextlib.suppress(Exception):
            if probe is not None:
                await asyncio.wait_for(probe.stop(), timeout=self.timeout)
        with contextlib.suppress(Exception):
            if admin is not None:
                await asyncio.wait_for(admin.close(), timeout=self.timeout)

    async def _read(self) -> list[PartitionLag]:
        admin, probe = await self._clients()
        partitions = [
            TopicPartition(topic["topic"], partition["partition"])
            for topic in await admin.describe_topics(self.topics)
            for partition in topic["partitions"]
        ]
        committed = await admin.list_consumer_group_offsets(self.group, partitions=partitions)
        ends = await probe.end_offsets(partitions)
        starts = await probe.beginning_offsets(partitions)
        result = []
        for tp in sorted(partitions):
            offset = committed.get(tp)
            position = offset.offset if offset is not None and offset.offset >= 0 else None
            # Never committed: everything still in the log is waiting.
            lag = ends[tp] - (position if position is not None else starts[tp])
            result.append(
                PartitionLag(self.group, tp.topic, tp.partition, position, ends[tp], max(lag, 0))
            )
        return result
