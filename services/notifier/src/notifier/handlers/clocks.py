"""Applying clock changes to the watch's table and publishing them (ClockScheduled,
ClockStopped) in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from defense_schemas import Envelope
from defense_schemas.events.notifier import ClockScheduled, ClockStopped
from defense_schemas.vocabulary import ClockKind, ClockOutcome, ResponsibleParty
from notifier.db.tables import cases, clocks, suspects
from notifier.domain.clocks import ClockChange, ClockKey, Schedule, Stop, stop_outcome
from service_runtime.app import Runtime


def _key_clause(case_id: UUID, key: ClockKey) -> sa.ColumnElement[bool]:
    suspect = (
        clocks.c.suspect_id.is_(None)
        if key.suspect_id is None
        else clocks.c.suspect_id == key.suspect_id
    )
    return sa.and_(
        clocks.c.case_id == case_id,
        clocks.c.kind == key.kind.value,
        suspect,
        clocks.c.subject == key.subject,
        clocks.c.status == "open",
    )


async def _agency(
    session: AsyncSession, case_id: UUID, key: ClockKey, responsible: ResponsibleParty
) -> tuple[str | None, str | None]:
    """The responsible organisation (for the board's filter) and the case's district."""
    case = (
        await session.execute(
            sa.select(cases.c.procuratorate_unit, cases.c.district).where(
                cases.c.case_id == case_id
            )
        )
    ).one()
    if responsible is ResponsibleParty.PROCURATORATE or key.suspect_id is None:
        return case.procuratorate_unit, case.district
    suspect = (
        await session.execute(
            sa.select(suspects.c.aid_center, suspects.c.lawyer_firm).where(
                suspects.c.case_id == case_id, suspects.c.suspect_id == key.suspect_id
            )
        )
    ).one_or_none()
    if suspect is None:
        return None, case.district
    agency = (
        suspect.aid_center if responsible is ResponsibleParty.AID_CENTER else suspect.lawyer_firm
    )
    return agency, case.district


async def apply_clock_changes(
    session: AsyncSession, runtime: Runtime, envelope: Envelope, changes: list[ClockChange]
) -> None:
    case_id = envelope.case_id
    for change in changes:
        row = (
            (
                await session.execute(
                    sa.select(clocks).where(_key_clause(case_id, change.key)).with_for_update()
                )
            )
            .mappings()
            .one_or_none()
        )
        if isinstance(change, Schedule):
            await _schedule(session, runtime, envelope, change, row)
        elif row is not None:
            await _stop(session, runtime, envelope, change, row)


async def _schedule(
    session: AsyncSession,
    runtime: Runtime,
    envelope: Envelope,
    change: Schedule,
    row: sa.RowMapping | None,
) -> None:
    agency, district = await _agency(session, envelope.case_id, change.key, change.responsible)
    if row is None:
        clock_id = uuid4()
        await session.execute(
            sa.insert(clocks).values(
                clock_id=clock_id,
                case_id=envelope.case_id,
                kind=change.key.kind.value,
                suspect_id=change.key.suspect_id,
                subject=change.key.subject,
                responsible=change.responsible.value,
                agency=agency,
                district=district,
                started_on=change.started_on,
                due_on=change.due_on,
                provisional=change.provisional,
                reason=change.reason,
                trigger_event_id=envelope.event_id,
                correlation_id=envelope.correlation_id,
            )
        )
    else:
        if row["due_on"] == change.due_on and row["responsible"] == change.responsible.value:
            return  # nothing moved
        clock_id = row["clock_id"]
        values: dict[str, object] = {
            "responsible": change.responsible.value,
            "agency": agency,
            "started_on": change.started_on,
            "due_on": change.due_on,
            "provisional": change.provisional,
            "reason": change.reason,
            "trigger_event_id": envelope.event_id,
        }
        if change.due_on > row["due_on"]:
            # Alerts are about a due day: a later one deserves its own reminder and breach.
            values |= {"approaching_sent_at": None, "breached_at": None}
        await session.execute(sa.update(clocks).where(clocks.c.clock_id == clock_id).values(values))
    await runtime.publisher.publish(
        session,
        ClockScheduled(
            clock_id=clock_id,
            kind=change.key.kind,
            suspect_id=change.key.suspect_id,
            due_on=change.due_on,
            responsible=change.responsible,
            started_on=change.started_on,
            trigger_event_id=envelope.event_id,
            reason=change.reason[:4000],
        ),
        case_id=envelope.case_id,
        caused_by=envelope,
    )


async def _stop(
    session: AsyncSession, runtime: Runtime, envelope: Envelope, change: Stop, row: sa.RowMapping
) -> None:
    outcome = stop_outcome(change, row["due_on"])
    if outcome is ClockOutcome.MET and row["breached_at"] is not None:
        outcome = ClockOutcome.MET_LATE  # a breach was announced; the record must agree
    await session.execute(
        sa.update(clocks)
        .where(clocks.c.clock_id == row["clock_id"])
        .values(
            status="stopped",
            outcome=outcome.value,
            stopped_at=change.at,
            stop_event_id=envelope.event_id,
        )
    )
    await runtime.publisher.publish(
        session,
        ClockStopped(
            clock_id=row["clock_id"],
            kind=ClockKind(row["kind"]),
            suspect_id=row["suspect_id"],
            due_on=row["due_on"],
            outcome=outcome,
            stopped_at=change.at if change.at.tzinfo else change.at.replace(tzinfo=UTC),
            stop_event_id=envelope.event_id,
        ),
        case_id=envelope.case_id,
        caused_by=envelope,
    )


def utcnow() -> datetime:
    return datetime.now(UTC)
