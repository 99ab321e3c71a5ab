"""The procuratorate's calendar events, as a follower applies them: whatever the order and the
repetitions in which it reads a year's revisions, it ends on the highest one (README,
"Replicas": calendar changes across services)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from defense_messaging import PermanentEventError
from defense_schemas.events.procuratorate import LegalCalendarYearLoaded
from legal_calendar import CalendarYear
from service_runtime.calendar_events import calendar_year_of
from service_runtime.calendar_store import add_calendar_table, follow_calendar_year

LOADED_AT = datetime(2026, 12, 1, tzinfo=UTC)


def _revision(number: int) -> CalendarYear:
    """Revision ``number`` of 2027: each one a different calendar."""
    return CalendarYear(year=2027, holidays=frozenset({date(2027, 1, number)}), source=f"r{number}")


def test_a_year_that_does_not_hold_together_is_a_dead_letter() -> None:
    forged = LegalCalendarYearLoaded(
        year=2027,
        holidays=(date(2028, 1, 1),),
        source="forged",
        revision=1,
        loaded_at=LOADED_AT,
    )
    with pytest.raises(PermanentEventError, match="outside the stated year"):
        calendar_year_of(forged)


@pytest.fixture(scope="module")
async def calendar_database(scratch_database: Callable[[str], Any]) -> AsyncIterator[str]:
    url = await scratch_database("calendar_revisions")
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: _table().metadata.create_all(sync))
    await engine.dispose()
    yield url


def _table() -> sa.Table:
    return add_calendar_table(sa.MetaData())


@pytest.mark.integration
@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=8))
async def test_a_follower_ends_on_the_highest_revision_in_any_order(
    calendar_database: str, deliveries: list[int]
) -> None:
    table = _table()
    engine = create_async_engine(calendar_database)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.delete(table))
        stored_when: list[bool] = []
        for number in deliveries:
            async with AsyncSession(engine) as session, session.begin():
                stored_when.append(
                    await follow_calendar_year(
                        session, table, _revision(number), revision=number, loaded_at=LOADED_AT
                    )
                )
        async with engine.connect() as conn:
            row = (await conn.execute(sa.select(table.c.revision, table.c.data))).one()
    finally:
        await engine.dispose()
    assert row.revision == max(deliveries)
    assert row.data == _revision(max(deliveries)).to_json()
    # Stored exactly when it was newer than everything read before; a repeat changes nothing.
    assert stored_when == [
        number > max(deliveries[:index], default=0) for index, number in enumerate(deliveries)
    ]
