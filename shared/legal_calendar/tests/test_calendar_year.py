"""The calendar model: lookups, missing years, and the validation of an operator's upload."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from legal_calendar import (
    CalendarYear,
    CalendarYearMissing,
    InvalidCalendarYear,
    LegalCalendar,
    due_within_days,
    load_bundled_calendar,
    parse_calendar_year,
)

CALENDAR = load_bundled_calendar()
d = date.fromisoformat

# A made-up 2027 upload for the tests (NOT the official 2027 calendar).
UPLOAD_2027: dict[str, Any] = {
    "year": 2027,
    "holidays": ["2027-01-01", "2027-01-02", "2027-01-03"],
    "makeup_workdays": ["2027-02-20"],
    "source": "operator upload 2027-01-05 (test fixture)",
}


def upload(**changes: Any) -> str:
    return json.dumps(UPLOAD_2027 | changes)


@pytest.mark.parametrize(
    ("day", "working", "holiday"),
    [
        ("2024-02-09", True, False),  # Friday before the Spring Festival
        ("2024-02-10", False, True),  # Saturday inside the Spring Festival span
        ("2024-02-12", False, True),  # Monday inside the span
        ("2024-02-18", True, False),  # makeup Sunday
        ("2024-03-02", False, False),  # ordinary Saturday: a rest day, not a statutory holiday
        ("2024-03-04", True, False),  # ordinary Monday
        ("2025-10-11", True, False),  # makeup Saturday
        ("2025-10-06", False, True),  # Mid-Autumn inside National Day 2025
    ],
)
def test_working_days_and_statutory_holidays(day: str, working: bool, holiday: bool) -> None:
    assert CALENDAR.is_working_day(d(day)) is working
    assert CALENDAR.is_statutory_holiday(d(day)) is holiday


@pytest.mark.parametrize("day", ["2027-01-04", "2003-12-31", "2100-06-01"])
def test_a_date_in_a_year_without_data_raises(day: str) -> None:
    with pytest.raises(CalendarYearMissing) as raised:
        CALENDAR.is_working_day(d(day))
    assert raised.value.year == d(day).year
    with pytest.raises(CalendarYearMissing):
        CALENDAR.is_statutory_holiday(d(day))


def test_an_operator_upload_adds_next_year_without_a_release() -> None:
    year_2027 = parse_calendar_year(upload())
    calendar = CALENDAR.with_year(year_2027)
    assert 2027 in calendar.years
    assert 2027 not in CALENDAR.years  # the bundled calendar is unchanged
    assert calendar.is_working_day(d("2027-02-20"))  # makeup Saturday
    # 3 days from Tue 2026-12-29 end on holiday 2027-01-01; Sat/Sun follow: Mon 2027-01-04.
    assert due_within_days(d("2026-12-29"), 3, calendar) == d("2027-01-04")


def test_an_operator_upload_replaces_a_bundled_year() -> None:
    corrected = CalendarYear(
        year=2024,
        holidays=CALENDAR.years[2024].holidays | {d("2024-02-09")},
        makeup_workdays=CALENDAR.years[2024].makeup_workdays,
        source="operator upload 2024-02-01",
    )
    calendar = CALENDAR.with_year(corrected)
    assert not calendar.is_working_day(d("2024-02-09"))
    assert calendar.years[2024].source == "operator upload 2024-02-01"


def test_the_same_year_twice_is_refused() -> None:
    year_2027 = parse_calendar_year(upload())
    with pytest.raises(ValueError, match="2027 given twice"):
        LegalCalendar([year_2027, year_2027])


def test_upload_json_round_trips() -> None:
    year_2027 = parse_calendar_year(upload())
    assert parse_calendar_year(year_2027.to_json()) == year_2027
    assert json.loads(year_2027.to_json()) == UPLOAD_2027


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"holidays": ["2026-12-31", "2027-01-01"]},
            "holiday 2026-12-31 is outside the stated year 2027",
        ),
        (
            {"makeup_workdays": ["2028-01-08"]},
            "makeup workday 2028-01-08 is outside the stated year 2027",
        ),
        (
            {"makeup_workdays": ["2027-01-02"]},
            "2027-01-02 is listed both as a holiday and as a makeup workday",
        ),
        (
            {"makeup_workdays": ["2027-01-04"]},
            "makeup workday 2027-01-04 is a Monday",
        ),
        ({"holidays": []}, "holidays for 2027 are empty"),
        ({"holidays": ["2027-02-30"]}, "holidays.0:"),
        ({"source": ""}, "source:"),
        ({"year": "next"}, "year:"),
        ({"weekends": []}, "weekends:"),
    ],
)
def test_a_bad_upload_is_refused_naming_the_problem(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidCalendarYear) as raised:
        parse_calendar_year(upload(**changes))
    assert any(message in problem for problem in raised.value.problems), raised.value.problems
    assert message in str(raised.value)


def test_a_bad_upload_lists_every_problem_at_once() -> None:
    bad = upload(
        holidays=["2026-12-31", "2027-01-02"],
        makeup_workdays=["2027-01-02", "2027-01-05"],
    )
    with pytest.raises(InvalidCalendarYear) as raised:
        parse_calendar_year(bad)
    assert raised.value.problems == (
        "holiday 2026-12-31 is outside the stated year 2027",
        "2027-01-02 is listed both as a holiday and as a makeup workday",
        "makeup workday 2027-01-05 is a Tuesday: makeup workdays (调休上班) are Saturdays"
        " or Sundays",
    )


def test_missing_source_is_refused() -> None:
    body = {key: value for key, value in UPLOAD_2027.items() if key != "source"}
    with pytest.raises(InvalidCalendarYear, match="source: Field required"):
        parse_calendar_year(json.dumps(body))


def test_not_json_is_refused() -> None:
    with pytest.raises(InvalidCalendarYear, match="Invalid JSON"):
        parse_calendar_year("year: 2027")
