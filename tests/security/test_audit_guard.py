"""The audit log against someone holding the service's own database credentials, and against a
superuser: the real role separation on real PostgreSQL.

The service's role (LOGIN, not a superuser, owner of its database, as deploy/local and docker
make it) runs its migrations; a superuser applies ``audit_guard.sql``. Then the service's role
may only INSERT and SELECT, and every rewrite a superuser can still make is found by ``verify``
with the service's key and the anchors the service published."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from service_runtime.security.audit import (
    AuditEntry,
    add_audit_table,
    append_audit,
    chain_head,
    create_audit_log,
    guard_audit_log,
    unkeyed_hash,
    verify_chain,
)
from service_runtime.security.principal import Principal, Role
from tests.infrastructure import Endpoints

pytestmark = pytest.mark.integration

KEY = b"the service's audit key, which the database never sees"
audit_log = add_audit_table(sa.MetaData())
REARM = (
    "ALTER TABLE audit.audit_log ENABLE ALWAYS TRIGGER audit_log_append_only",
    "ALTER TABLE audit.audit_log ENABLE ALWAYS TRIGGER audit_log_no_truncate",
)
PROSECUTOR = Principal("u-9", Role.PROCURATORATE_STAFF, agency="天津市河东区人民检察院")


class Guarded:
    def __init__(self, admin_url: str, service_url: str, service_role: str, owner: str) -> None:
        self.admin_url, self.service_url = admin_url, service_url
        self.service_role, self.owner = service_role, owner
        self.engine: AsyncEngine = create_async_engine(
            service_url.replace("postgresql://", "postgresql+asyncpg://", 1)
        )

    async def append(self, count: int) -> None:
        for index in range(count):
            async with self.engine.begin() as connection:
                async with AsyncSession(bind=connection) as session:
                    await append_audit(
                        session,
                        audit_log,
                        PROSECUTOR,
                        AuditEntry("suspect", "read", record_id=f"s-{index}"),
                        service="procuratorate",
                        key=KEY,
                    )

    async def verify(self, **kwargs: Any) -> Any:
        async with self.engine.connect() as connection:
            return await verify_chain(connection, KEY, **kwargs)

    async def head(self) -> tuple[int, str]:
        async with AsyncSession(self.engine) as session:
            head = await chain_head(session, audit_log)
        assert head is not None
        return head

    async def as_superuser(self, *statements: str) -> None:
        connection = await asyncpg.connect(self.admin_url)
        try:
            async with connection.transaction():
                for statement in statements:
                    await connection.execute(statement)
        finally:
            await connection.close()


@pytest.fixture
async def guarded(infra: Endpoints) -> AsyncIterator[Guarded]:
    tag = uuid.uuid4().hex[:8]
    role, owner, database = f"svc_{tag}", f"svc_{tag}_audit", f"guard_{tag}"
    admin = await asyncpg.connect(infra.pg_admin_url)
    await admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{role}'")
    await admin.execute(f"CREATE DATABASE {database} OWNER {role}")
    host = infra.pg_admin_url.split("@", 1)[1].rsplit("/", 1)[0]
    service_url = f"postgresql://{role}:{role}@{host}/{database}"
    admin_url = infra.pg_admin_url.rsplit("/", 1)[0] + f"/{database}"
    state = Guarded(admin_url, service_url, role, owner)
    try:
        # The service's migration, as the service's role; then the superuser's guard.
        async with state.engine.begin() as connection:
            await connection.run_sync(create_audit_log)
        guard = await asyncpg.connect(admin_url)
        try:
            await guard_audit_log(guard, service_role=role, owner_role=owner)
            await guard_audit_log(guard, service_role=role, owner_role=owner)  # idempotent
        finally:
            await guard.close()
        # The service migrating again (a restart) leaves the guarded table alone.
        async with state.engine.begin() as connection:
            await connection.run_sync(create_audit_log)
        yield state
    finally:
        await state.engine.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f"DROP ROLE IF EXISTS {owner}")
        await admin.execute(f"DROP ROLE IF EXISTS {role}")
        await admin.close()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit.audit_log SET outcome = 'denied' WHERE id = 1",
        "DELETE FROM audit.audit_log WHERE id = 1",
        "TRUNCATE audit.audit_log",
        "ALTER TABLE audit.audit_log DISABLE TRIGGER audit_log_append_only",
        "ALTER TABLE audit.audit_log DISABLE TRIGGER ALL",
        "DROP TABLE audit.audit_log",
        "ALTER TABLE audit.audit_log RENAME TO old_log",
        "DROP SCHEMA audit CASCADE",
        "CREATE OR REPLACE FUNCTION audit.audit_log_refuse_change() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        "SET ROLE {owner}",
        "ALTER TABLE audit.audit_log OWNER TO {role}",
        # Not an owner: the grant is a no-op (a warning), the update still refused.
        "GRANT UPDATE ON audit.audit_log TO {role}; "
        "UPDATE audit.audit_log SET outcome = 'denied' WHERE id = 1",
        "SET session_replication_role = replica",
    ],
)
async def test_the_service_role_may_only_insert_and_select(
    guarded: Guarded, statement: str
) -> None:
    await guarded.append(2)
    connection = await asyncpg.connect(guarded.service_url)
    try:
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
            await connection.execute(
                statement.format(owner=guarded.owner, role=guarded.service_role)
            )
    finally:
        await connection.close()
    report = await guarded.verify()
    assert report.intact and report.entries == 2


async def test_the_guarded_log_still_takes_and_shows_entries(guarded: Guarded) -> None:
    await guarded.append(3)
    report = await guarded.verify()
    assert report.intact and report.entries == 3


async def test_replica_mode_does_not_switch_the_triggers_off(guarded: Guarded) -> None:
    await guarded.append(2)
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError, match="append-only"):
        await guarded.as_superuser(
            "SET LOCAL session_replication_role = replica",
            "UPDATE audit.audit_log SET outcome = 'denied' WHERE id = 1",
        )


async def test_a_rewrite_with_a_recomputed_unkeyed_chain_is_found(guarded: Guarded) -> None:
    """A superuser switches the triggers off, rewrites entry 2 and recomputes the SHA-256
    chain from there on, as the earlier unkeyed chain would have allowed."""
    await guarded.append(4)
    async with guarded.engine.connect() as connection:
        rows = [
            dict(r)
            for r in (
                await connection.execute(sa.select(audit_log).order_by(audit_log.c.id))
            ).mappings()
        ]
    rows[1]["outcome"] = "denied"
    statements = ["ALTER TABLE audit.audit_log DISABLE TRIGGER ALL"]
    prev = rows[0]["hash"]
    for row in rows[1:]:
        row["prev_hash"] = prev
        row["hash"] = prev = unkeyed_hash(prev, row)
        statements.append(
            f"UPDATE audit.audit_log SET outcome = '{row['outcome']}', "
            f"prev_hash = '{row['prev_hash']}', hash = '{row['hash']}' WHERE id = {row['id']}"
        )
    statements.extend(REARM)
    await guarded.as_superuser(*statements)
    report = await guarded.verify()
    assert (report.intact, report.broken_at) == (False, 2)
    assert "MAC" in (report.reason or "")


async def test_a_deleted_entry_is_found_even_under_replica_mode(guarded: Guarded) -> None:
    await guarded.append(4)
    await guarded.as_superuser(
        "SET LOCAL session_replication_role = replica",
        "ALTER TABLE audit.audit_log DISABLE TRIGGER ALL",
        "DELETE FROM audit.audit_log WHERE id = 2",
        *REARM,
    )
    report = await guarded.verify()
    assert (report.intact, report.broken_at) == (False, 3)


async def test_a_cut_off_tail_is_found_by_the_published_anchor(guarded: Guarded) -> None:
    await guarded.append(5)
    anchor = await guarded.head()
    assert (await guarded.verify(anchors=[anchor])).intact
    await guarded.as_superuser(
        "ALTER TABLE audit.audit_log DISABLE TRIGGER ALL",
        "DELETE FROM audit.audit_log WHERE id > 3",
        *REARM,
    )
    assert (await guarded.verify()).intact, "without the anchor a cut tail is invisible"
    report = await guarded.verify(anchors=[anchor])
    assert (report.intact, report.broken_at) == (False, 5)
    assert "cut off" in (report.reason or "")


async def test_an_anchor_that_names_another_entry_is_a_break(guarded: Guarded) -> None:
    await guarded.append(3)
    report = await guarded.verify(anchors=[(2, "f" * 64)])
    assert (report.intact, report.broken_at) == (False, 2)
