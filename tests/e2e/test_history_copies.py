"""The bench's history (bench/history.py) is made of the rows the real write path writes: copies of
template suspects pushed through the three services have the same shape as the templates (the
same columns null and non-null, the same statuses, clocks and outcomes), every sealed value
opens for its new row, and the services' own APIs read the copies."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from bench import history
from bench.workload import build_roster
from service_runtime.security.fields import FieldDecryptionError
from service_runtime.security.personal import unseal
from service_runtime.security.principal import Role
from tests.e2e.platform import running_platform
from tests.infrastructure import bearer, eventually

pytestmark = pytest.mark.integration

MIX = {"complete": 2, "awaiting_decision": 1, "received": 1}
SUSPECTS = 200  # 50 copies of the four templates
# Values that say what state a row is in: equal per template and copy.
STATE = {
    "defense_status",
    "status",
    "kind",
    "outcome",
    "review_status",
    "decision",
    "event_type",
    "recipient_role",
    "role",
    "end_reason",
    "provisional",
    "in_scope",
    "notice_sent",
    "lawyer_assigned",
}
# Set on a copy's clock the deadline watch would have alerted on by now (checked apart).
ALERTS = {"approaching_sent_at", "breached_at"}


def _state(value: Any) -> Any:
    """A state value as the templates had it (a copy's district named in it is another)."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        return "a document"  # a JSON column named like a state (an assignment's decision)
    if isinstance(value, str):
        for district in history.DISTRICTS:
            value = value.replace(district, history.HOME)
    return value


def _shape(row: asyncpg.Record, table: str) -> tuple[Any, ...]:
    return tuple(
        (name, _state(row[name]) if name in STATE else row[name] is None)
        for name in row.keys()
        if not (table == "clocks" and name in ALERTS)
    )


async def _shapes(url: str, tables: list[str]) -> dict[str, Counter[tuple[Any, ...]]]:
    conn = await asyncpg.connect(url)
    try:
        return {
            t: Counter(_shape(r, t) for r in await conn.fetch(f'SELECT * FROM "{t}"'))
            for t in tables
        }
    finally:
        await conn.close()


def _url(service: Any) -> str:
    return history.libpq_url(str(service.settings.database_url))


