"""The tables every service's database has besides its own projection."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from defense_messaging import MessagingTables, add_messaging_tables
from service_runtime.calendar_store import add_calendar_table
from service_runtime.idempotency import add_idempotency_table
from service_runtime.security.audit import add_audit_table


@dataclass(frozen=True)
class PlatformTables:
    messaging: MessagingTables
    legal_calendar: sa.Table
    audit_log: sa.Table
    """Append-only, hash-chained (service_runtime.security.audit); created by its own
    revision through ``create_audit_log``, not by ``create_platform_tables``."""
    idempotency: sa.Table
    """Stored responses of POSTs with an ``Idempotency-Key`` (service_runtime.idempotency);
    created by its own revision through ``create_idempotency_table``."""


def add_platform_tables(metadata: sa.MetaData) -> PlatformTables:
    return PlatformTables(
        messaging=add_messaging_tables(metadata),
        legal_calendar=add_calendar_table(metadata),
        audit_log=add_audit_table(metadata),
        idempotency=add_idempotency_table(metadata),
    )


def create_platform_tables(bind: sa.engine.Connection) -> None:
    """Called from each service's first migration, so the three share one definition.

    Creates what revision 0001 always created; the audit log (with its triggers) comes from
    ``service_runtime.security.audit.create_audit_log`` in a later revision."""
    metadata = sa.MetaData()
    platform = add_platform_tables(metadata)
    later = (platform.audit_log, platform.idempotency)
    metadata.create_all(bind, tables=[t for t in metadata.sorted_tables if t not in later])
