"""The tables every service's database has besides its own projection."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from defense_messaging import MessagingTables, add_messaging_tables
from service_runtime.calendar_store import add_calendar_table


@dataclass(frozen=True)
class PlatformTables:
    messaging: MessagingTables
    legal_calendar: sa.Table


def add_platform_tables(metadata: sa.MetaData) -> PlatformTables:
    return PlatformTables(
        messaging=add_messaging_tables(metadata), legal_calendar=add_calendar_table(metadata)
    )


def create_platform_tables(bind: sa.engine.Connection) -> None:
    """Called from each service's first migration, so the three share one definition."""
    metadata = sa.MetaData()
    add_platform_tables(metadata)
    metadata.create_all(bind)