async def test_copies_have_the_templates_shape_and_open(
    service_settings: Callable[..., Any],
) -> None:
    async with running_platform(service_settings, "history") as platform:
        await build_roster(platform.aid_center.client, 20)
        templates = await history.make_templates(platform.procuratorate.client, MIX)
        urls = {
            "procuratorate": _url(platform.procuratorate),
            "aid_center": _url(platform.aid_center),
            "notifier": _url(platform.notifier),
        }

        async def settled() -> bool:
            conn = await asyncpg.connect(urls["notifier"])
            try:
                told = await conn.fetchval(
                    "SELECT count(*) FROM deliveries WHERE about_event_type = 'LawyerAssigned' "
                    "AND recipient_role = 'lawyer' AND status = 'delivered'"
                )
                pending = await conn.fetchval(
                    "SELECT count(*) FROM deliveries WHERE status = 'pending'"
                )
            finally:
                await conn.close()
            conn = await asyncpg.connect(urls["procuratorate"])
            try:
                appointed = await conn.fetchval(
                    "SELECT count(*) FROM suspects WHERE defense_status = 'appointed_on_notice'"
                )
            finally:
                await conn.close()
            return told == MIX["complete"] and pending == 0 and appointed == MIX["complete"]

        await eventually(settled, timeout=60)

        cipher = history.local_cipher()
        conn = await asyncpg.connect(urls["aid_center"])
        roster = await history.roster_ids(conn)
        await conn.close()
        before: dict[str, dict[str, Counter[tuple[Any, ...]]]] = {}
        copied: dict[str, list[str]] = {}
        seeds = set(templates)
        for service, url in urls.items():  # in load_history's order: the procuratorate first
            conn = await asyncpg.connect(url)
            try:
                tables, ids = await history.read_templates(conn, seeds, cipher, service, roster)
            finally:
                await conn.close()
            seeds.update(ids)
            copied[service] = sorted(t for t in tables if t not in history.ROSTER)
            before[service] = await _shapes(url, copied[service])

        report = await history.load_history(urls, templates, SUSPECTS, mix=MIX)
        copies = report["copies"]
        assert report["suspects"] == SUSPECTS and copies == SUSPECTS // sum(MIX.values())

        for service, url in urls.items():
            after = await _shapes(url, copied[service])
            for table in copied[service]:
                expected = Counter(
                    {shape: n * (copies + 1) for shape, n in before[service][table].items()}
                )
                assert after[table] == expected, (service, table)
        assert set(copied["procuratorate"]) >= {
            "cases",
            "suspects",
            "clocks",
            "timeline",
            "defenders",
        }
        assert set(copied["aid_center"]) >= {"notices", "assignments", "suspects"}
        assert set(copied["notifier"]) >= {"clocks", "contacts", "deliveries", "suspects"}

        # Every sealed value opens for its own (new) row.
        for service, url in urls.items():
            conn = await asyncpg.connect(url)
            try:
                for table, columns in history._sealing()[service].items():
                    for row in await conn.fetch(f'SELECT * FROM "{table}"'):
                        for name, how in columns.items():
                            value = row[name]
                            if value is None:
                                continue
                            record_id = row[how.id_column]
                            if isinstance(how, history.Document):
                                document = json.loads(value)
                                unseal(cipher, document, record=how.record, record_id=record_id)
                            else:
                                cipher.decrypt(value, field=how.name, record_id=record_id)
            except FieldDecryptionError as error:  # pragma: no cover - the failure's message
                pytest.fail(f"{service}: {error}")
            finally:
                await conn.close()

        # The notifier's open clocks past their day carry the alerts, the others none.
        conn = await asyncpg.connect(urls["notifier"])
        try:
            today = datetime.now(UTC).date()
            rows = await conn.fetch("SELECT status, due_on, breached_at FROM clocks")
            for row in rows:
                overdue = row["status"] == "open" and row["due_on"] < today
                assert (row["breached_at"] is not None) == overdue
        finally:
            await conn.close()

        # The services read the copies through their own APIs, for their own units.
        conn = await asyncpg.connect(urls["procuratorate"])
        try:
            cases = await conn.fetch(
                "SELECT c.case_id, c.procuratorate_unit, s.suspect_id FROM cases c "
                "JOIN suspects s USING (case_id) WHERE c.case_id <> ALL($1::uuid[]) LIMIT 20",
                templates,
            )
        finally:
            await conn.close()
        settings = platform.procuratorate.settings
        for case in cases:
            headers = bearer(settings, Role.PROCURATORATE_STAFF, agency=case["procuratorate_unit"])
            view = await platform.procuratorate.client.get(
                f"/cases/{case['case_id']}", headers=headers
            )
            assert view.status_code == 200, view.text
            assert [s["name"] for s in view.json()["suspects"]] == ["王小明"]
            timeline = await platform.procuratorate.client.get(
                f"/cases/{case['case_id']}/timeline", headers=headers
            )
            assert timeline.status_code == 200, timeline.text
        ledger = await platform.procuratorate.client.get("/ledger", params={"limit": 1000})
        assert ledger.status_code == 200, ledger.text
        hedong = ledger.json()["items"]
        assert hedong and all(row["suspect_name"] == "王小明" for row in hedong)
        notices = await platform.aid_center.client.get("/notices", params={"limit": 1000})
        assert notices.status_code == 200, notices.text
        board = await platform.notifier.client.get("/clocks", params={"limit": 1000})
        assert board.status_code == 200, board.text
        assert uuid.UUID(board.json()["items"][0]["case_id"])
