"""What every workflow step shares: loading the case, emitting through the outbox (and the
timeline), the clocks, the suspect's derived defense status."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from defense_schemas import Envelope
from defense_schemas.events.common import SuspectParticulars
from defense_schemas.events.procuratorate import DefenseStatusChanged
from defense_schemas.vocabulary import ClockKind, ClockOutcome, DefenseChoice, DefenseStatus, Ground
from legal_calendar import Deadline, Period, legal_date
from procuratorate.db.personal import open_facts
from procuratorate.db.tables import cases, clocks, defenders, notices, suspects
from procuratorate.domain.clocks import deadline, in_custody, review_deadline
from procuratorate.domain.defense_path import Defender, SuspectDefense
from procuratorate.domain.policy import derive_status
from procuratorate.domain.statuses import OPEN_NOTICE_STATUSES, ReviewStatus
from procuratorate.unit_of_work import ProcuratorateUnitOfWork
from service_runtime.errors import NotFound


async def get_case(uow: ProcuratorateUnitOfWork, case_id: UUID, *, lock: bool = False) -> Any:
    # Only the first read may take the handed-over row: later the case may have been written.
    handed_over, uow.locked_case = uow.locked_case, None
    if lock and handed_over is not None and handed_over.case_id == case_id:
        return handed_over
    query = sa.select(cases).where(cases.c.case_id == case_id)
    if lock:
        # Serialises the steps of one case: decisions, counters, status changes.
        query = query.with_for_update()
    row = (await uow.session.execute(query)).one_or_none()
    if row is None:
        raise NotFound("case", case_id)
    return row


async def get_suspect(
    uow: ProcuratorateUnitOfWork, case_id: UUID, suspect_id: UUID, *, lock: bool = False
) -> Any:
    query = sa.select(suspects).where(
        suspects.c.suspect_id == suspect_id, suspects.c.case_id == case_id
    )
    if lock:
        query = query.with_for_update()
    row = (await uow.session.execute(query)).one_or_none()
    if row is None:
        raise NotFound("suspect", suspect_id)
    return row


async def case_suspects(uow: ProcuratorateUnitOfWork, case_id: UUID) -> list[Any]:
    return list(
        (
            await uow.session.execute(
                sa.select(suspects)
                .where(suspects.c.case_id == case_id)
                .order_by(suspects.c.position)
            )
        ).all()
    )


async def case_people(uow: ProcuratorateUnitOfWork, case_id: UUID) -> list[SuspectParticulars]:
    """The case's suspects' facts, as last corrected."""
    return [
        SuspectParticulars.model_validate(open_facts(uow.cipher, row))
        for row in await case_suspects(uow, case_id)
    ]


async def case_in_custody(uow: ProcuratorateUnitOfWork, case_id: UUID) -> bool:
    return in_custody(await case_people(uow, case_id))


async def start_clock(
    uow: ProcuratorateUnitOfWork,
    *,
    case_id: UUID,
    suspect_id: UUID | None,
    kind: ClockKind,
    started_at: datetime,
    period: Period,
    subject: str | None = None,
    in_custody: bool = False,
) -> Deadline:
    """Open a clock; its deadline is provisional (and says so) when the calendar lacks a year."""
    row, due = clock_row(
        uow,
        case_id=case_id,
        suspect_id=suspect_id,
        kind=kind,
        started_at=started_at,
        period=period,
        subject=subject,
        in_custody=in_custody,
    )
    await uow.session.execute(sa.insert(clocks).values(row))
    return due


def clock_row(
    uow: ProcuratorateUnitOfWork,
    *,
    case_id: UUID,
    suspect_id: UUID | None,
    kind: ClockKind,
    started_at: datetime,
    period: Period,
    subject: str | None = None,
    in_custody: bool = False,
) -> tuple[dict[str, Any], Deadline]:
    """The ``clocks`` row :func:`start_clock` writes, for opening several clocks in one insert.
    ``in_custody``: a suspect of the case is detained (the review period does not roll over a
    holiday, CPL Art. 105; see :func:`review_deadline`)."""
    if kind is ClockKind.REVIEW_PERIOD:
        due = review_deadline(legal_date(started_at), period, uow.calendar, in_custody=in_custody)
    else:
        due = deadline(legal_date(started_at), period, uow.calendar)
    row = {
        "clock_id": uuid.uuid4(),
        "case_id": case_id,
        "suspect_id": suspect_id,
        "kind": kind.value,
        "subject": subject,
        "trigger_on": due.trigger,
        "due_on": due.due_on,
        "closes_at": due.closes_at,
        "provisional": due.provisional,
        "missing_years": list(due.missing_years),
    }
    return row, due


async def settle_clocks(
    uow: ProcuratorateUnitOfWork,
    *,
    kind: ClockKind,
    at: datetime,
    case_id: UUID | None = None,
    suspect_id: UUID | None = None,
    subject: str | None = None,
    cancel: bool = False,
) -> list[str]:
    """Close the open clocks of `kind` (for a suspect, a case or a subject): met, met late, or
    cancelled when the duty fell away. Returns the outcomes given."""
    conditions = [clocks.c.kind == kind.value, clocks.c.outcome.is_(None)]
    if case_id is not None:
        conditions.append(clocks.c.case_id == case_id)
    if suspect_id is not None:
        conditions.append(clocks.c.suspect_id == suspect_id)
    if subject is not None:
        conditions.append(clocks.c.subject == subject)
    if cancel:
        outcome: Any = ClockOutcome.CANCELLED.value
    else:
        outcome = sa.case(
            (clocks.c.closes_at > at, ClockOutcome.MET.value), else_=ClockOutcome.MET_LATE.value
        )
    result = await uow.session.scalars(
        sa.update(clocks)
        .where(*conditions)
        .values(met_at=at, outcome=outcome)
        .returning(clocks.c.outcome)
    )
    return list(result)


async def active_defenders(uow: ProcuratorateUnitOfWork, suspect_id: UUID) -> list[Any]:
    return list(
        (
            await uow.session.execute(
                sa.select(defenders)
                .where(defenders.c.suspect_id == suspect_id, defenders.c.ended_at.is_(None))
                .order_by(defenders.c.id)
            )
        ).all()
    )


async def defense_lawyer(uow: ProcuratorateUnitOfWork, suspect_id: UUID) -> Any | None:
    """The suspect's defense lawyer now: retained counsel or an appointed lawyer (not a duty
    lawyer, who gives legal help only)."""
    for row in reversed(await active_defenders(uow, suspect_id)):
        if row.kind != DefenseStatus.DUTY_LAWYER_ONLY.value:
            return row
    return None


async def refresh_status(
    uow: ProcuratorateUnitOfWork,
    *,
    case_id: UUID,
    suspect_id: UUID,
    at: datetime,
    caused_by: Envelope | None = None,
) -> DefenseStatus:
    """Derive the suspect's defense status from its defenders; emit DefenseStatusChanged."""
    suspect = await get_suspect(uow, case_id, suspect_id, lock=True)
    kinds = [row.kind for row in await active_defenders(uow, suspect_id)]
    status = derive_status(
        kinds, self_defense_permitted=suspect.self_defense_permitted_at is not None
    )
    previous = DefenseStatus(suspect.defense_status)
    if status is not previous:
        await uow.session.execute(
            sa.update(suspects)
            .where(suspects.c.suspect_id == suspect_id)
            .values(defense_status=status.value)
        )
        await uow.emit(
            DefenseStatusChanged(
                suspect_id=suspect_id, status=status, previous_status=previous, changed_at=at
            ),
            case_id=case_id,
            suspect_id=suspect_id,
            caused_by=caused_by,
        )
    return status


