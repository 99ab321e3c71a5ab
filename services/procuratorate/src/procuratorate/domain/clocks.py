"""The procuratorate's clocks: which statutory period each duty runs on (domain "Periods and
days"). The arithmetic itself is `legal_calendar.compute_deadline`; this module only chooses
the period."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from uuid import UUID

from defense_schemas.events.common import SuspectParticulars
from defense_schemas.vocabulary import ClockKind, CustodyStatus, SentenceBand
from legal_calendar import (
    CalendarDays,
    Deadline,
    LegalCalendar,
    Months,
    Period,
    add_months,
    compute_deadline,
)
from legal_calendar.deadlines import ASSIGNMENT, FILE_REVIEW, LETTER, RIGHTS_NOTIFICATION
from procuratorate.domain.eligibility import ADULT_AGE, age_on

EXTENSION_DAYS = 15
"""CPL Art. 172: a major or complex case may be extended by 15 days."""

MAX_SUPPLEMENTARY_INVESTIGATIONS = 2
"""CPL Art. 175: at most two returns for supplementary investigation."""


def review_period(*, extended: bool = False) -> Months:
    """CPL Art. 172: one month, or one month and 15 days after an extension."""
    return Months(1, extra_days=EXTENSION_DAYS if extended else 0)


def case_review_period(
    *, extended: bool, expedited: bool, people: Iterable[SuspectParticulars]
) -> Period:
    """The period the case's review runs on now: the expedited procedure's days, one month and
    15 days after an extension, else one month (CPL Art. 172). Counted from the receipt."""
    if expedited:
        return expedited_review_period(p.likely_sentence for p in people)
    return review_period(extended=extended)


EXPEDITED_SENTENCE_BANDS = (SentenceBand.ONE_YEAR_OR_LESS, SentenceBand.OVER_1_UNDER_3_YEARS)
"""CPL Art. 222: the expedited procedure is for cases likely to be sentenced to three years'
fixed-term imprisonment or less."""


def expedited_review_period(likely_sentences: Iterable[SentenceBand]) -> CalendarDays:
    """CPL Art. 172: expedited (速裁) cases 10 days, 15 where a sentence over one year is likely.
    Only the bands the procedure allows (CPL Art. 222) have a period."""
    bands = tuple(likely_sentences)
    beyond = [band for band in bands if band not in EXPEDITED_SENTENCE_BANDS]
    if beyond:
        raise ValueError(f"no expedited procedure for a likely sentence of {beyond[0].value}")
    over_one_year = SentenceBand.OVER_1_UNDER_3_YEARS in bands
    return CalendarDays(15 if over_one_year else 10)


def expedited_refusal(
    suspects: Sequence[SuspectParticulars], *, social_impact: bool, received_on: date
) -> tuple[str, UUID | None] | None:
    """Why the expedited procedure (速裁程序) is not available for the case, naming the suspect,
    or None when it is (CPL Art. 222-223). Every suspect counts: a co-suspect who does not
    plead excludes the whole case (CPL Art. 223(5))."""
    if social_impact:
        return "the case may cause major social impact (CPL Art. 223(4))", None
    for suspect in suspects:
        sid = suspect.suspect_id
        if not suspect.pleads_guilty:
            return (
                f"suspect {sid} does not admit guilt and accept punishment (认罪认罚, "
                "CPL Art. 222, 223(5))",
                sid,
            )
        if suspect.likely_sentence not in EXPEDITED_SENTENCE_BANDS:
            return (
                f"suspect {sid} may be sentenced to more than three years (CPL Art. 222)",
                sid,
            )
        if age_on(suspect.birth_date, suspect.minority_judged_on(received_on)) < ADULT_AGE:
            return f"suspect {sid} is a minor (CPL Art. 223(3))", sid
        if suspect.disabilities or suspect.limited_capacity:
            return (
                f"suspect {sid} is visually, hearing or speech disabled, or cannot fully "
                "recognise or control their conduct (CPL Art. 223(1))",
                sid,
            )
    return None


def review_deadline(
    trigger: date, period: Period, calendar: LegalCalendar, *, in_custody: bool
) -> Deadline:
    """The review period's last day (CPL Art. 172, 175), counted by CPL Art. 105.

    Reading applied: Art. 105 ¶4 moves a period's last day off a holiday, but its proviso says
    a suspect's period in custody (犯罪嫌疑人、被告人或者罪犯在押期间) must not be extended on
    account of holidays. The review period of a case with a suspect detained (羁押) is such a
    period — it bounds how long that suspect is held before the decision — so it ends on its
    calendar day even when that is a holiday. A case whose suspects are all at liberty (bail,
    residential surveillance, no measure) keeps the roll-forward. One case has one review
    period, so one detained co-suspect is enough: the stricter day binds the procuratorate.
    """
    if not in_custody:
        return deadline(trigger, period, calendar)
    match period:
        case CalendarDays(days=n):
            last_day = trigger + timedelta(days=n)
        case Months(months=n, extra_days=extra):
            last_day = add_months(trigger, n) + timedelta(days=extra)
        case _:
            # Working-day periods are not custody periods: the calendar decides.
            return deadline(trigger, period, calendar)
    # The calendar plays no part: nothing provisional about it.
    return Deadline(trigger=trigger, period=period, due_on=last_day)


def in_custody(suspects: Iterable[SuspectParticulars]) -> bool:
    """Any suspect of the case detained (在押): the custody reading of CPL Art. 105 applies."""
    return any(s.custody_status is CustodyStatus.DETAINED for s in suspects)


def deadline(trigger: date, period: Period, calendar: LegalCalendar) -> Deadline:
    """The deadline, provisional (and saying so) when the calendar lacks a year: the clock is
    never silently guessed, and it is recomputed when an operator loads the year."""
    return compute_deadline(trigger, period, calendar, allow_provisional=True)


CLOCK_PERIODS: dict[ClockKind, Period] = {
    ClockKind.RIGHTS_NOTIFICATION: RIGHTS_NOTIFICATION.period,
    ClockKind.NOTICE_DISPATCH: LETTER.period,
    ClockKind.ASSIGNMENT: ASSIGNMENT.period,
    ClockKind.FILE_REVIEW: FILE_REVIEW.period,
}
"""The clocks counted from their start by a period the shared definitions give
(``legal_calendar.deadlines``); the review period's length depends on the case."""
