"""The procuratorate's clocks: which statutory period each duty runs on (domain "Periods and
days"). The arithmetic itself is `legal_calendar.compute_deadline`; this module only chooses
the period."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from defense_schemas.vocabulary import ClockKind, SentenceBand
from legal_calendar import (
    CalendarDays,
    Deadline,
    LegalCalendar,
    Months,
    Period,
    WorkingDays,
    compute_deadline,
)

THREE_DAYS = CalendarDays(3)
"""Measures Art. 3 / CPL Art. 34: rights notification and the notice-of-defense letter."""

FILE_REVIEW = WorkingDays(3)
"""Measures Art. 8: a deferred file review within 3 working days."""

EXTENSION_DAYS = 15
"""CPL Art. 172: a major or complex case may be extended by 15 days."""

MAX_SUPPLEMENTARY_INVESTIGATIONS = 2
"""CPL Art. 175: at most two returns for supplementary investigation."""


def review_period(*, extended: bool = False) -> Months:
    """CPL Art. 172: one month, or one month and 15 days after an extension."""
    return Months(1, extra_days=EXTENSION_DAYS if extended else 0)


def expedited_review_period(likely_sentences: Iterable[SentenceBand]) -> CalendarDays:
    """CPL Art. 172: expedited (速裁) cases 10 days, 15 where a sentence over one year is likely."""
    over_one_year = any(band is not SentenceBand.ONE_YEAR_OR_LESS for band in likely_sentences)
    return CalendarDays(15 if over_one_year else 10)


def deadline(trigger: date, period: Period, calendar: LegalCalendar) -> Deadline:
    """The deadline, provisional (and saying so) when the calendar lacks a year: the clock is
    never silently guessed, and it is recomputed when an operator loads the year."""
    return compute_deadline(trigger, period, calendar, allow_provisional=True)


CLOCK_PERIODS: dict[ClockKind, Period] = {
    ClockKind.RIGHTS_NOTIFICATION: THREE_DAYS,
    ClockKind.NOTICE_DISPATCH: THREE_DAYS,
    ClockKind.FILE_REVIEW: FILE_REVIEW,
}
