"""The audit log on real PostgreSQL: appends chain, the database refuses changes, tampering
by someone who can switch the guard off is found and named by ``verify`` (see
``test_audit_guard.py`` for the service role's separation and each forger's attempt)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from service_runtime.security.audit import (
    Actor,
    AuditEntry,
    add_audit_table,
    append_audit,
    chain_hash,
    create_audit_log,
    local_audit_key,
    verify_chain,
)
from service_runtime.security.principal import Principal, Role

pytestmark = pytest.mark.integration

audit_log = add_audit_table(sa.MetaData())
PROSECUTOR = Principal("u-17", Role.PROCURATORATE_STAFF, agency="天津市河东区人民检察院")
CASE = uuid.uuid4()
KEY = local_audit_key()


@pytest.fixture
async def database(scratch_database: Any) -> AsyncIterator[tuple[str, AsyncEngine]]:
    url = await scratch_database("audit")
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(create_audit_log)
        await connection.run_sync(create_audit_log)  # idempotent: a re-run changes nothing
    yield url, engine
    await engine.dispose()


async def _append(engine: AsyncEngine, count: int, actor: Any = PROSECUTOR) -> None:
    for index in range(count):
        async with engine.begin() as connection:
            async with AsyncSession(bind=connection) as session:
                await append_audit(
                    session,
                    audit_log,
                    actor,
                    AuditEntry(
                        resource="suspect",
                        action="read",
                        case_id=CASE,
                        record_id=f"s-{index}",
                        fields=("id_number", "detention_place"),
                    ),
                    service="procuratorate",
                    key=KEY,
                )


async def _verify(engine: AsyncEngine) -> Any:
    async with engine.connect() as connection:
        return await verify_chain(connection)


def _libpq(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def test_entries_chain_and_verify(database: tuple[str, AsyncEngine]) -> None:
    _, engine = database
    await _append(engine, 3)
    await _append(engine, 1, Actor.system("procuratorate-consumer"))
    async with engine.connect() as connection:
        rows = (await connection.execute(sa.select(audit_log).order_by(audit_log.c.id))).all()
    assert [row.id for row in rows] == [1, 2, 3, 4]
    assert rows[0].prev_hash == "0" * 64
    assert all(rows[i].prev_hash == rows[i - 1].hash for i in range(1, 4))
    assert (rows[0].subject, rows[0].role, rows[0].agency) == (
        "u-17",
        "procuratorate_staff",
        "天津市河东区人民检察院",
    )
    assert rows[0].fields == ["id_number", "detention_place"]
    assert rows[3].role == "system"
    report = await _verify(engine)
    assert report.intact and report.entries == 4 and report.head_hash == rows[3].hash


async def test_concurrent_writers_extend_one_chain(database: tuple[str, AsyncEngine]) -> None:
    _, engine = database
    await asyncio.gather(*(_append(engine, 3) for _ in range(8)))
    report = await _verify(engine)
    assert report.intact and report.entries == 24


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit.audit_log SET outcome = 'denied' WHERE id = 1",
        "DELETE FROM audit.audit_log WHERE id = 2",
        "TRUNCATE audit.audit_log",
    ],
)
async def test_the_database_refuses_to_change_or_remove_entries(
    database: tuple[str, AsyncEngine], statement: str
) -> None:
    url, engine = database
    await _append(engine, 2)
    # Even the superuser is refused while the trigger is on.
    connection = await asyncpg.connect(_libpq(url))
    try:
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError, match="append-only"):
            await connection.execute(statement)
    finally:
        await connection.close()
    assert (await _verify(engine)).entries == 2


async def _tamper(url: str, statement: str) -> None:
    """What only the table's owner or a superuser can do: switch the guard off."""
    connection = await asyncpg.connect(_libpq(url))
    try:
        async with connection.transaction():
            await connection.execute(
                "ALTER TABLE audit.audit_log DISABLE TRIGGER audit_log_append_only"
            )
            await connection.execute(statement)
            await connection.execute(
                "ALTER TABLE audit.audit_log ENABLE TRIGGER audit_log_append_only"
            )
    finally:
        await connection.close()


@pytest.mark.parametrize(
    ("statement", "broken_at", "reason"),
    [
        ("UPDATE audit.audit_log SET subject = 'someone-else' WHERE id = 3", 3, "contents"),
        ("DELETE FROM audit.audit_log WHERE id = 3", 4, "prev_hash"),
        ("DELETE FROM audit.audit_log WHERE id = 1", 2, "prev_hash"),
    ],
    ids=["altered", "removed", "first-removed"],
)
async def test_tampering_is_found_at_the_first_broken_link(
    database: tuple[str, AsyncEngine], statement: str, broken_at: int, reason: str
) -> None:
    url, engine = database
    await _append(engine, 5)
    await _tamper(url, statement)
    report = await _verify(engine)
    assert (report.broken_at, report.intact) == (broken_at, False)
    assert reason in (report.reason or "")


async def test_a_rewritten_entry_with_a_recomputed_hash_breaks_the_next_link(
    database: tuple[str, AsyncEngine],
) -> None:
    url, engine = database
    await _append(engine, 4)
    # The forger recomputes entry 2's own hash; entry 3 still points at the old one.
    async with engine.connect() as connection:
        row = dict(
            (await connection.execute(sa.select(audit_log).where(audit_log.c.id == 2)))
            .mappings()
            .one()
        )
    row["outcome"] = "denied"
    forged = chain_hash(row["prev_hash"], row, KEY)
    await _tamper(
        url, f"UPDATE audit.audit_log SET outcome = 'denied', hash = '{forged}' WHERE id = 2"
    )
    report = await _verify(engine)
    assert report.broken_at == 3 and "prev_hash" in (report.reason or "")


async def test_the_verify_command_names_the_first_broken_link(
    database: tuple[str, AsyncEngine],
) -> None:
    url, engine = database
    await _append(engine, 3)
    command = [sys.executable, "-m", "service_runtime.security.audit", "verify"]

    async def run() -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(
            subprocess.run,
            [*command, "--database-url", _libpq(url)],
            capture_output=True,
            text=True,
        )

    intact = await run()
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout.startswith("audit log intact: 3 entries, head hash ")
    await _tamper(url, "UPDATE audit.audit_log SET action = 'update' WHERE id = 2")
    broken = await run()
    assert broken.returncode == 1
    assert broken.stdout.strip() == (
        "audit log BROKEN at entry 2: its contents do not match its MAC"
    )
