"""The one consumer loop every service uses: idempotent (inbox), dead letters, explicit offsets.

For each message, in ONE database transaction: record ``(consumer, event_id)`` in the inbox
and apply the handler's projection change and outbox writes. A duplicate event finds its inbox
row and changes nothing. Offsets are committed per partition only after the database commit,
so a crash re-delivers rather than loses. Auto-commit is off; a new group starts at the
earliest offset. The members of a group split the partitions by number, so that each case's
partitions of every consumed topic are read by one member (``defense_messaging.assignment``).

Failures:
- the message breaks its contract (unparseable, unknown type, invalid payload), does not belong
  on the topic it came by (another owner's event type or producer: ``forbidden_on_topic``),
  breaks the inbound policy (too large, a producer not allowed for its type), or the handler
  raises :class:`PermanentEventError` → dead-lettered at once. Whatever the bytes of key, value
  and headers, decoding gives an event or a reason (``defense_messaging.decoding``), never an
  exception;
- a transient failure (database or broker unreachable) → retried with backoff, forever, the
  partition waits: skipping would lose the event;
- any other handler exception → retried a few times, then dead-lettered, so one bug does not
  stall the case's partition for everyone;
- the group refuses a commit (this member was dropped, a rebalance came between) → positions go
  back to the committed offsets and the loop re-joins on its next poll (the inbox makes the
  re-read harmless); a commit or poll the broker does not answer times out and is retried.

A dead letter is written as a ``dead_letters`` row and an outbox message to ``<topic>.dlq`` in
one transaction, so filing it is as reliable as any other event.

Batching (the throughput path): the records a poll returns (up to 1000 at a time, from any
partitions, each partition's in offset order) are applied together, in ONE transaction: one
multi-row inbox insert says which events are new, the
service's :class:`EventApplier` gets them all in offset order (so it can load and write a
batch's rows set-wise), one commit, then the partitions' offsets. Every guarantee above holds
per event: each keeps its own inbox row, a duplicate (even within the batch) is skipped, the
offset follows the commit, order within a partition (so per case) is kept. When anything in
the batch fails — a contract violation, a rejection, a bug, the database — the whole
transaction is rolled back and the same records are applied one at a time by the path above,
which dead-letters or retries exactly as it always did. Handlers must therefore keep all their
effects in the session's transaction (they already must: a retry re-runs them).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, runtime_checkable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import (
    CommitFailedError,
    IllegalGenerationError,
    IllegalStateError,
    KafkaError,
    RebalanceInProgressError,
    UnknownMemberIdError,
)
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from defense_messaging.assignment import CoPartitionedAssignor, unequal_counts
from defense_messaging.dead_letters import sealed_error, sealed_value
from defense_messaging.decoding import (
    HANDLER_ERROR,
    REJECTED,
    Refusal,
    dead_letter_copy,
    decode_record,
    printable,
)
from defense_messaging.errors import PermanentEventError, is_away, is_transient
from defense_messaging.inbound import InboundPolicy
from defense_messaging.kafka_client import KafkaConnection
from defense_messaging.log_context import bound, envelope_ids, redacted, redacted_traceback
from defense_messaging.outbox import Outbox
from defense_messaging.tables import MessagingTables
from defense_messaging.tracing import causes, context_from_headers, span, start_span
from defense_schemas import BaseEvent, Envelope
from defense_schemas.topics import TOPIC_POLICIES, TopicPolicy, dead_letter_topic

log = logging.getLogger(__name__)


def _loggable(exc: BaseException) -> str:
    """What a log line may say of ``exc``: a dependency being away (connection refused, a
    timeout) in full, which names hosts, not people; anything else by its type only, since a
    handler's, a parser's or a library's message may quote the event (:func:`redacted`)."""
    return repr(exc) if is_away(exc) else redacted(exc)


def _type_name(exc: BaseException) -> str:
    return f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins.")


