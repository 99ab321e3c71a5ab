"""Builds a service process: FastAPI app, database, migrations, topics, outbox relay, consumer.

Every service is the same shape; what differs is given in a :class:`ServiceDefinition`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable, Collection, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, Depends, FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from defense_messaging import (
    EventApplier,
    EventConsumer,
    EventPublisher,
    Handler,
    KafkaConnection,
    MessagingTables,
    Outbox,
    OutboxRelay,
    as_applier,
)
from defense_messaging.dead_letters import DEAD_LETTER_SEALER
from defense_messaging.log_context import bound, redacted
from defense_messaging.log_limits import limit_client_logging
from defense_messaging.outbox import OUTBOX_SEALER
from defense_messaging.topics import TopicsMissing, ensure_topics
from defense_schemas import BaseEvent
from defense_schemas.topics import Producer, TopicPolicy
from legal_calendar import LegalCalendar
from service_runtime.calendar_events import CalendarFollower, CalendarRole
from service_runtime.calendar_store import load_calendar
from service_runtime.calendar_watch import watch_calendar
from service_runtime.database import create_engine, session_factory
from service_runtime.docs import install_docs
from service_runtime.errors import install_error_handlers
from service_runtime.idempotency import document_idempotency, idempotency
from service_runtime.migrations import upgrade_to_head
from service_runtime.observability import (
    LagExporter,
    LagMonitor,
    ServiceMetrics,
    request_metrics_middleware,
)
from service_runtime.openapi import API_VERSION, install_openapi, operation_ids
from service_runtime.request_context import request_context_middleware
from service_runtime.request_guards import reject_unstorable_parameters, request_guard
from service_runtime.security.audit_anchor import anchor_periodically
from service_runtime.security.audit_http import audit_middleware
from service_runtime.security.defaults import check_local_defaults
from service_runtime.security.fields import FieldCipher
from service_runtime.security.personal import DeadLetterSealer, OutboxSealer
from service_runtime.security.tokens import TokenVerifier
from service_runtime.settings import ServiceSettings
from service_runtime.shutdown import ShutdownState
from service_runtime.tables import PlatformTables
from service_runtime.tracing import tracer_of, tracer_provider
from service_runtime.unit_of_work import Clock, UnitOfWork, open_unit_of_work, utc_now

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """The live parts of one service process, shared by its routes and handlers."""

    definition: ServiceDefinition
    settings: ServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    outbox: Outbox
    publisher: EventPublisher
    producer: AIOKafkaProducer
    calendar: LegalCalendar
    metrics: ServiceMetrics
    cipher: FieldCipher
    """The service's field cipher for personal data (``UnitOfWork.cipher``)."""
    clock: Clock = utc_now
    """The time now for use cases and handlers (``UnitOfWork.clock``); a test may replace it."""
    tracing: TracerProvider | None = None
    """The service's tracer provider; None while tracing is off (service_runtime.tracing)."""
    relay: OutboxRelay | None = None
    consumer: EventConsumer | None = None
    lag: LagMonitor | None = None
    """Reads the consumer group's lag (``/ops/lag``, the lag metrics); none without a consumer."""
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    background_tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def tables(self) -> MessagingTables:
        return self.definition.tables.messaging

    @property
    def kafka(self) -> KafkaConnection:
        """The service's Kafka connection, its clients named after the service and replica."""
        return kafka_connection(self.definition, self.settings)

    def unit_of_work(self) -> contextlib.AbstractAsyncContextManager[Any]:
        """A new transaction as the service's unit of work (committed when the block ends,
        rolled back when it raises)."""
        return open_unit_of_work(self)

    async def reload_calendar(self) -> None:
        """Re-read the legal calendar after an operator's upload."""
        async with self.sessions() as session:
            self.calendar = await load_calendar(session, self.definition.tables.legal_calendar)


