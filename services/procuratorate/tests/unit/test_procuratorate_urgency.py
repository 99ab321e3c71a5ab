"""How pressing an open clock is (今日工作): a pure rule of legal days, checked on examples and
on generated instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from legal_calendar import LEGAL_TIMEZONE, closes_at
from procuratorate.domain.ledger import Urgency, urgency
from procuratorate.domain.statistics import ClockRecord, is_overdue

DUE = date(2026, 3, 5)


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LEGAL_TIMEZONE)


def test_the_due_day_and_the_days_before_it() -> None:
    close = closes_at(DUE)
    assert urgency(DUE, close, at(DUE, 23), 1) is Urgency.DUE_TODAY
    assert urgency(DUE, close, at(DUE - timedelta(days=1), 9), 1) is Urgency.APPROACHING
    assert urgency(DUE, close, at(DUE - timedelta(days=2), 9), 1) is Urgency.LATER
    assert urgency(DUE, close, at(DUE - timedelta(days=2), 9), 2) is Urgency.APPROACHING
    # 00:00 after the due day, Beijing time, it is overdue — though it is still the due day
    # in UTC.
    midnight = at(DUE + timedelta(days=1), 0)
    assert midnight.astimezone(UTC).date() == DUE
    assert urgency(DUE, close, midnight, 1) is Urgency.OVERDUE


@given(
    due=st.dates(date(2024, 1, 1), date(2030, 12, 31)),
    offset=st.integers(-10 * 24 * 60, 10 * 24 * 60),
    approaching_days=st.integers(1, 30),
)
def test_overdue_exactly_when_the_statistics_say_so(
    due: date, offset: int, approaching_days: int
) -> None:
    close = closes_at(due)
    now = close + timedelta(minutes=offset)
    found = urgency(due, close, now, approaching_days)
    record = ClockRecord(kind="", closes_at=close, met_at=None, cancelled=False)
    assert (found is Urgency.OVERDUE) == is_overdue(record, now)
    left = (due - now.astimezone(LEGAL_TIMEZONE).date()).days
    if found is not Urgency.OVERDUE:
        assert found is (
            Urgency.DUE_TODAY
            if left == 0
            else Urgency.APPROACHING
            if left <= approaching_days
            else Urgency.LATER
        )
