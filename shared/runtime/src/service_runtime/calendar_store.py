"""The legal calendar as data the service owns: bundled years, corrected by operators.

The bundled files (seeded from chinese-calendar, 2004–2026) are the starting point; a year an
operator uploads (next year's official schedule, or a correction) is stored in the service's
database and wins over the bundled data. Loading next year needs no release.

The procuratorate keeps the platform's calendar (service_runtime.calendar_events): each load
there raises the year's ``revision`` and is published; the other services store a published
year only when its revision is higher than the one they hold, so redelivery and arrival order
change nothing and every service ends on the year's last revision.
"""

from __future__ import annotations

from datetime import datetime

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
        sa.Column(
            "revision",
            sa.Integer,
            nullable=False,
            server_default="0",
            comment="the owner's load count for the year; 0: loaded here before it was counted",
        ),
    )


def add_calendar_revision(bind: sa.engine.Connection) -> None:
    """The revision column, for each service's migration. ``IF NOT EXISTS``: revision 0001
    creates the table from :func:`add_calendar_table`, so a new database has it already."""
    bind.execute(
        sa.text(
            "ALTER TABLE legal_calendar_years"
            " ADD COLUMN IF NOT EXISTS revision integer NOT NULL DEFAULT 0"
        )
    )
    bind.execute(
        sa.text(
            "COMMENT ON COLUMN legal_calendar_years.revision IS"
            " 'the owner''s load count for the year; 0: loaded here before it was counted'"
        )
    )


async def load_calendar(session: AsyncSession, table: sa.Table) -> LegalCalendar:
    calendar = load_bundled_calendar()
    for data in (await session.scalars(sa.select(table.c.data).order_by(table.c.year))).all():
        calendar = calendar.with_year(parse_calendar_year(data))
    return calendar


async def store_calendar_year(
    session: AsyncSession, table: sa.Table, calendar_year: CalendarYear
) -> tuple[int, datetime]:
    """Store an operator's load of the year; returns its revision (one more than the year's
    last, in one statement, so two concurrent loads get two revisions) and when it was stored."""
    data = calendar_year.to_json()
    row = (
        await session.execute(
            pg_insert(table)
            .values(year=calendar_year.year, data=data, revision=1)
            .on_conflict_do_update(
                index_elements=[table.c.year],
                set_={"data": data, "loaded_at": sa.func.now(), "revision": table.c.revision + 1},
            )
            .returning(table.c.revision, table.c.loaded_at)
        )
    ).one()
    return int(row.revision), row.loaded_at


async def follow_calendar_year(
    session: AsyncSession,
    table: sa.Table,
    calendar_year: CalendarYear,
    *,
    revision: int,
    loaded_at: datetime,
) -> bool:
    """Store the owner's revision of the year unless this service holds that one or a later
    one already; True when it was stored."""
    data = calendar_year.to_json()
    stored = await session.scalar(
        pg_insert(table)
        .values(year=calendar_year.year, data=data, revision=revision, loaded_at=loaded_at)
        .on_conflict_do_update(
            index_elements=[table.c.year],
            set_={"data": data, "loaded_at": loaded_at, "revision": revision},
            where=table.c.revision < revision,
        )
        .returning(table.c.year)
    )
    return stored is not None
