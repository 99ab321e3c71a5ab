"""The procuratorate's unit of work: the shared one (session, outbox, settings, calendar,
clock, cipher, audit) with what the procuratorate's use cases add to it — the case repository
(which also keeps the case row an access check already locked), and events that go on the
case's timeline as they go out."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from defense_schemas import BaseEvent, Envelope
from procuratorate.db.personal import seal_payload
from procuratorate.db.repository import CaseRepository
from procuratorate.db.tables import timeline
from procuratorate.settings import ProcuratorateSettings
from service_runtime.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from service_runtime.app import Runtime


# Built once: the unit of work queues the timeline's rows for it and writes them together.
RECORD_ON_TIMELINE = pg_insert(timeline).on_conflict_do_nothing(index_elements=["event_id"])


class ProcuratorateUnitOfWork(UnitOfWork[ProcuratorateSettings]):
    def __init__(
        self, runtime: Runtime, session: AsyncSession, *, deferred_audit: bool = False
    ) -> None:
        super().__init__(runtime, session, deferred_audit=deferred_audit)
        self.cases = CaseRepository(
            session,
            self.cipher,
            self.calendar,
            before_timeline_read=lambda: self.flush_rows(RECORD_ON_TIMELINE),
        )
        """The cases, their suspects' defense (the aggregate), letters and clocks."""

    async def emit(
        self,
        event: BaseEvent,
        *,
        case_id: UUID,
        suspect_id: UUID | None = None,
        caused_by: Envelope | None = None,
    ) -> Envelope:
        """Queue ``event`` for the outbox (this transaction) and put it on the case's timeline."""
        envelope = await self.publish(event, case_id=case_id, caused_by=caused_by)
        self.record_on_timeline(envelope, suspect_id)
        return envelope

    def record_on_timeline(self, envelope: Envelope, suspect_id: UUID | None) -> None:
        """Queue the event's timeline row (written with the transaction's other queued rows;
        the repository flushes before it reads the timeline)."""
        self.insert_later(
            RECORD_ON_TIMELINE,
            {
                "case_id": envelope.case_id,
                "suspect_id": suspect_id,
                "event_id": envelope.event_id,
                "event_type": envelope.event_type,
                "producer": envelope.producer,
                "occurred_at": envelope.occurred_at,
                "payload": seal_payload(self.cipher, envelope.event_id, dict(envelope.payload)),
            },
        )
