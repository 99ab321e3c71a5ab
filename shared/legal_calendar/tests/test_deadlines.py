"""The statutory periods defined once (legal_calendar.deadlines)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from legal_calendar import load_bundled_calendar
from legal_calendar.deadlines import ASSIGNMENT, assignment_started_at, closed_by

CALENDAR = load_bundled_calendar()
SENT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Tianjin


def test_the_assignment_period_runs_three_days_from_the_letters_receipt() -> None:
    assert ASSIGNMENT.due(SENT, CALENDAR).due_on == date(2026, 3, 5)
    # Friday's letter: the third day is a Monday (weekend days inside the period count).
    friday = datetime(2026, 3, 6, 1, 0, tzinfo=UTC)
    assert ASSIGNMENT.due(friday, CALENDAR).due_on == date(2026, 3, 9)


def test_a_completing_supplement_restarts_the_period() -> None:
    supplemented = SENT + timedelta(days=7)
    assert assignment_started_at(SENT, None) == SENT
    assert assignment_started_at(SENT, supplemented) == supplemented
    assert ASSIGNMENT.due(assignment_started_at(SENT, supplemented), CALENDAR).due_on == date(
        2026, 3, 12
    )


@given(
    st.datetimes(
        timezones=st.just(UTC), min_value=datetime(2020, 1, 1), max_value=datetime(2026, 12, 1)
    ),
    st.timedeltas(min_value=timedelta(days=-30), max_value=timedelta(days=30)),
)
def test_a_stopping_fact_closes_the_period_iff_it_happened_at_or_after_the_start(
    started: datetime, offset: timedelta
) -> None:
    assert closed_by(started, started + offset) is (offset >= timedelta(0))
    assert not closed_by(started, None)
