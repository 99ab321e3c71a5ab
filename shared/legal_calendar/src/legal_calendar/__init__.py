"""PRC legal calendar and statutory period arithmetic (CPL Art. 105, Measures Art. 8).

Pure functions over an immutable :class:`LegalCalendar`; the only I/O is
:func:`load_bundled_calendar`, which reads the package's ``data/<year>.json`` files.
"""

from legal_calendar.bundled import bundled_calendar_years, load_bundled_calendar
from legal_calendar.calendar import (
    CalendarYear,
    CalendarYearMissing,
    InvalidCalendarYear,
    LegalCalendar,
    parse_calendar_year,
)
from legal_calendar.periods import (
    LEGAL_TIMEZONE,
    CalendarDays,
    Deadline,
    Months,
    Period,
    WorkingDays,
    add_months,
    closes_at,
    compute_deadline,
    due_after_months,
    due_within_days,
    due_within_working_days,
    legal_date,
)

__all__ = [
    "LEGAL_TIMEZONE",
    "CalendarDays",
    "CalendarYear",
    "CalendarYearMissing",
    "Deadline",
    "InvalidCalendarYear",
    "LegalCalendar",
    "Months",
    "Period",
    "WorkingDays",
    "add_months",
    "bundled_calendar_years",
    "closes_at",
    "compute_deadline",
    "due_after_months",
    "due_within_days",
    "due_within_working_days",
    "legal_date",
    "load_bundled_calendar",
    "parse_calendar_year",
]