async def load_defense(uow: ProcuratorateUnitOfWork, case: Any, suspect: Any) -> SuspectDefense:
    """The suspect's defense aggregate, from the projection (``suspect``: its row, locked by
    the caller when the step writes)."""
    open_clocks = (
        await uow.session.execute(
            sa.select(clocks.c.kind, clocks.c.subject).where(
                clocks.c.suspect_id == suspect.suspect_id,
                clocks.c.outcome.is_(None),
                clocks.c.kind.in_(
                    (ClockKind.NOTICE_DISPATCH.value, ClockKind.RIGHTS_NOTIFICATION.value)
                ),
            )
        )
    ).all()
    letter_open = await uow.session.scalar(
        sa.select(
            sa.exists().where(
                notices.c.suspect_id == suspect.suspect_id,
                notices.c.status.in_(OPEN_NOTICE_STATUSES),
            )
        )
    )
    dismissed = await uow.session.scalar(
        sa.select(
            sa.exists().where(
                defenders.c.suspect_id == suspect.suspect_id,
                defenders.c.kind == DefenseStatus.RETAINED.value,
                defenders.c.end_reason == "dismissed",
            )
        )
    )
    return SuspectDefense(
        suspect_id=suspect.suspect_id,
        grounds=tuple(Ground(g) for g in suspect.grounds),
        informed=suspect.rights_notified_at is not None,
        rights_clock_open=any(
            row.kind == ClockKind.RIGHTS_NOTIFICATION.value for row in open_clocks
        ),
        decision=DefenseChoice(suspect.decision) if suspect.decision else None,
        defenders=[
            Defender(DefenseStatus(row.kind), row.assignment_id or row.retention_id)
            for row in await active_defenders(uow, suspect.suspect_id)
        ],
        self_defense_permitted=suspect.self_defense_permitted_at is not None,
        aid_terminated=suspect.aid_terminated,
        counsel_dismissed=bool(dismissed),
        letter_in_flight=bool(letter_open),
        letter_clocks={
            row.subject or "" for row in open_clocks if row.kind == ClockKind.NOTICE_DISPATCH.value
        },
        handed_over=case.review_status == ReviewStatus.INDICTED.value,
    )
