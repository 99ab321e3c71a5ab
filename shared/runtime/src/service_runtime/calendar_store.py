"""The legal calendar as data the service owns: bundled years, corrected by operators.

The bundled files (seeded from chinese-calendar, 2004–2026) are the starting point; a year an
operator uploads (next year's official schedule, or a correction) is stored in the service's
database and wins over the bundled data. Loading next year needs no release.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from legal_calendar import CalendarYear, LegalCalendar, load_bundled_calendar, parse_calendar_year


def add_calendar_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "legal_calendar_years",
        metadata,
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("data", sa.Text, nullable=False, comment="CalendarYear JSON"),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


async def load_calendar(session: AsyncSession, table: sa.Table) -> LegalCalendar:
    calendar = load_bundled_calendar()
    for data in (await session.scalars(sa.select(table.c.data).order_by(table.c.year))).all():
        calendar = calendar.with_year(parse_calendar_year(data))
    return calendar


async def store_calendar_year(
    session: AsyncSession, table: sa.Table, calendar_year: CalendarYear
) -> None:
    data = calendar_year.to_json()
    await session.execute(
        pg_insert(table)
        .values(year=calendar_year.year, data=data)
        .on_conflict_do_update(
            index_elements=[table.c.year], set_={"data": data, "loaded_at": sa.func.now()}
        )
    )