@dataclass
class ServiceDefinition:
    """What makes one service different from the others."""

    name: str
    """Service name: the event producer id, the consumer group, the outbox channel."""
    migrations_dir: Path
    metadata: sa.MetaData
    tables: PlatformTables
    own_topic: Callable[[ServiceSettings], str]
    consumed_topics: Callable[[ServiceSettings], list[str]]
    handlers: Callable[[Runtime], Mapping[type[BaseEvent], Handler] | EventApplier]
    """How consumed events are applied: a handler per event class, or an applier that takes a
    transaction's events together (defense_messaging.EventApplier)."""
    routers: list[APIRouter] = field(default_factory=list)
    title: str = ""
    description: str = ""
    background: Callable[[Runtime], list[Coroutine[Any, Any, None]]] | None = None
    """Extra long-running tasks of the service (workers, scanners): started after the
    consumer, cancelled before it stops. Each must keep its work in database transactions, so
    a cancellation mid-way rolls back and the work is picked up again."""
    audited: bool = False
    """Every API request is written to the hash-chained ``audit_log`` (its migrations must
    create it: ``service_runtime.security.audit.create_audit_log``)."""
    personal_fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Route template → the personal-data fields it exposes or changes, for the audit log."""
    install_domain_errors: Callable[[FastAPI], None] | None = None
    """Registers the service's mapping of its domain errors to HTTP responses. It belongs to the
    definition, not to one factory, so the app that ``python -m <service>`` serves and the app
    the tests build answer alike."""
    unit_of_work: type[UnitOfWork[Any]] = UnitOfWork
    """The unit of work its routes and handlers get: :class:`UnitOfWork` or the service's
    subclass of it (service_runtime.unit_of_work)."""
    refresh_metrics: Callable[[Runtime], Coroutine[Any, Any, None]] | None = None
    """Sets the service's own gauges (``runtime.metrics.gauge``) before each ``/metrics``
    scrape, as the shared outbox gauges are."""
    operation_ids: Mapping[str, str] = field(default_factory=dict)
    """``"METHOD /path"`` → operationId, where the route function's name does not read as
    the action (service_runtime.openapi.operation_ids)."""
    operation_descriptions: Mapping[str, str] = field(default_factory=dict)
    """``"METHOD /path"`` → the operation's description in the OpenAPI document, for routes
    that give none themselves."""
    api_version: str = API_VERSION
    """The API's version (``info.version``), as service_runtime.openapi.API_VERSION says."""
    on_calendar_changed: Callable[[Runtime], Coroutine[Any, Any, None]] | None = None
    declare_metrics: Callable[[ServiceMetrics], None] | None = None
    """Makes the service's own series when the app is built (``metrics.gauge``,
    ``metrics.histogram``), so they are in ``/metrics`` from the first scrape, at zero."""
    """Recompute what a calendar change settles (provisional deadlines); run in every replica
    after it has re-read the calendar (service_runtime.calendar_watch)."""
    calendar: CalendarRole = CalendarRole.LOCAL
    """Where its legal calendar comes from: loaded here and published (the owner), from the
    owner's events (a follower), or loaded here only (service_runtime.calendar_events)."""


def kafka_connection(definition: ServiceDefinition, settings: ServiceSettings) -> KafkaConnection:
    """The settings' connection with client ids ``<service>-<replica>[-<role>]``: on the
    brokers (request logs, quotas, the group's member list) every replica's clients are told
    apart; the default was ``aiokafka-<version>`` for all of them."""
    return dataclasses.replace(settings.kafka, client_id=f"{definition.name}-{settings.replica_id}")


