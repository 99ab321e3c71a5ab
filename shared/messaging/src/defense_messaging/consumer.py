"""The one consumer loop every service uses: idempotent (inbox), dead letters, explicit offsets.

For each message, in ONE database transaction: record ``(consumer, event_id)`` in the inbox
and apply the handler's projection change and outbox writes. A duplicate event finds its inbox
row and changes nothing. Offsets are committed per partition only after the database commit,
so a crash re-delivers rather than loses. Auto-commit is off; a new group starts at the
earliest offset.

Failures:
- the message breaks its contract (unparseable, unknown type, invalid payload), breaks the
  inbound policy (too large, a producer not allowed for its type), or the handler
  raises :class:`PermanentEventError` → dead-lettered at once;
- a transient failure (database or broker unreachable) → retried with backoff, forever, the
  partition waits: skipping would lose the event;
- any other handler exception → retried a few times, then dead-lettered, so one bug does not
  stall the case's partition for everyone.

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
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, runtime_checkable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from defense_messaging.errors import PermanentEventError, is_transient
from defense_messaging.inbound import InboundPolicy, check_inbound
from defense_messaging.kafka_client import KafkaConnection
from defense_messaging.outbox import Outbox
from defense_messaging.tables import MessagingTables
from defense_schemas import BaseEvent, ContractViolation, Envelope, decode_event
from defense_schemas.topics import dead_letter_topic

log = logging.getLogger(__name__)


class InboundRefused(Exception):
    """The message breaks deployment policy (size, allowed producers): dead-lettered."""


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
        observer: Callable[[str, str, float], None] | None = None,
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
        self._fetch = {"fetch_min_bytes": fetch_min_bytes, "fetch_max_wait_ms": fetch_max_wait_ms}
        self._observer = observer
        self._stopping = False
        self._consumer: AIOKafkaConsumer | None = None
        self.stats = ConsumerStats()
        self.started = asyncio.Event()

    async def run(self) -> None:
        """Consume until :meth:`stop`; on stop the current batch finishes and is committed."""
        self._consumer = AIOKafkaConsumer(
            *self.topics,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_records=self._batch_max_records,
            **self._fetch,
            **self._connection.options(),
        )
        await self._consumer.start()
        self.started.set()
        try:
            while not self._stopping:
                batches = await self._consumer.getmany(timeout_ms=500)
                # All partitions' records in one list, each partition's in offset order: one
                # transaction for the lot, not one per partition (a light load spreads a
                # poll's few records over many partitions).
                records = [record for polled in batches.values() for record in polled]
                step = self._transaction_max_records
                for start in range(0, len(records), step):
                    chunk = records[start : start + step]
                    await self._process_batch(chunk)
                    # Committed only now: every record above is durably applied or filed.
                    await self._consumer.commit(
                        {TopicPartition(r.topic, r.partition): r.offset + 1 for r in chunk}
                    )
        finally:
            with contextlib.suppress(Exception):
                await self._consumer.stop()

    def stop(self) -> None:
        self._stopping = True

    async def _process_batch(self, records: list[ConsumerRecord]) -> None:
        """A poll's records (each partition's in order): together, or one by one on failure."""
        if len(records) > 1:
            started = time.perf_counter()
            try:
                outcomes = await self._apply_together(records)
            except Exception as exc:
                # Nothing of the batch was committed: the careful path redoes it record by record.
                log.info("batch of %d records falls back to one by one: %r", len(records), exc)
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
        except ContractViolation as exc:
            await self._retrying(partial(self._dead_letter, record, "contract_violation", str(exc)))
            self._observe("contract_violation", "dead_lettered", started)
            return
        except InboundRefused as exc:
            await self._retrying(partial(self._dead_letter, record, "inbound_refused", str(exc)))
            self._observe("inbound_refused", "dead_lettered", started)
            return
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
                    partial(self._dead_letter, record, "rejected", str(exc), envelope)
                )
                self._observe(envelope.event_type, "dead_lettered", started)
                return
            except Exception as exc:
                if is_transient(exc):
                    await self._backoff(attempts, exc, record)
                    continue
                if attempts >= self._max_handler_attempts:
                    log.exception("handler failed %d times; dead-lettering", attempts)
                    await self._retrying(
                        partial(self._dead_letter, record, "handler_error", repr(exc), envelope)
                    )
                    self._observe(envelope.event_type, "dead_lettered", started)
                    return
                await self._backoff(attempts, exc, record)

    def _decode(self, record: ConsumerRecord) -> tuple[Envelope, BaseEvent]:
        """Untrusted bytes to a valid event: size first, then the contract, then who sent it."""
        if reason := check_inbound(record.value, None, self._inbound):
            raise InboundRefused(reason)
        envelope, event = decode_event(record.value)
        if reason := check_inbound(record.value, envelope, self._inbound):
            raise InboundRefused(reason)
        return envelope, event

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
        self, record: ConsumerRecord, kind: str, reason: str, envelope: Envelope | None = None
    ) -> None:
        log.warning(
            "dead-lettering %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason
        )
        key = record.key.decode(errors="replace") if record.key else ""
        dead = self._tables.dead_letters
        async with self._sessions() as session, session.begin():
            new_id = await session.scalar(
                pg_insert(dead)
                .values(
                    consumer=self.group_id,
                    source_topic=record.topic,
                    source_partition=record.partition,
                    source_offset=record.offset,
                    key=key or None,
                    value=record.value or b"",
                    event_id=str(envelope.event_id) if envelope else None,
                    event_type=envelope.event_type if envelope else None,
                    error_kind=kind,
                    error=reason[:4000],
                )
                .on_conflict_do_nothing()
                .returning(dead.c.id)
            )
            if new_id is None:
                return  # filed already before a crash: the DLQ has it
            await self._outbox.add_raw(
                session,
                topic=dead_letter_topic(record.topic),
                key=key,
                value=record.value or b"",
                headers=[
                    ("dlq.error_kind", kind),
                    ("dlq.error", reason[:1000]),
                    ("dlq.source_topic", record.topic),
                    ("dlq.source_partition", str(record.partition)),
                    ("dlq.source_offset", str(record.offset)),
                    ("dlq.consumer", self.group_id),
                ],
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
                await asyncio.sleep(min(0.2 * 2**attempts, self._max_backoff))

    async def _backoff(self, attempts: int, exc: BaseException, record: ConsumerRecord) -> None:
        delay = min(0.2 * 2**attempts, self._max_backoff)
        log.warning(
            "applying %s[%d]@%d failed (%s); retry %d in %.1fs",
            record.topic,
            record.partition,
            record.offset,
            exc,
            attempts,
            delay,
        )
        await asyncio.sleep(delay)

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
