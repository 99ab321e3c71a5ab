"""A notice stored before its period's start was recorded (migration 0009) gets back the start
its guessed due day was counted from, when the stored facts determine it — pure, no I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime

from aid_center.calendar_recount import unrecorded_start
from legal_calendar import CalendarYear, load_bundled_calendar

YEAR_2027 = CalendarYear(
    year=2027,
    holidays=[date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3), date(2027, 1, 4)],
    makeup_workdays=[],
    source="test",
)
LOADED = load_bundled_calendar().with_year(YEAR_2027)
RECEIVED = datetime(2026, 12, 30, 2, 0, tzinfo=UTC)  # Wednesday; day 3 is Saturday 2 January
SUPPLEMENTED = datetime(2026, 12, 31, 3, 0, tzinfo=UTC)  # Thursday; day 3 is Sunday 3 January


def test_a_letter_accepted_on_receipt_counted_from_its_receipt() -> None:
    # Guessed then: Saturday 2 January 2027 rolled to Monday 4 January.
    assert unrecorded_start((RECEIVED, RECEIVED), date(2027, 1, 4), LOADED) == RECEIVED


def test_a_letter_completed_by_a_supplement_counted_from_the_supplement() -> None:
    # From Friday 1 January the third day is Monday 4 January... from Thursday too; from
    # Saturday 2 January, the guess was Tuesday 5 January: only the supplement explains it.
    later = datetime(2027, 1, 1, 23, 0, tzinfo=UTC)  # Saturday 2 January, 07:00 in Tianjin
    assert unrecorded_start((RECEIVED, later), date(2027, 1, 5), LOADED) == later


def test_a_due_day_no_stored_instant_explains_is_left_alone() -> None:
    assert unrecorded_start((RECEIVED, SUPPLEMENTED), date(2027, 1, 12), LOADED) is None
    assert unrecorded_start((RECEIVED, None), date(2027, 1, 12), LOADED) is None