def build_app(definition: ServiceDefinition, settings: ServiceSettings) -> FastAPI:
    metrics = ServiceMetrics(definition.name)
    if definition.declare_metrics is not None:
        definition.declare_metrics(metrics)
    shutdown = ShutdownState()
    tracing = tracer_provider(definition.name, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # An app whose lifespan runs again (an ASGI test client restarts it between tests) is
        # ready again: the drain belonged to the lifespan that ended.
        shutdown.end()
        runtime = await start_runtime(definition, settings, metrics, tracing)
        app.state.runtime = runtime
        try:
            yield
        finally:
            shutdown.begin()  # not ready from here on, whoever stopped the app
            await stop_runtime(runtime)

    app = FastAPI(
        title=definition.title or definition.name,
        description=definition.description,
        version=definition.api_version,
        generate_unique_id_function=operation_ids(definition.operation_ids),
        lifespan=lifespan,
        dependencies=[Depends(reject_unstorable_parameters)],
        docs_url=None,  # install_docs: the pages without a CDN
        redoc_url=None,
    )
    app.state.shutdown = shutdown
    install_error_handlers(app)
    install_openapi(app, definition.operation_descriptions)
    install_docs(app)
    if definition.install_domain_errors is not None:
        definition.install_domain_errors(app)
    # A broker outage makes the Kafka client log the same errors thousands of times a second.
    limit_client_logging()
    # Built here, not in the lifespan: a bad key configuration fails at once, at build time.
    app.state.token_verifier = TokenVerifier.from_settings(settings)
    FieldCipher.from_settings(settings)  # likewise for the personal-data keys
    if defaults := check_local_defaults(settings, definition.name):
        log.warning(
            "%s runs with the published LOCAL security defaults (%s): never do this with real data",
            definition.name,
            ", ".join(defaults),
        )
    # Plain ASGI middleware; the last added is the outermost: request context (ids, access
    # log), audit, metrics, request guard — so the guard's refusals (NUL, too deep, too large)
    # are counted, audited and logged with their request id too.
    # Innermost: a replayed response is counted, audited and logged like any other, and the
    # guard has bounded the body the idempotency key's fingerprint reads.
    app.add_middleware(idempotency(timedelta(hours=settings.idempotency_key_ttl_hours)))
    app.add_middleware(request_guard(settings.http_max_body_bytes))
    app.add_middleware(request_metrics_middleware(metrics))
    if definition.audited:
        app.add_middleware(audit_middleware(definition.name, definition.personal_fields))
    app.add_middleware(request_context_middleware(definition.name, tracer_of(tracing)))
    from service_runtime.routes import health, observability, ops

    app.include_router(health.router)
    app.include_router(ops.router)
    app.include_router(observability.router)
    for router in definition.routers:
        app.include_router(router)
    document_idempotency(app)
    return app


async def start_runtime(
    definition: ServiceDefinition,
    settings: ServiceSettings,
    metrics: ServiceMetrics,
    tracing: TracerProvider | None = None,
) -> Runtime:
    # The loops and workers started here inherit this: their log lines name the service even
    # when several services share a process (the tests).
    with bound(service=definition.name):
        return await _start_runtime(definition, settings, metrics, tracing)


async def _start_runtime(
    definition: ServiceDefinition,
    settings: ServiceSettings,
    metrics: ServiceMetrics,
    tracing: TracerProvider | None,
) -> Runtime:
    tracer: trace.Tracer | None = tracer_of(tracing)
    url = str(settings.database_url)
    # Revisions that encrypt existing rows need the service's keys.
    await upgrade_to_head(
        definition.migrations_dir, url, field_cipher=FieldCipher.from_settings(settings)
    )
    kafka = kafka_connection(definition, settings)
    try:
        await ensure_topics(
            kafka,
            {topic: settings.topic_partitions for topic in settings.all_topics},
            replication_factor=settings.topic_replication_factor,
        )
    except TopicsMissing as missing:
        # Under ACLs a service may not create topics: say so, serve, and stay unready (/ready
        # names them) until an administrator provisions them, rather than crash-loop.
        log.error(
            "%s: %s; provision them as the Kafka administrator "
            "(python -m defense_messaging.topics provision); /ready fails until they exist",
            definition.name,
            missing,
        )
    engine = create_engine(url)
    outbox_sealer = OutboxSealer(FieldCipher.from_settings(settings))
    # The consumer's dead letters and every outbox row are sealed on the way in, wherever they
    # are written from (defense_messaging knows no service's keys).
    sessions = session_factory(
        engine,
        info={
            DEAD_LETTER_SEALER: DeadLetterSealer(FieldCipher.from_settings(settings)),
            OUTBOX_SEALER: outbox_sealer,
        },
    )
    outbox = Outbox(
        definition.tables.messaging, channel=f"outbox_{definition.name.replace('-', '_')}"
    )
    producer = AIOKafkaProducer(
        enable_idempotence=True,  # implies acks=all: a row is marked sent only when replicated
        acks="all",
        linger_ms=0,  # the relay sends a whole batch and then waits: nothing to linger for
        **kafka.options("relay"),
    )
    await producer.start()
    async with sessions() as session:
        calendar = await load_calendar(session, definition.tables.legal_calendar)
    runtime = Runtime(
        definition=definition,
        settings=settings,
        engine=engine,
        sessions=sessions,
        outbox=outbox,
        publisher=EventPublisher(
            outbox, producer=definition.name, topic=definition.own_topic(settings)
        ),
        producer=producer,
        calendar=calendar,
        metrics=metrics,
        cipher=FieldCipher.from_settings(settings),
        tracing=tracing,
    )
    runtime.relay = OutboxRelay(
        engine,
        producer,
        definition.tables.messaging,
        outbox.channel,
        poll_interval=settings.outbox_poll_interval_seconds,
        on_published=metrics.outbox_published.inc,
        on_parked=metrics.outbox_parked.inc,
        opener=outbox_sealer,
        tracer=tracer,
    )
    runtime.tasks = [asyncio.create_task(runtime.relay.run(), name=f"{definition.name}-relay")]
    consumed = definition.consumed_topics(settings)
    if consumed:
        runtime.consumer = EventConsumer(
            group_id=settings.consumer_group or definition.name,
            topics=consumed,
            connection=kafka,
            sessions=sessions,
            tables=definition.tables.messaging,
            outbox=outbox,
            handlers=_applier(definition, runtime),
            observer=metrics.observe_event,
            inbound=settings.inbound_policy,
            fetch_min_bytes=settings.consumer_fetch_min_bytes,
            fetch_max_wait_ms=settings.consumer_fetch_max_wait_ms,
            max_poll_interval_ms=settings.consumer_max_poll_interval_ms,
            topic_policies=topic_policies(settings),
            tracer=tracer,
        )
        runtime.tasks.append(
            asyncio.create_task(runtime.consumer.run(), name=f"{definition.name}-consumer")
        )
    loops: list[OutboxRelay | EventConsumer] = [runtime.relay]
    if runtime.consumer is not None:
        loops.append(runtime.consumer)
    for task, loop in zip(runtime.tasks, loops, strict=True):
        task.add_done_callback(partial(_loop_ended, loop))
    if definition.background is not None:
        runtime.background_tasks = [
            asyncio.create_task(work, name=f"{definition.name}-background-{index}")
            for index, work in enumerate(definition.background(runtime))
        ]
    if runtime.consumer is not None:
        runtime.lag = LagMonitor(
            kafka,
            runtime.consumer.group_id,
            runtime.consumer.topics,
            metrics,
            exporter=LagExporter(engine, runtime.consumer.group_id),
        )
        runtime.background_tasks.append(
            asyncio.create_task(
                runtime.lag.run(settings.lag_refresh_interval_seconds),
                name=f"{definition.name}-lag",
            )
        )
    if definition.audited:
        runtime.background_tasks.append(
            asyncio.create_task(
                anchor_periodically(runtime), name=f"{definition.name}-audit-anchor"
            )
        )
    runtime.background_tasks.append(
        asyncio.create_task(watch_calendar(runtime), name=f"{definition.name}-calendar-watch")
    )
    log.info("%s started", definition.name)
    return runtime


def topic_policies(settings: ServiceSettings) -> dict[str, TopicPolicy]:
    """What each topic accepts, by its name in this deployment (topic names are settings)."""
    return {
        settings.topic_intake: TopicPolicy(Producer.AGENCY),
        settings.topic_procuratorate: TopicPolicy(Producer.PROCURATORATE),
        settings.topic_aid_center: TopicPolicy(Producer.AID_CENTER),
        settings.topic_notifier: TopicPolicy(Producer.NOTIFIER),
    }


def _loop_ended(loop: OutboxRelay | EventConsumer, task: asyncio.Task[None]) -> None:
    """A relay or consumer loop ends only when asked to; otherwise say so loudly (``/health``
    fails too, so an orchestrator restarts the process)."""
    if task.cancelled() or (loop.stop_requested and task.exception() is None):
        return
    failure = task.exception()
    log.error(
        "%s ended while the service runs (%s): /health fails until the process is restarted",
        task.get_name(),
        # By type: the loop may have died of an event's handler, whose message can quote it.
        redacted(failure) if failure is not None else "no error",
    )


def _applier(definition: ServiceDefinition, runtime: Runtime) -> EventApplier:
    applier = as_applier(definition.handlers(runtime))
    if definition.calendar is CalendarRole.FOLLOWER:
        return CalendarFollower(runtime, applier)
    return applier


async def stop_runtime(runtime: Runtime) -> None:
    """Graceful and bounded by ``shutdown_timeout_seconds`` in all: background tasks are
    cancelled, the consumer finishes and commits its batch, the relay finishes its publish,
    then the clients close. A loop still busy at the deadline is cancelled: its transaction
    rolls back (the outbox rows stay unsent, the offsets uncommitted) and the work is done again
    by whichever replica comes next, the inbox making it happen once."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = started + runtime.settings.shutdown_timeout_seconds

    def left(reserve: float = 0.0) -> float:
        return max(0.0, deadline - loop.time() - reserve)

    for task in runtime.background_tasks:
        task.cancel()
    await _settle(runtime.background_tasks, left(CLOSE_RESERVE_SECONDS))
    if runtime.consumer is not None:
        runtime.consumer.stop()
    if runtime.relay is not None:
        runtime.relay.stop()
    unfinished = await _settle(runtime.tasks, left(CLOSE_RESERVE_SECONDS))
    for task in unfinished:
        log.warning("%s did not finish in the shutdown time: cancelled", task.get_name())
        task.cancel()
    await _settle(unfinished, 1.0)
    with contextlib.suppress(Exception):
        # Bounded: with the broker gone, flushing would otherwise wait for it.
        await asyncio.wait_for(runtime.producer.stop(), timeout=max(left(), 1.0))
    await runtime.engine.dispose()
    if runtime.tracing is not None:
        # The last spans still batched go out (bounded by the exporter's own timeout).
        await asyncio.to_thread(runtime.tracing.shutdown)
    log.info("%s stopped in %.1fs", runtime.definition.name, loop.time() - started)


CLOSE_RESERVE_SECONDS = 2.0
"""Of the shutdown time, what is kept for closing the producer and the database pool."""


async def _settle(tasks: Collection[asyncio.Task[None]], timeout: float) -> set[asyncio.Task[None]]:
    """Waits up to ``timeout`` for the tasks to end; returns those still running."""
    if not tasks:
        return set()
    _done, pending = await asyncio.wait(tasks, timeout=max(timeout, 0.01))
    return pending