class Refused(Exception):
    """The message is a dead letter before any handler sees it (see :class:`Refusal`)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


# The group moved on without this member (a pause past the session timeout, a rebalance): the
# commit is refused, the member re-joins on its next poll, and the records it applied since
# the last commit are read again from the committed offsets (the inbox skips them).
GROUP_CHANGED = (
    CommitFailedError,
    IllegalGenerationError,
    RebalanceInProgressError,
    UnknownMemberIdError,
    IllegalStateError,
)


def group_client(
    topics: Sequence[str], group_id: str, connection: KafkaConnection, **options: Any
) -> AIOKafkaConsumer:
    """The client of a member of ``group_id``: offsets committed by the loop, never
    automatically; a new group from the first offset; only committed transactions; one case's
    partitions of every topic to the same member (:class:`CoPartitionedAssignor`)."""
    return AIOKafkaConsumer(
        *topics,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        partition_assignment_strategy=(CoPartitionedAssignor,),
        # A connection's extra options (tests, tuning) win over the consumer's own.
        **{**options, **connection.options("consumer")},
    )


Handler = Callable[[AsyncSession, Envelope, Any], Awaitable[None]]

Applied = Sequence[tuple[Envelope, BaseEvent]]


@runtime_checkable
class EventApplier(Protocol):
    """How a service applies consumed events, inside the consumer's transaction.

    ``apply`` gets the new events of one transaction in offset order (one event on the careful
    path, a partition's batch on the fast one) and must keep every effect in ``session``. A
    projection that loads and writes a batch's rows in a few set-based statements implements
    this directly; :class:`PerEventHandlers` adapts a handler per event class.
    """

    def handles(self, event: BaseEvent) -> bool: ...

    async def apply(self, session: AsyncSession, events: Applied) -> None: ...


class PerEventHandlers:
    """An :class:`EventApplier` that runs each event's handler in turn."""

    def __init__(self, handlers: Mapping[type[BaseEvent], Handler]) -> None:
        self._handlers = dict(handlers)

    def handles(self, event: BaseEvent) -> bool:
        return type(event) in self._handlers

    async def apply(self, session: AsyncSession, events: Applied) -> None:
        for envelope, event in events:
            with bound(**envelope_ids(envelope)):
                await self._handlers[type(event)](session, envelope, event)


def as_applier(handlers: Mapping[type[BaseEvent], Handler] | EventApplier) -> EventApplier:
    return handlers if isinstance(handlers, EventApplier) else PerEventHandlers(handlers)


@dataclass
class ConsumerStats:
    """Counters the service exposes as metrics."""

    applied: int = 0
    duplicates: int = 0
    skipped: int = 0
    dead_lettered: int = 0
    commits_refused: int = 0
    """Commits the group refused (this member was dropped, or a rebalance came between)."""
    commits_failed: int = 0
    """Commits that timed out or failed otherwise (broker away); retried with the next."""


class EventConsumer:
    """Consumes ``topics`` as group ``group_id`` and applies ``handlers`` by event class."""

    def __init__(
        self,
        *,
        group_id: str,
        topics: list[str],
        connection: KafkaConnection,
        sessions: async_sessionmaker[AsyncSession],
        tables: MessagingTables,
        outbox: Outbox,
        handlers: Mapping[type[BaseEvent], Handler] | EventApplier,
        max_handler_attempts: int = 3,
        max_backoff: float = 30.0,
        batch_max_records: int = 2000,
        transaction_max_records: int = 1000,
        inbound: InboundPolicy | None = None,
        fetch_min_bytes: int = 1,
        fetch_max_wait_ms: int = 500,
        max_poll_interval_ms: int = 300_000,
        observer: Callable[[str, str, float], None] | None = None,
        topic_policies: Mapping[str, TopicPolicy] | None = None,
        tracer: trace.Tracer | None = None,
        client_timeout: float = 30.0,
    ) -> None:
        self.group_id = group_id
        self.topics = topics
        self._connection = connection
        self._sessions = sessions
        self._tables = tables
        self._outbox = outbox
        self._applier = as_applier(handlers)
        self._max_handler_attempts = max_handler_attempts
        self._max_backoff = max_backoff
        self._batch_max_records = batch_max_records
        self._transaction_max_records = transaction_max_records
        self._inbound = inbound or InboundPolicy()
        self._client_options = {
            "fetch_min_bytes": fetch_min_bytes,
            "fetch_max_wait_ms": fetch_max_wait_ms,
            "max_poll_interval_ms": max_poll_interval_ms,
        }
        self._observer = observer
        # Each record is handled in a consumer span, child of its traceparent
        # (defense_messaging.tracing); none recorded without a tracer.
        self._tracer = tracer
        # Which events each consumed topic accepts, by the topic's name in this deployment.
        self._topic_policies = dict(TOPIC_POLICIES if topic_policies is None else topic_policies)
        # Every call to the broker is bounded: a dead broker must not hang the loop or shutdown.
        self._client_timeout = client_timeout
        self._stopping = False
        self._consumer: AIOKafkaConsumer | None = None
        self._uncommitted: dict[TopicPartition, int] = {}
        self.stats = ConsumerStats()
        self.started = asyncio.Event()
        self.last_progress = time.monotonic()
        """When the loop last showed it is alive (a poll, a commit, a wait on a dependency);
        ``/health`` fails when it is too old."""

    async def run(self) -> None:
        """Consume until :meth:`stop`; on stop the current batch finishes and is committed.

        Survives rebalances (a refused commit re-reads from the committed offsets) and broker
        loss (every client call is bounded; uncommitted offsets are committed later). Anything
        else ends the loop, logged at ERROR, and ``/health`` fails so the process is restarted.
        """
        try:
            if not await self._start():
                return
            self.started.set()
            self.beat()
            while not self._stopping:
                await self._poll_once()
            if self._uncommitted:
                await self._commit()  # one last, bounded try before leaving the group
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            log.error(
                "consumer %s stopped: no further events are applied (%s)",
                self.group_id,
                _loggable(exc),
                extra={"fields": {"exception": redacted_traceback(exc)}},
            )
            raise
        finally:
            await self._close()

    def stop(self) -> None:
        self._stopping = True

    async def _start(self) -> bool:
        """Start a client, again and again while the broker does not answer in time (each try
        bounded, so a stop request is heard); False when asked to stop meanwhile."""
        while not self._stopping:
            self._consumer = group_client(
                self.topics,
                self.group_id,
                self._connection,
                max_poll_records=self._batch_max_records,
                **self._client_options,
            )
            try:
                await asyncio.wait_for(self._consumer.start(), timeout=self._client_timeout)
                self._check_partition_counts()
                return True
            except (TimeoutError, KafkaError, OSError) as exc:
                log.warning("consumer %s: start failed (%r); trying again", self.group_id, exc)
                await self._close()
                self._consumer = None
                self.beat()  # waiting on the broker, not stuck
                await asyncio.sleep(1)
        return False

    def _check_partition_counts(self) -> None:
        """Say at start, on every member, what the group's leader will do with topics whose
        partition counts differ (:mod:`defense_messaging.assignment`)."""
        assert self._consumer is not None
        counts = {
            topic: len(found)
            for topic in self.topics
            if (found := self._consumer.partitions_for_topic(topic))
        }
        reason = unequal_counts(counts)
        if reason is not None:
            log.error("consumer %s: %s", self.group_id, reason)

    @property
    def stop_requested(self) -> bool:
        return self._stopping

    def beat(self) -> None:
        self.last_progress = time.monotonic()

    async def _poll_once(self) -> None:
        assert self._consumer is not None
        try:
            batches = await asyncio.wait_for(
                self._consumer.getmany(timeout_ms=500), timeout=self._client_timeout
            )
        except (TimeoutError, KafkaError) as exc:
            # The broker is away or the group is rebalancing: the client reconnects and
            # re-joins on the next poll.
            log.warning("consumer %s: poll failed (%r); polling again", self.group_id, exc)
            await asyncio.sleep(1)
            self.beat()
            return
        self.beat()
        # All partitions' records in one list, each partition's in offset order: one
        # transaction for the lot, not one per partition (a light load spreads a poll's few
        # records over many partitions).
        records = [record for polled in batches.values() for record in polled]
        if not records:
            if self._uncommitted:
                await self._commit()  # left over from a commit the broker did not answer
            return
        step = self._transaction_max_records
        for start in range(0, len(records), step):
            chunk = records[start : start + step]
            await self._process_batch(chunk)
            # Committed only now: every record above is durably applied or filed.
            for record in chunk:
                self._uncommitted[TopicPartition(record.topic, record.partition)] = (
                    record.offset + 1
                )
            if not await self._commit():
                return  # the group changed: what follows is read again from the committed
            self.beat()

    async def _commit(self) -> bool:
        """Commit what was applied; False when the group changed and positions were reset."""
        assert self._consumer is not None
        offsets = dict(self._uncommitted)
        try:
            await asyncio.wait_for(self._consumer.commit(offsets), timeout=self._client_timeout)
        except GROUP_CHANGED as exc:
            log.warning(
                "consumer %s: commit refused (%r): re-joining and reading again from the "
                "committed offsets",
                self.group_id,
                exc,
            )
            self.stats.commits_refused += 1
            self._uncommitted.clear()
            await self._reseek()
            return False
        except (TimeoutError, KafkaError) as exc:
            # Kept: the next commit carries these offsets too. A crash before then re-delivers
            # them, and the inbox skips what was applied.
            self.stats.commits_failed += 1
            log.warning("consumer %s: commit failed (%r); retried later", self.group_id, exc)
            return True
        for partition, offset in offsets.items():
            if self._uncommitted.get(partition) == offset:
                del self._uncommitted[partition]
        return True

    async def _reseek(self) -> None:
        """Positions back to the committed offsets of the partitions still assigned."""
        assert self._consumer is not None
        assigned = list(self._consumer.assignment())
        if not assigned:
            return  # the next poll re-joins, and a new assignment starts at the committed
        try:
            committed = await asyncio.wait_for(
                self._consumer.seek_to_committed(*assigned), timeout=self._client_timeout
            )
            never = [tp for tp, offset in committed.items() if offset is None]
            if never:
                await asyncio.wait_for(
                    self._consumer.seek_to_beginning(*never), timeout=self._client_timeout
                )
        except (TimeoutError, KafkaError) as exc:
            # The assignment changed under us: the re-join resets positions from the committed.
            log.warning("consumer %s: re-seek failed (%r)", self.group_id, exc)

    async def _close(self) -> None:
        if self._consumer is None:
            return
        try:
            await asyncio.wait_for(self._consumer.stop(), timeout=self._client_timeout)
        except Exception as exc:
            log.warning("consumer %s: leaving the group failed (%r)", self.group_id, exc)

    async def _process_batch(self, records: list[ConsumerRecord]) -> None:
        """A poll's records (each partition's in order): together, or one by one on failure."""
        if len(records) > 1:
            started = time.perf_counter()
            try:
                outcomes = await self._apply_together(records)
            except Exception as exc:
                # Nothing of the batch was committed: the careful path redoes it record by record.
                log.info(
                    "batch of %d records falls back to one by one: %s", len(records), _loggable(exc)
                )
            else:
                each = (time.perf_counter() - started) / len(records)
                for event_type, outcome in outcomes:
                    if outcome == "skipped":
                        self._bump(skipped=1)
                        continue
                    self._bump(
                        applied=int(outcome == "applied"), duplicates=int(outcome != "applied")
                    )
                    if self._observer is not None:
                        self._observer(event_type, outcome, each)
                return
        for record in records:
            await self._process(record)

    async def _apply_together(self, records: list[ConsumerRecord]) -> list[tuple[str, str]]:
        """Apply ``records`` in one transaction; raises (and rolls back) on any failure."""
        decoded = []
        for record in records:
            envelope, event = self._decode(record)  # a refusal: the careful path files it
            decoded.append((record, envelope, event, self._applier.handles(event)))
        # One span per record, none current: the events a handler publishes carry the span of
        # the event that caused them (defense_messaging.tracing.causes).
        spans: list[trace.Span] = []
        contexts: dict[Any, Context] = {}
        for record, envelope, _, handled in decoded:
            if not handled:
                continue
            started, contexts[envelope.event_id] = start_span(
                self._tracer,
                f"{record.topic} process",
                parent=context_from_headers(record.headers),
                kind=SpanKind.CONSUMER,
                attributes=self._span_attributes(record, envelope),
            )
            if started is not None:
                spans.append(started)
        try:
            with causes(contexts):
                outcomes = await self._apply_decoded(decoded)
        except BaseException as exc:
            for failed in spans:
                failed.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise
        finally:
            for ended in spans:
                ended.end()
        return outcomes

    def _span_attributes(self, record: ConsumerRecord, envelope: Envelope) -> dict[str, Any]:
        return {
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": record.topic,
            "messaging.consumer.group.name": self.group_id,
            "messaging.destination.partition.id": str(record.partition),
            "messaging.kafka.offset": record.offset,
            "defense.event_type": envelope.event_type,
            "defense.event_id": str(envelope.event_id),
            "defense.case_id": str(envelope.case_id),
        }

    async def _apply_decoded(
        self, decoded: list[tuple[ConsumerRecord, Envelope, BaseEvent, bool]]
    ) -> list[tuple[str, str]]:
        wanted = [item for item in decoded if item[3]]
        outcomes: list[tuple[str, str]] = []
        inbox = self._tables.inbox
        async with self._sessions() as session, session.begin():
            new: set[Any] = set()
            if wanted:
                # One statement for the batch; executemany form, so it is compiled once.
                new = set(
                    (
                        await session.scalars(
                            pg_insert(inbox).on_conflict_do_nothing().returning(inbox.c.event_id),
                            [
                                {
                                    "consumer": self.group_id,
                                    "event_id": envelope.event_id,
                                    "event_type": envelope.event_type,
                                    "topic": record.topic,
                                    "partition": record.partition,
                                    "offset": record.offset,
                                }
                                for record, envelope, _, _ in wanted
                            ],
                        )
                    ).all()
                )
            to_apply: list[tuple[Envelope, BaseEvent]] = []
            for _, envelope, event, handled in decoded:
                if not handled:
                    outcomes.append((envelope.event_type, "skipped"))
                elif envelope.event_id in new:
                    new.discard(envelope.event_id)  # the same event twice in a batch: apply once
                    to_apply.append((envelope, event))
                    outcomes.append((envelope.event_type, "applied"))
                else:
                    outcomes.append((envelope.event_type, "duplicate"))
            if to_apply:
                await self._applier.apply(session, to_apply)
        return outcomes

    async def _process(self, record: ConsumerRecord) -> None:
        started = time.perf_counter()
        try:
            envelope, event = self._decode(record)
        except Refused as exc:
            kind, reason = exc.refusal.kind, exc.refusal.reason
            await self._retrying(partial(self._dead_letter, record, kind, reason))
            self._observe(kind, "dead_lettered", started)
            return
        # Every line logged while this event is handled (retries, dead-lettering) names it,
        # and what it publishes continues its trace.
        with (
            bound(**envelope_ids(envelope)),
            span(
                self._tracer if self._applier.handles(event) else None,
                f"{record.topic} process",
                parent=context_from_headers(record.headers),
                kind=SpanKind.CONSUMER,
                attributes=self._span_attributes(record, envelope),
            ),
        ):
            await self._handle(record, envelope, event, started)

    async def _handle(
        self, record: ConsumerRecord, envelope: Envelope, event: BaseEvent, started: float
    ) -> None:
        if not self._applier.handles(event):
            # A valid event this service has no business with (e.g. another service's clock).
            self._bump(skipped=1)
            return
        attempts = 0
        while True:
            attempts += 1
            try:
                applied = await self._apply(record, envelope, event)
                self._bump(applied=int(applied), duplicates=int(not applied))
                self._observe(envelope.event_type, "applied" if applied else "duplicate", started)
                return
            except PermanentEventError as exc:
                await self._retrying(
                    partial(
                        self._dead_letter, record, REJECTED, str(exc), envelope, _type_name(exc)
                    )
                )
                self._observe(envelope.event_type, "dead_lettered", started)
                return
            except Exception as exc:
                if is_transient(exc):
                    await self._backoff(attempts, exc, record)
                    continue
                if attempts >= self._max_handler_attempts:
                    # The traceback's frames, not its messages: the full text is sealed in the
                    # dead letter.
                    log.error(
                        "handler failed %d times (%s); dead-lettering",
                        attempts,
                        redacted(exc),
                        extra={"fields": {"exception": redacted_traceback(exc)}},
                    )
                    await self._retrying(
                        partial(
                            self._dead_letter,
                            record,
                            HANDLER_ERROR,
                            repr(exc),
                            envelope,
                            _type_name(exc),
                        )
                    )
                    self._observe(envelope.event_type, "dead_lettered", started)
                    return
                await self._backoff(attempts, exc, record)

    def _decode(self, record: ConsumerRecord) -> tuple[Envelope, BaseEvent]:
        """Untrusted bytes to a valid event that belongs on its topic; else :class:`Refused`."""
        decoded = decode_record(record.value, self._topic_policies.get(record.topic), self._inbound)
        if isinstance(decoded, Refusal):
            raise Refused(decoded)
        return decoded

    async def _apply(self, record: ConsumerRecord, envelope: Envelope, event: BaseEvent) -> bool:
        inbox = self._tables.inbox
        async with self._sessions() as session, session.begin():
            inserted = await session.scalar(
                pg_insert(inbox)
                .values(
                    consumer=self.group_id,
                    event_id=envelope.event_id,
                    event_type=envelope.event_type,
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                )
                .on_conflict_do_nothing()
                .returning(inbox.c.event_id)
            )
            if inserted is None:
                return False  # seen before: the projection already holds its effect
            await self._applier.apply(session, [(envelope, event)])
        return True

    async def _dead_letter(
        self,
        record: ConsumerRecord,
        kind: str,
        reason: str,
        envelope: Envelope | None = None,
        error_type: str | None = None,
    ) -> None:
        reason = printable(reason)
        # Not the reason: it may quote the message (a contract violation, a handler's error),
        # which is why the table seals it; operators read it from /ops/dead-letters.
        log.warning(
            "dead-lettering %s[%d]@%d (%s); the reason is in /ops/dead-letters",
            record.topic,
            record.partition,
            record.offset,
            kind,
        )
        dead = self._tables.dead_letters
        async with self._sessions() as session, session.begin():
            # The table keeps the message whole, bytes as they came (key and value as bytea).
            new_id = await session.scalar(
                pg_insert(dead)
                .values(
                    consumer=self.group_id,
                    source_topic=record.topic,
                    source_partition=record.partition,
                    source_offset=record.offset,
                    key=record.key,
                    # Sealed when the service gives a sealer: it may hold anyone's data.
                    value=sealed_value(
                        session, record.value or b"", record.topic, record.partition, record.offset
                    ),
                    event_id=str(envelope.event_id) if envelope else None,
                    event_type=envelope.event_type if envelope else None,
                    error_kind=kind,
                    error=sealed_error(
                        session, reason, record.topic, record.partition, record.offset
                    ),
                )
                .on_conflict_do_nothing()
                .returning(dead.c.id)
            )
            if new_id is None:
                return  # filed already before a crash: the DLQ has it
            copy = dead_letter_copy(
                key=record.key,
                value=record.value,
                kind=kind,
                error_type=error_type,
                source_topic=record.topic,
                source_partition=record.partition,
                source_offset=record.offset,
                consumer=self.group_id,
                dead_letter_id=new_id,
            )
            await self._outbox.add_raw(
                session,
                topic=dead_letter_topic(record.topic),
                key=copy.key,
                value=copy.value,
                headers=copy.headers,
            )
        self._bump(dead_lettered=1)

    async def _retrying(self, action: Callable[[], Awaitable[None]]) -> None:
        """Filing a dead letter needs the database: wait for it rather than drop the message."""
        attempts = 0
        while True:
            attempts += 1
            try:
                await action()
                return
            except Exception as exc:
                if not is_transient(exc) and attempts >= self._max_handler_attempts:
                    raise
                log.warning("filing a dead letter failed (%s); retry %d", _loggable(exc), attempts)
                await asyncio.sleep(min(0.2 * 2**attempts, self._max_backoff))
                self.beat()  # waiting on the database, not stuck

    async def _backoff(self, attempts: int, exc: BaseException, record: ConsumerRecord) -> None:
        delay = min(0.2 * 2**attempts, self._max_backoff)
        log.warning(
            "applying %s[%d]@%d failed (%s); retry %d in %.1fs",
            record.topic,
            record.partition,
            record.offset,
            _loggable(exc),
            attempts,
            delay,
        )
        await asyncio.sleep(delay)
        self.beat()  # waiting on a dependency, not stuck

    def _bump(
        self, *, applied: int = 0, duplicates: int = 0, skipped: int = 0, dead_lettered: int = 0
    ) -> None:
        self.stats.applied += applied
        self.stats.duplicates += duplicates
        self.stats.skipped += skipped
        self.stats.dead_lettered += dead_lettered

    def _observe(self, event_type: str, outcome: str, started: float) -> None:
        if self._observer is not None:
            self._observer(event_type, outcome, time.perf_counter() - started)
