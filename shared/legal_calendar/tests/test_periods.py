"""Period arithmetic on real dates. Every expected date was worked out by hand from the State
Council's holiday notices (国务院办公厅关于部分节假日安排的通知) for the year:

- 2024 Spring Festival: off 02-10 (Sat) .. 02-17 (Sat); makeup workdays Sun 02-04 and Sun 02-18.
- 2025 National Day + Mid-Autumn: off 10-01 .. 10-08; makeup workdays Sun 09-28 and Sat 10-11.
- 2025 Tomb-sweeping 04-04..04-06; Labour Day 05-01..05-05; Dragon Boat 05-31..06-02.
- 2026 New Year: off 01-01 .. 01-03; makeup workday Sun 01-04.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from legal_calendar import (
    LEGAL_TIMEZONE,
    CalendarDays,
    CalendarYearMissing,
    Deadline,
    Months,
    WorkingDays,
    add_months,
    closes_at,
    compute_deadline,
    due_after_months,
    due_within_days,
    due_within_working_days,
    legal_date,
    load_bundled_calendar,
)

CALENDAR = load_bundled_calendar()
d = date.fromisoformat


# --- "within 3 days" (CPL Art. 105; Measures Art. 3, 4) -------------------------------------

WITHIN_DAYS = [
    # trigger, days, due, why
    ("2024-02-06", 3, "2024-02-09", "Fri 02-09 is a working day: the Spring Festival starts 02-10"),
    (
        "2024-02-07",
        3,
        "2024-02-18",
        "Sat 02-10 is a holiday: first working day is makeup Sun 02-18",
    ),
    ("2024-02-08", 3, "2024-02-18", "day 3 is Sun 02-11 in the holiday: moved to makeup Sun 02-18"),
    ("2024-02-12", 3, "2024-02-18", "trigger inside the holiday; day 3 is 02-15, still holiday"),
    ("2025-09-25", 3, "2025-09-28", "day 3 is makeup Sun 09-28: a working day, no move"),
    ("2025-09-27", 3, "2025-09-30", "holidays start after the last day: no effect"),
    ("2025-09-29", 3, "2025-10-09", "day 3 is 10-02 in National Day: first working day is 10-09"),
    ("2025-10-08", 3, "2025-10-11", "day 3 is makeup Sat 10-11: a working day"),
    ("2025-03-07", 3, "2025-03-10", "Friday trigger, day 3 a Monday: the weekend inside counts"),
    ("2025-03-05", 3, "2025-03-10", "day 3 is an ordinary Saturday: moved to Monday"),
    ("2025-03-06", 3, "2025-03-10", "day 3 is an ordinary Sunday: moved to Monday"),
    ("2025-12-29", 3, "2026-01-04", "across the year: 01-01..01-03 off, makeup Sun 01-04"),
    ("2025-04-30", 10, "2025-05-12", "expedited 10 days: 05-10 Sat, moved to Mon 05-12"),
    ("2025-05-21", 10, "2025-06-03", "day 10 is Sat 05-31, Dragon Boat 05-31..06-02: Tue 06-03"),
]


@pytest.mark.parametrize(("trigger", "days", "due", "why"), WITHIN_DAYS)
def test_due_within_days(trigger: str, days: int, due: str, why: str) -> None:
    assert due_within_days(d(trigger), days, CALENDAR) == d(due), why


# --- "within 3 working days" (Measures Art. 8) ----------------------------------------------

WITHIN_WORKING_DAYS = [
    ("2025-03-06", 3, "2025-03-11", "Fri 03-07, Mon 03-10, Tue 03-11"),
    ("2025-03-08", 3, "2025-03-12", "Saturday trigger: Mon, Tue, Wed"),
    ("2024-02-08", 3, "2024-02-19", "Fri 02-09, makeup Sun 02-18, Mon 02-19"),
    ("2025-09-26", 3, "2025-09-30", "makeup Sun 09-28, Mon 09-29, Tue 09-30"),
    ("2025-09-30", 3, "2025-10-11", "10-01..10-08 off: Thu 10-09, Fri 10-10, makeup Sat 10-11"),
    ("2025-12-30", 3, "2026-01-05", "Wed 12-31, makeup Sun 01-04, Mon 01-05"),
    ("2024-02-02", 1, "2024-02-04", "one working day after a Friday: makeup Sun 02-04"),
]


@pytest.mark.parametrize(("trigger", "days", "due", "why"), WITHIN_WORKING_DAYS)
def test_due_within_working_days(trigger: str, days: int, due: str, why: str) -> None:
    assert due_within_working_days(d(trigger), days, CALENDAR) == d(due), why


# --- months (CPL Art. 172 review period, Art. 175 supplementary investigation) ---------------

ADD_MONTHS = [
    ("2025-03-15", 1, "2025-04-15"),
    ("2025-12-15", 1, "2026-01-15"),
    ("2025-01-31", 1, "2025-02-28"),  # 02-31 does not exist: last day of February
    ("2025-01-30", 1, "2025-02-28"),
    ("2024-01-31", 1, "2024-02-29"),  # leap year
    ("2024-01-29", 1, "2024-02-29"),  # the same day exists in a leap year
    ("2023-01-29", 1, "2023-02-28"),
    ("2024-02-28", 1, "2024-03-28"),  # not the last day of a leap February
    ("2024-02-29", 1, "2024-03-31"),  # the last day of the month -> the last day of the next
    ("2023-02-28", 1, "2023-03-31"),
    ("2025-04-30", 1, "2025-05-31"),
    ("2025-03-31", 1, "2025-04-30"),
    ("2025-03-30", 1, "2025-04-30"),
    ("2024-12-31", 2, "2025-02-28"),
    ("2024-02-29", 12, "2025-02-28"),
]


@pytest.mark.parametrize(("start", "months", "end"), ADD_MONTHS)
def test_add_months(start: str, months: int, end: str) -> None:
    assert add_months(d(start), months) == d(end)


DUE_AFTER_MONTHS = [
    # trigger, months, extra days, due, why
    ("2025-04-07", 1, 0, "2025-05-07", "Wed 05-07 is a working day"),
    ("2025-01-31", 1, 0, "2025-02-28", "no 02-31: Fri 02-28"),
    ("2024-01-31", 1, 0, "2024-02-29", "leap year: Thu 02-29"),
    ("2024-02-29", 1, 0, "2024-04-01", "last day of month -> Sun 03-31 -> Mon 04-01"),
    ("2025-02-28", 1, 0, "2025-03-31", "last day of month -> Mon 03-31"),
    ("2025-09-01", 1, 0, "2025-10-09", "10-01 is National Day: first working day Thu 10-09"),
    ("2024-01-15", 1, 0, "2024-02-18", "02-15 in the Spring Festival: makeup Sun 02-18"),
    ("2025-04-04", 1, 0, "2025-05-06", "05-04 in Labour Day (05-01..05-05): Tue 05-06"),
    ("2025-04-30", 1, 0, "2025-06-03", "05-31 in Dragon Boat (05-31..06-02): Tue 06-03"),
    ("2025-09-01", 1, 15, "2025-10-16", "major/complex: 10-01 + 15 = Thu 10-16"),
    ("2024-01-15", 1, 15, "2024-03-01", "major/complex: 02-15 + 15 = Fri 03-01"),
    ("2025-02-07", 1, 15, "2025-03-24", "03-07 + 15 = Sat 03-22 -> Mon 03-24"),
]


@pytest.mark.parametrize(("trigger", "months", "extra", "due", "why"), DUE_AFTER_MONTHS)
def test_due_after_months(trigger: str, months: int, extra: int, due: str, why: str) -> None:
    assert due_after_months(d(trigger), months, CALENDAR, extra_days=extra) == d(due), why


def test_holiday_rule_applies_to_the_end_of_the_extended_period_only() -> None:
    # One month from 09-01 ends on holiday 10-01 (-> 10-09), but the 15 days run from 10-01:
    # Art. 105 moves the last day of the whole period, not an intermediate one.
    assert due_after_months(d("2025-09-01"), 1, CALENDAR) == d("2025-10-09")
    assert due_after_months(d("2025-09-01"), 1, CALENDAR, extra_days=15) == d("2025-10-16")


# --- years without data: strict raises, provisional says so ----------------------------------

MISSING_2027 = [
    # trigger, period, provisional due, why
    ("2026-12-29", CalendarDays(3), "2027-01-04", "Fri 01-01 is New Year's Day -> Mon 01-04"),
    ("2026-12-31", CalendarDays(3), "2027-01-04", "Sun 2027-01-03 -> Mon 2027-01-04"),
    ("2026-12-30", WorkingDays(3), "2027-01-05", "Thu 12-31, (Fri 01-01 holiday), Mon, Tue"),
    ("2026-12-01", Months(1), "2027-01-04", "one month from 12-01 is New Year's Day"),
    ("2027-03-01", CalendarDays(3), "2027-03-04", "trigger itself in 2027"),
    ("2027-04-28", CalendarDays(3), "2027-05-03", "Sat 05-01, Sun 05-02 -> Mon 05-03"),
    ("2027-04-29", CalendarDays(3), "2027-05-03", "Labour Day Sat 05-01 to Sun 05-02"),
    ("2027-09-28", CalendarDays(3), "2027-10-04", "Fri 10-01 National Day to Sun -> Mon"),
    ("2027-09-29", WorkingDays(2), "2027-10-04", "Thu 09-30, (Fri 10-01 holiday), Mon 10-04"),
]


@pytest.mark.parametrize(("trigger", "period", "due", "why"), MISSING_2027)
def test_strict_computation_in_a_year_without_data_raises(
    trigger: str, period: CalendarDays | WorkingDays | Months, due: str, why: str
) -> None:
    with pytest.raises(CalendarYearMissing) as raised:
        compute_deadline(d(trigger), period, CALENDAR)
    assert raised.value.year == 2027
    assert "2027" in str(raised.value)


@pytest.mark.parametrize(("trigger", "period", "due", "why"), MISSING_2027)
def test_provisional_computation_falls_back_to_weekends_and_fixed_date_holidays(
    trigger: str, period: CalendarDays | WorkingDays | Months, due: str, why: str
) -> None:
    deadline = compute_deadline(d(trigger), period, CALENDAR, allow_provisional=True)
    assert deadline.due_on == d(due), why
    assert deadline.provisional
    assert deadline.missing_years == (2027,)


def test_strict_wrappers_raise_for_a_missing_year() -> None:
    with pytest.raises(CalendarYearMissing):
        due_within_days(d("2026-12-29"), 3, CALENDAR)
    with pytest.raises(CalendarYearMissing):
        due_within_working_days(d("2026-12-30"), 3, CALENDAR)
    with pytest.raises(CalendarYearMissing):
        due_after_months(d("2026-12-01"), 1, CALENDAR)


def test_a_deadline_that_never_looks_into_the_missing_year_is_exact() -> None:
    # Mon 12-28 is day 3 of a trigger on Fri 12-25; 2027 is never consulted.
    deadline = compute_deadline(d("2026-12-25"), CalendarDays(3), CALENDAR, allow_provisional=True)
    assert deadline.due_on == d("2026-12-28")
    assert not deadline.provisional
    assert deadline.missing_years == ()
    assert due_within_working_days(d("2026-12-28"), 3, CALENDAR) == d("2026-12-31")


def test_deadline_records_what_it_was_computed_from() -> None:
    deadline = compute_deadline(d("2024-02-08"), CalendarDays(3), CALENDAR)
    assert deadline == Deadline(
        trigger=d("2024-02-08"), period=CalendarDays(3), due_on=d("2024-02-18")
    )
    assert str(deadline.period) == "3 days"
    assert str(WorkingDays(3)) == "3 working days"
    assert str(Months(1, extra_days=15)) == "1 month + 15 days"


@pytest.mark.parametrize(
    "make",
    [lambda: CalendarDays(0), lambda: WorkingDays(-1), lambda: Months(0), lambda: Months(1, -1)],
)
def test_nonsense_periods_are_rejected(make: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        make()


# --- invariants over every bundled day -------------------------------------------------------


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@pytest.mark.parametrize("days", [3, 10, 15])
def test_within_days_ends_on_the_first_working_day_from_the_nth_day(days: int) -> None:
    for trigger in _days(d("2004-01-01"), d("2026-12-01")):
        due = due_within_days(trigger, days, CALENDAR)
        nth_day = trigger + timedelta(days=days)
        assert CALENDAR.is_working_day(due), trigger
        assert not any(CALENDAR.is_working_day(x) for x in _days(nth_day, due)[:-1]), trigger


def test_within_working_days_ends_on_the_third_working_day_after() -> None:
    for trigger in _days(d("2004-01-01"), d("2026-12-01")):
        due = due_within_working_days(trigger, 3, CALENDAR)
        after = _days(trigger + timedelta(days=1), due)
        assert CALENDAR.is_working_day(due), trigger
        assert sum(CALENDAR.is_working_day(x) for x in after) == 3, trigger


# --- the instant a period closes --------------------------------------------------------------


def test_a_period_closes_at_the_start_of_the_next_day_in_shanghai() -> None:
    assert closes_at(d("2024-02-18")) == datetime(2024, 2, 19, tzinfo=LEGAL_TIMEZONE)
    assert closes_at(d("2024-02-18")) == datetime(2024, 2, 18, 16, 0, tzinfo=UTC)
    assert closes_at(d("2024-12-31")) == datetime(2025, 1, 1, tzinfo=LEGAL_TIMEZONE)


def test_an_act_is_in_time_strictly_before_the_period_closes() -> None:
    deadline = compute_deadline(d("2024-02-08"), CalendarDays(3), CALENDAR)
    assert deadline.is_met_by(datetime(2024, 2, 18, 23, 59, 59, 999999, tzinfo=LEGAL_TIMEZONE))
    assert deadline.is_met_by(datetime(2024, 2, 18, 15, 59, 59, tzinfo=UTC))
    assert not deadline.is_met_by(datetime(2024, 2, 18, 16, 0, tzinfo=UTC))
    assert not deadline.is_met_by(datetime(2024, 2, 19, tzinfo=LEGAL_TIMEZONE))


def test_a_naive_instant_is_refused() -> None:
    deadline = compute_deadline(d("2024-02-08"), CalendarDays(3), CALENDAR)
    with pytest.raises(ValueError, match="no time zone"):
        deadline.is_met_by(datetime(2024, 2, 18, 12, 0))


def test_the_trigger_day_is_the_shanghai_date_of_the_event() -> None:
    # 16:30 UTC on 02-07 is 00:30 on 02-08 in Shanghai.
    assert legal_date(datetime(2024, 2, 7, 16, 30, tzinfo=UTC)) == d("2024-02-08")
    assert legal_date(datetime(2024, 2, 7, 15, 59, tzinfo=UTC)) == d("2024-02-07")
    with pytest.raises(ValueError, match="no time zone"):
        legal_date(datetime(2024, 2, 7, 12, 0))


def test_a_datetime_trigger_is_refused() -> None:
    with pytest.raises(TypeError, match="legal_date"):
        compute_deadline(datetime(2024, 2, 8, 9, 0, tzinfo=UTC), CalendarDays(3), CALENDAR)
