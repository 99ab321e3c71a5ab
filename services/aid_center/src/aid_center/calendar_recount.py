"""A calendar year loaded: the assignment periods counted on a guessed calendar are counted
again.

A notice whose assignment due day needed a year without an official calendar was counted on
weekends and the fixed-date holidays (provisional). When an operator loads that year, every
replica runs this (``service_uow.calendar_watch``): the due day is counted again from the
period's recorded start with the shared definition (``legal_calendar.deadlines.ASSIGNMENT``),
under a transaction-scoped advisory lock, and only for notices still waiting for a lawyer and
still provisional, so a second replica finds nothing left to do. The procuratorate and the
notifier recount their own copies of the same period the same way.
"""

from __future__ import annotations

import sqlalchemy as sa

from aid_center.db.tables import notices
from aid_center.domain.status import NoticeStatus
from aid_center.unit_of_work import AidCenterUnitOfWork
from legal_calendar.deadlines import ASSIGNMENT

_LOCK = sa.select(
    sa.func.pg_advisory_xact_lock(sa.func.hashtextextended("aid-center-period-recount", 0))
)

WAITING = (NoticeStatus.SUPPLEMENT_REQUESTED, NoticeStatus.ACCEPTED, NoticeStatus.UNASSIGNABLE)
"""A notice in these states still owes its lawyer: its period runs."""


async def recount_provisional_periods(uow: AidCenterUnitOfWork) -> int:
    """Recount every running provisional assignment period; returns how many changed."""
    changed = 0
    session = uow.session
    await session.execute(_LOCK)
    rows = (
        await session.execute(
            sa.select(
                notices.c.notice_id,
                notices.c.assignment_started_at,
                notices.c.assignment_due_on,
                notices.c.assignment_missing_years,
            )
            .where(
                notices.c.assignment_due_provisional.is_(True),
                notices.c.assignment_started_at.is_not(None),
                notices.c.status.in_(WAITING),
            )
            .order_by(notices.c.notice_id)
            .with_for_update()
        )
    ).all()
    for row in rows:
        due = ASSIGNMENT.due(row.assignment_started_at, uow.calendar)
        missing = list(due.missing_years)
        if due.due_on == row.assignment_due_on and missing == row.assignment_missing_years:
            continue
        await session.execute(
            sa.update(notices)
            .where(notices.c.notice_id == row.notice_id)
            .values(
                assignment_due_on=due.due_on,
                assignment_due_provisional=due.provisional,
                assignment_missing_years=missing,
            )
        )
        changed += 1
    return changed
