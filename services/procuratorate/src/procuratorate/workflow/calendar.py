"""A calendar year loaded: the procuratorate's provisional clocks are counted again.

A clock whose due day was guessed (a year it needed had no official calendar) is recounted from
its trigger day with the period the shared definitions give its kind
(``procuratorate.domain.clocks.CLOCK_PERIODS``): the due day, the instant the period closes,
and the years still missing change together. Run in every replica after a calendar change
(``service_runtime.calendar_watch``), one at a time under a transaction-scoped advisory lock,
and only on clocks still open and provisional, so a second replica finds nothing left to do.

The review period is recounted too (:func:`recount_review_deadlines`), from the receipt by the
period the case runs on now (one month, its extension, or the expedited procedure's days) and the
custody reading of CPL Art. 105. Its last day was published to the other services
(``CaseReceived.review_deadline``), so a day that moves, or stops being a guess, is published
again as ``ReviewDeadlineRecounted``.
"""

from __future__ import annotations

from defense_schemas.events.procuratorate import ReviewDeadlineRecounted
from defense_schemas.vocabulary import ClockKind
from legal_calendar import legal_date
from procuratorate.domain.clocks import (
    CLOCK_PERIODS,
    case_review_period,
    deadline,
    in_custody,
    review_deadline,
)
from procuratorate.unit_of_work import ProcuratorateUnitOfWork
from procuratorate.workflow.common import case_people


async def recount_provisional_clocks(uow: ProcuratorateUnitOfWork) -> int:
    """Recount every open provisional clock of a counted kind; returns how many changed.
    Takes the recount's lock for the transaction (see the module's docstring)."""
    changed = 0
    await uow.cases.lock_recount()
    for row in await uow.cases.provisional_clocks(CLOCK_PERIODS):
        due = deadline(row.trigger_on, CLOCK_PERIODS[ClockKind(row.kind)], uow.calendar)
        if due.due_on == row.due_on and list(due.missing_years) == list(row.missing_years):
            continue
        await uow.cases.recount_clock(row.clock_id, due)
        changed += 1
    return changed


async def recount_review_deadlines(uow: ProcuratorateUnitOfWork) -> int:
    """Recount the review period of every case under review whose last day was guessed; a day
    that moved, or is no longer a guess, is stored (the case and its clock) and published.
    Returns how many changed. Run after :func:`recount_provisional_clocks`, under its lock."""
    changed = 0
    for case in await uow.cases.provisional_review_periods():
        people = await case_people(uow, case.case_id)
        try:
            period = case_review_period(
                extended=case.extended, expedited=case.expedited, people=people
            )
        except ValueError:
            # The facts no longer fit the expedited procedure: its day is left as decided.
            continue
        received_on = legal_date(case.received_at)
        due = review_deadline(received_on, period, uow.calendar, in_custody=in_custody(people))
        if due.due_on == case.review_deadline and list(due.missing_years) == list(
            case.review_deadline_missing_years
        ):
            continue
        previous = case.review_deadline
        await uow.cases.set_review_deadline(case.case_id, due)
        await uow.emit(
            ReviewDeadlineRecounted(
                counted_from=received_on,
                review_deadline=due.due_on,
                previous_review_deadline=previous,
                review_deadline_provisional=due.provisional,
                review_deadline_missing_years=due.missing_years,
                recounted_at=uow.now(),
            ),
            case_id=case.case_id,
        )
        changed += 1
    return changed
