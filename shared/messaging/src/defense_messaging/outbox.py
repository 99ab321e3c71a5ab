"""Transactional outbox: events are written in the same transaction as the state change.

Nothing in the platform publishes to Kafka from a request handler. A handler adds its events
to the outbox on the session it is already using; the commit makes the state change and the
events durable together, and :class:`~defense_messaging.relay.OutboxRelay` publishes them.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import SessionTransaction

from defense_messaging.tables import MessagingTables
from defense_messaging.tracing import headers_for_cause
from defense_schemas import BaseEvent, Envelope
from defense_schemas.kafka_headers import kafka_headers

Headers = Sequence[tuple[str, str]]

# session.info key of the service's sealer of outbox rows (``seal(row id, value, headers)`` →
# stored value and headers; the relay's ``open`` reverses it). Without one rows are stored as
# they will be published.
OUTBOX_SEALER = "outbox_sealer"


def opened_row(session: AsyncSession, row: Any) -> tuple[bytes, list[list[str]]]:
    """An outbox row's value and headers as the relay publishes them (for tools and tests that
    read the table: a row is stored sealed when the session carries the service's sealer)."""
    sealer = session.info.get(OUTBOX_SEALER)
    value, headers = bytes(row.value), row.headers
    if sealer is None:
        return value, headers
    opened: tuple[bytes, list[list[str]]] = sealer.open(row.id, value, headers)
    return opened


class Outbox:
    def __init__(self, tables: MessagingTables, channel: str) -> None:
        self._table = tables.outbox
        self.channel = channel
        self._notified: weakref.WeakSet[SessionTransaction] = weakref.WeakSet()
        # Built once: every request and consumer batch writes the outbox, and building these
        # trees (and their cache keys) each time cost more CPU than sending them.
        notify = sa.func.pg_notify(channel, "")
        ids: Any = sa.func.nextval(sa.func.pg_get_serial_sequence(self._table.name, "id"))
        series = sa.func.generate_series(1, sa.bindparam("count", type_=sa.Integer)).alias("n")
        self._draw_ids = sa.select(ids).select_from(series)
        self._draw_ids_and_notify = sa.select(ids, notify).select_from(series)
        self._notify = sa.select(notify)
        self._insert_rows = sa.insert(self._table)

    async def add(self, session: AsyncSession, envelope: Envelope, topic: str) -> None:
        """Queue ``envelope`` for ``topic``, keyed by its case id, in the caller's transaction."""
        await self.add_many(session, [(envelope, topic)])

    async def add_many(
        self, session: AsyncSession, messages: Sequence[tuple[Envelope, str]]
    ) -> None:
        """Queue several envelopes in one statement; the relay publishes them in this order."""
        await self._insert(
            session,
            [
                {
                    "event_id": envelope.event_id,
                    "topic": topic,
                    "key": str(envelope.case_id).encode(),
                    "value": envelope.to_bytes(),
                    # Computed here, where the envelope is at hand: the relay then sends the
                    # row's bytes and headers as they are, never parsing a value. The trace of
                    # what caused the event is taken now too: the relay sends it later, from a
                    # task of its own.
                    "headers": [
                        *([name, text] for name, text in kafka_headers(envelope)),
                        *headers_for_cause(envelope.causation_id),
                    ],
                }
                for envelope, topic in messages
            ],
        )

    async def add_raw(
        self,
        session: AsyncSession,
        *,
        topic: str,
        key: bytes | str,
        value: bytes,
        headers: Headers = (),
        event_id: object | None = None,
    ) -> None:
        """Queue an already-encoded message (dead letters, replays) in the caller's transaction."""
        row = {
            "event_id": event_id,
            "topic": topic,
            "key": key.encode() if isinstance(key, str) else key,
            "value": value,
            "headers": [[name, text] for name, text in headers],
        }
        await self._insert(session, [row])

    async def _insert(self, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        # NOTIFY inside the transaction is delivered on commit only: the relay wakes exactly
        # when there is something it can see. Once per transaction is enough (PostgreSQL folds
        # repeats anyway), and saves a round trip for every further event of the transaction.
        transaction = session.sync_session.get_transaction()
        notify = transaction is None or transaction not in self._notified
        sealer = session.info.get(OUTBOX_SEALER)
        if sealer is not None:
            # The row's id is the sealed value's associated data, so it is drawn before the
            # insert; the same round trip notifies the relay.
            await self._seal(session, sealer, rows, notify=notify)
        elif notify:
            await session.execute(self._notify)
        if notify and transaction is not None:
            self._notified.add(transaction)
        # A list of parameters (not .values(rows)): compiled once, sent as one multi-row insert.
        await session.execute(self._insert_rows, rows)

    async def _seal(
        self, session: AsyncSession, sealer: Any, rows: list[dict[str, Any]], *, notify: bool
    ) -> None:
        query = self._draw_ids_and_notify if notify else self._draw_ids
        drawn = (await session.execute(query, {"count": len(rows)})).scalars()
        # Ascending ids in the rows' order: the relay publishes in id order.
        for row, row_id in zip(rows, sorted(drawn), strict=True):
            row["id"] = row_id
            row["value"], row["headers"] = sealer.seal(row_id, row["value"], row["headers"])


class EventPublisher:
    """How a service emits its own events: build the envelope, queue it in the outbox."""

    def __init__(self, outbox: Outbox, *, producer: str, topic: str) -> None:
        self._outbox = outbox
        self.producer = producer
        self.topic = topic

    async def publish(
        self,
        session: AsyncSession,
        event: BaseEvent,
        *,
        case_id: UUID,
        caused_by: Envelope | None = None,
    ) -> Envelope:
        """Queue ``event`` in the caller's transaction; it inherits ``caused_by``'s correlation."""
        envelope = self.envelope(event, case_id=case_id, caused_by=caused_by)
        await self._outbox.add(session, envelope, self.topic)
        return envelope

    def envelope(
        self, event: BaseEvent, *, case_id: UUID, caused_by: Envelope | None = None
    ) -> Envelope:
        """The envelope :meth:`publish` would queue, for :meth:`publish_many`."""
        return Envelope.for_event(
            event,
            case_id=case_id,
            producer=self.producer,
            correlation_id=caused_by.correlation_id if caused_by else None,
            causation_id=caused_by.event_id if caused_by else None,
        )

    async def publish_many(self, session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
        """Queue envelopes built by :meth:`envelope`, in order, in one statement."""
        await self._outbox.add_many(session, [(envelope, self.topic) for envelope in envelopes])
