"""A calendar year loaded: the assignment periods counted on a guessed calendar are counted
again.

A notice whose assignment due day needed a year without an official calendar was counted on
weekends and the fixed-date holidays (provisional). When an operator loads that year, every
replica runs this (``service_uow.calendar_watch``): the due day is counted again from the
period's recorded start with the shared definition (``legal_calendar.deadlines.ASSIGNMENT``),
under a transaction-scoped advisory lock, and only for notices still waiting for a lawyer and
still provisional, so a second replica finds nothing left to do. The procuratorate and the
notifier recount their own copies of the same period the same way.

The same load counts again the day due of every approved, unpaid case subsidy whose day was
guessed (:func:`recount_subsidy_payments`): from the approval, with the days it was counted
with; ``SubsidyPaymentDueRecounted`` tells the notifier, whose payment clock takes the day the
center counts (the number of days is the center's setting, so the notifier does not count it).

Notices stored before migration 0009 have no recorded start: the period started either at the
letter's receipt or at the supplement that completed it (which the center accepted it on), and
which one was not kept. The start is recovered as the first of those two instants from which
the shared definition, on the calendar as it stood (the due day's year and later unknown),
gives the stored due day (:func:`unrecorded_start`); a notice neither instant explains keeps its
guessed day rather than being recounted from a start that may be wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import sqlalchemy as sa

from aid_center.db.tables import notices, subsidy_claims
from aid_center.domain.status import NoticeStatus
from aid_center.domain.subsidies import payment_due
from aid_center.unit_of_work import AidCenterUnitOfWork
from defense_schemas.events.aid_center import SubsidyPaymentDueRecounted
from legal_calendar import LegalCalendar
from legal_calendar.deadlines import ASSIGNMENT

_LOCK = sa.select(
    sa.func.pg_advisory_xact_lock(sa.func.hashtextextended("aid-center-period-recount", 0))
)

WAITING = (NoticeStatus.SUPPLEMENT_REQUESTED, NoticeStatus.ACCEPTED, NoticeStatus.UNASSIGNABLE)
"""A notice in these states still owes its lawyer: its period runs."""


def unrecorded_start(
    candidates: Iterable[datetime | None], guessed_due_on: date, calendar: LegalCalendar
) -> datetime | None:
    """The start of an assignment period stored without one: the first candidate instant (the
    letter's receipt, then the acceptance that a completing supplement brought) from which the
    period, counted on the calendar as it stood when the day was guessed — the due day's year
    and later without data —, ends on ``guessed_due_on``. None when no candidate does."""
    as_it_stood = LegalCalendar(
        year for number, year in calendar.years.items() if number < guessed_due_on.year
    )
    for candidate in candidates:
        if candidate is not None and ASSIGNMENT.due(candidate, as_it_stood).due_on == (
            guessed_due_on
        ):
            return candidate
    return None


async def _recover_unrecorded_starts(uow: AidCenterUnitOfWork) -> None:
    """Give the notices stored before migration 0009 the start their due day was counted from,
    where the stored facts determine it (:func:`unrecorded_start`)."""
    rows = (
        await uow.session.execute(
            sa.select(
                notices.c.notice_id,
                notices.c.received_at,
                notices.c.accepted_at,
                notices.c.assignment_due_on,
            )
            .where(
                notices.c.assignment_due_provisional.is_(True),
                notices.c.assignment_started_at.is_(None),
                notices.c.assignment_due_on.is_not(None),
                notices.c.status.in_(WAITING),
            )
            .order_by(notices.c.notice_id)
            .with_for_update()
        )
    ).all()
    for row in rows:
        start = unrecorded_start(
            (row.received_at, row.accepted_at), row.assignment_due_on, uow.calendar
        )
        if start is not None:
            await uow.session.execute(
                sa.update(notices)
                .where(notices.c.notice_id == row.notice_id)
                .values(assignment_started_at=start)
            )


async def recount_subsidy_payments(uow: AidCenterUnitOfWork) -> int:
    """Count again the day due of every approved, unpaid subsidy counted on a guessed
    calendar; returns how many changed."""
    changed = 0
    rows = (
        await uow.session.execute(
            sa.select(
                subsidy_claims.c.claim_id,
                subsidy_claims.c.case_id,
                subsidy_claims.c.lawyer_id,
                subsidy_claims.c.suspect_id,
                subsidy_claims.c.approved_at,
                subsidy_claims.c.payment_days,
                subsidy_claims.c.payment_due_on,
                subsidy_claims.c.payment_due_missing_years,
            )
            .where(
                subsidy_claims.c.payment_due_provisional.is_(True),
                subsidy_claims.c.approved_at.is_not(None),
                subsidy_claims.c.paid_on.is_(None),
            )
            .order_by(subsidy_claims.c.claim_id)
            .with_for_update()
        )
    ).all()
    for row in rows:
        days = row.payment_days or uow.settings.subsidy_payment_days
        due = payment_due(row.approved_at, days, uow.calendar)
        missing = list(due.missing_years)
        if due.due_on == row.payment_due_on and missing == row.payment_due_missing_years:
            continue
        await uow.session.execute(
            sa.update(subsidy_claims)
            .where(subsidy_claims.c.claim_id == row.claim_id)
            .values(
                payment_due_on=due.due_on,
                payment_due_provisional=due.provisional,
                payment_due_missing_years=missing,
            )
        )
        await uow.publish(
            SubsidyPaymentDueRecounted(
                claim_id=row.claim_id,
                lawyer_id=row.lawyer_id,
                suspect_id=row.suspect_id,
                approved_at=row.approved_at,
                payment_due_on=due.due_on,
                previous_payment_due_on=row.payment_due_on,
                payment_due_provisional=due.provisional,
                payment_due_missing_years=due.missing_years,
                recounted_at=uow.now(),
            ),
            case_id=row.case_id,
        )
        changed += 1
    return changed


async def recount_provisional_periods(uow: AidCenterUnitOfWork) -> int:
    """Recount every running provisional assignment period and subsidy payment; returns how
    many changed."""
    changed = 0
    session = uow.session
    await session.execute(_LOCK)
    await _recover_unrecorded_starts(uow)
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
    return changed + await recount_subsidy_payments(uow)
