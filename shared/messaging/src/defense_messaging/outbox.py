"""Transactional outbox: events are written in the same transaction as the state change.

Nothing in the platform publishes to Kafka from a request handler. A handler adds its events
to the outbox on the session it is already using; the commit makes the state change and the
events durable together, and :class:`~defense_messaging.relay.OutboxRelay` publishes them.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import SessionTransaction

from defense_messaging.tables import MessagingTables
from defense_schemas import BaseEvent, Envelope

Headers = Sequence[tuple[str, str]]


class Outbox:
    def __init__(self, tables: MessagingTables, channel: str) -> None:
        self._table = tables.outbox
        self.channel = channel
        self._notified: weakref.WeakSet[SessionTransaction] = weakref.WeakSet()

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
                    "headers": [
                        ["event_type", envelope.event_type],
                        ["schema_version", str(envelope.schema_version)],
                        ["producer", envelope.producer],
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

    async def _insert(self, session: AsyncSession, rows: list[dict[str, object]]) -> None:
        if not rows:
            return
        # A list of parameters (not .values(rows)): compiled once, sent as one multi-row insert.
        await session.execute(sa.insert(self._table), rows)
        # NOTIFY inside the transaction is delivered on commit only: the relay wakes exactly
        # when there is something it can see. Once per transaction is enough (PostgreSQL folds
        # repeats anyway), and saves a round trip for every further event of the transaction.
        transaction = session.sync_session.get_transaction()
        if transaction is None or transaction not in self._notified:
            await session.execute(sa.select(sa.func.pg_notify(self.channel, "")))
            if transaction is not None:
                self._notified.add(transaction)


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
