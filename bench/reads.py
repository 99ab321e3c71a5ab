"""The hot reads, over REST and as plans: how long the pages the staff keep open take with a long
history held, and what PostgreSQL does for each of their queries.

Over REST (the services' real processes, their real clients' tokens): the case page, the
ledger's first page and a page further on (its cursor), the procuratorate's ``/deadlines``,
``/statistics``, the aid center's notice queue and the notifier's deadline board; p50/p95
over ``repeat`` requests each.

Plans: the same queries the routes run, made by the services' own read code (the repository
methods and the board's query) on a session whose statements are caught as they are sent, then
each sent again under ``EXPLAIN (ANALYZE, BUFFERS)`` with the same parameters.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bench.platform import CALLERS, BenchPlatform
from bench.stats import percentiles
from service_runtime.paging import CursorSigner, PageRequest

TARGET_P95_MS = 50.0
UNIT = CALLERS["procuratorate"].agency
CENTER = CALLERS["aid_center"].agency


@dataclass
class Timed:
    name: str
    seconds: list[float]
    status: int


async def _time(
    client: httpx.AsyncClient, name: str, url: str, repeat: int, params: Any = None
) -> Timed:
    seconds: list[float] = []
    status = 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = await client.get(url, params=params)
        seconds.append(time.perf_counter() - started)
        status = response.status_code
        if status != 200:
            raise RuntimeError(f"{name}: {status} {response.text[:300]}")
    return Timed(name, seconds, status)


async def sample_case(procuratorate_db: str) -> uuid.UUID:
    """A case of the bench's unit from the middle of the history."""
    engine = create_async_engine(procuratorate_db)
    try:
        async with engine.connect() as conn:
            count = (
                await conn.execute(
                    sa.text("SELECT count(*) FROM cases WHERE procuratorate_unit = :u"),
                    {"u": UNIT},
                )
            ).scalar_one()
            row = (
                await conn.execute(
                    sa.text(
                        "SELECT case_id FROM cases WHERE procuratorate_unit = :u "
                        "ORDER BY case_id OFFSET :o LIMIT 1"
                    ),
                    {"u": UNIT, "o": random.Random(19).randrange(max(count, 1))},
                )
            ).first()
            assert row is not None
            return uuid.UUID(str(row[0]))
    finally:
        await engine.dispose()


async def over_rest(
    platform: BenchPlatform, *, repeat: int = 20, statistics_repeat: int = 20
) -> dict[str, Any]:
    """p50/p95 of each hot read; ``statistics_repeat`` for /statistics after its first."""
    urls = {name: s.env[f"{p}_DATABASE_URL"] for name, s, p in _envs(platform)}
    case_id = await sample_case(urls["procuratorate"])
    timed: list[Timed] = []
    async with platform.client("procuratorate") as procuratorate:
        timed.append(await _time(procuratorate, "case_page", f"/cases/{case_id}", repeat))
        first = await procuratorate.get("/ledger", params={"limit": 50})
        first.raise_for_status()
        ledger = {"limit": 50}
        timed.append(await _time(procuratorate, "ledger_first_page", "/ledger", repeat, ledger))
        cursor = first.json()["next_cursor"]
        if cursor:
            further = {"limit": 50, "cursor": cursor}
            timed.append(await _time(procuratorate, "ledger_next_page", "/ledger", repeat, further))
        timed.append(await _time(procuratorate, "deadlines", "/deadlines", repeat, ledger))
        # The first counts again every month the writes since made stale (after a bulk load:
        # every month of the unit); the others read the months kept.
        timed.append(await _time(procuratorate, "statistics_first", "/statistics", 1))
        timed.append(await _time(procuratorate, "statistics", "/statistics", statistics_repeat))
    async with platform.client("aid_center") as aid_center:
        timed.append(await _time(aid_center, "notices_queue", "/notices", repeat, {"limit": 50}))
    async with platform.client("notifier") as notifier:
        timed.append(await _time(notifier, "deadline_board", "/clocks", repeat, {"limit": 50}))
    figures = {t.name: percentiles(t.seconds) for t in timed}
    return {
        name: {**values, "requests": len(t.seconds), "met": values["p95_ms"] <= TARGET_P95_MS}
        for t in timed
        for name, values in [(t.name, figures[t.name])]
    }


# -- plans


class _Caught:
    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.statements.append((statement, parameters))


async def _plans_of(database_url: str, reads: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """``reads``: name → ``async (session) -> None`` running the service's read code."""
    engine = create_async_engine(database_url)
    caught = _Caught()
    event.listen(engine.sync_engine, "before_cursor_execute", caught)
    plans: dict[str, list[dict[str, Any]]] = {}
    try:
        for name, read in reads.items():
            caught.statements.clear()
            async with AsyncSession(engine) as session:
                await read(session)
                statements = list(caught.statements)
                caught.statements.clear()
                conn = await session.connection()
                plans[name] = []
                for statement, parameters in statements:
                    explained = await conn.exec_driver_sql(
                        f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters
                    )
                    plan = "\n".join(str(row[0]) for row in explained)
                    caught.statements.clear()
                    plans[name].append({"sql": " ".join(statement.split()), "plan": plan})
                await session.rollback()
    finally:
        await engine.dispose()
    return plans


def _page(path: str) -> PageRequest:
    return PageRequest(
        limit=50,
        after=None,
        path=path,
        signer=CursorSigner(b"bench" * 8),
        request=None,  # type: ignore[arg-type]
        response=None,  # type: ignore[arg-type]
    )


async def plans(platform: BenchPlatform) -> dict[str, list[dict[str, Any]]]:
    from bench.history import local_cipher
    from procuratorate.db.repository import CaseRepository
    from procuratorate.domain.statistics import Granularity
    from procuratorate.workflow.ledger import LedgerFilter, load_ledger, load_statistics

    cipher = local_cipher()
    urls = {name: s.env[f"{p}_DATABASE_URL"] for name, s, p in _envs(platform)}
    case_id = await sample_case(urls["procuratorate"])
    now = datetime.now(UTC)

    async def nothing_queued() -> None:
        return None

    def repo(session: AsyncSession) -> Any:
        return CaseRepository(session, cipher, None, before_timeline_read=nothing_queued)  # type: ignore[arg-type]

    async def case_page(session: AsyncSession) -> None:
        cases = repo(session)
        await cases.case(case_id)
        suspects = await cases.suspects_of(case_id)
        await cases.clocks_of([case_id])
        await cases.defenders_of([s.suspect_id for s in suspects])
        await cases.notices_of(case_id)

    async def ledger_page(session: AsyncSession) -> None:
        uow = SimpleNamespace(cases=repo(session))
        await load_ledger(uow, LedgerFilter(procuratorate_unit=UNIT), now, _page("/ledger"))  # type: ignore[arg-type]

    async def statistics(session: AsyncSession) -> None:
        uow = SimpleNamespace(cases=repo(session))
        await load_statistics(uow, LedgerFilter(procuratorate_unit=UNIT), now, Granularity.MONTH)  # type: ignore[arg-type]

    async def deadlines(session: AsyncSession) -> None:
        await repo(session).open_clocks(UNIT, _page("/deadlines"))

    result = await _plans_of(
        urls["procuratorate"],
        {
            "case_page": case_page,
            "ledger_first_page": ledger_page,
            "deadlines": deadlines,
            "statistics": statistics,
        },
    )

    from aid_center.db.repository import AidRepository

    async def notices_queue(session: AsyncSession) -> None:
        await AidRepository(session).notices_of_center(CENTER, page=_page("/notices"))

    result.update(await _plans_of(urls["aid_center"], {"notices_queue": notices_queue}))

    from notifier.db.tables import clocks

    async def deadline_board(session: AsyncSession) -> None:
        # The board's query as notifier.api.clocks builds it for an operator (no filter).
        query = sa.select(clocks).where(clocks.c.status == "open")
        order = [clocks.c.due_on, clocks.c.case_id, clocks.c.kind, clocks.c.clock_id]
        await _page("/clocks").fetch(session, query, order)

    result.update(await _plans_of(urls["notifier"], {"deadline_board": deadline_board}))
    return result


def _envs(platform: BenchPlatform) -> list[tuple[str, Any, str]]:
    from bench.infra import ENV_PREFIX

    return [(name, s, ENV_PREFIX[name]) for name, s in platform.services.items()]


async def table_reads(urls: dict[str, str]) -> dict[str, tuple[int, int, int]]:
    """Rows read so far by sequential and by index scans, and autovacuum runs, per
    ``service.table`` (the statistics collector's counters)."""
    import asyncpg

    counts: dict[str, tuple[int, int, int]] = {}
    for service, url in urls.items():
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("SELECT pg_stat_clear_snapshot()")
            for row in await conn.fetch(
                "SELECT relname, coalesce(seq_tup_read, 0) AS seq, "
                "coalesce(idx_tup_fetch, 0) AS idx, autovacuum_count + autoanalyze_count AS auto "
                "FROM pg_stat_user_tables"
            ):
                counts[f"{service}.{row['relname']}"] = (row["seq"], row["idx"], row["auto"])
        finally:
            await conn.close()
    return counts


def rows_read_since(
    before: dict[str, tuple[int, int, int]],
    after: dict[str, tuple[int, int, int]],
    top: int = 8,
) -> dict[str, dict[str, int]]:
    """The tables read most between two ``table_reads``: where a measure's reads went (a
    table read whole by a query that should use an index shows as sequential rows), and
    the autovacuum and autoanalyze runs on them meanwhile."""
    deltas = {
        table: tuple(
            now - was for now, was in zip(counts, before.get(table, (0, 0, 0)), strict=True)
        )
        for table, counts in after.items()
    }
    ranked = sorted(deltas.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:top]
    return {
        table: {"sequential": seq, "by_index": idx, "autovacuum_runs": auto}
        for table, (seq, idx, auto) in ranked
    }
