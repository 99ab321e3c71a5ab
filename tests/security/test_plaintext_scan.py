"""After a whole case has run through the three services, every text, json and bytea column of
every service's database is searched for the suspect's name, ID number, phone numbers and place
of detention. Each place still found is declared below with the reason; a place not declared
fails the test, so a new column cannot start holding personal data in clear unnoticed, and
one that stops holding it must be taken off the list."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from tests.e2e.platform import running_platform
from tests.e2e.test_workflow import _minor_in_hedong, _roster
from tests.infrastructure import eventually

pytestmark = pytest.mark.integration

NAME, GUARDIAN, ID_NUMBER = "王小明", "王大明", "120102201001011234"
PHONE, GUARDIAN_PHONE, PLACE = "022-12345678", "13800000000", "天津市河东区看守所"
NEEDLES = (NAME, GUARDIAN, ID_NUMBER, PHONE, GUARDIAN_PHONE, PLACE)

# (service, table, column) → why the value is still readable there. Everything else is sealed;
# nothing is declared now, and a place that starts holding personal data in clear fails.
STILL_IN_CLEAR: dict[tuple[str, str, str], str] = {}


async def _hits(database_url: str) -> set[tuple[str, str]]:
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        columns = await connection.fetch(
            "SELECT table_schema, table_name, column_name, data_type "
            "FROM information_schema.columns WHERE table_schema IN ('public', 'audit') "
            "AND data_type IN ('text', 'character varying', 'json', 'jsonb', 'bytea', 'ARRAY')"
        )
        found = set()
        for schema, table, column, kind in columns:
            if kind == "bytea":
                # Raw bytes need not be UTF-8: search them as bytes.
                condition = " OR ".join(
                    f"position(convert_to(${i + 1}, 'UTF8') in \"{column}\") > 0"
                    for i in range(len(NEEDLES))
                )
            else:
                condition = " OR ".join(
                    f'strpos("{column}"::text, ${i + 1}) > 0' for i in range(len(NEEDLES))
                )
            query = f'SELECT 1 FROM "{schema}"."{table}" WHERE {condition} LIMIT 1'
            if await connection.fetchval(query, *NEEDLES):
                found.add((table, column))
        return found
    finally:
        await connection.close()


async def test_no_personal_data_in_clear_outside_the_declared_places(
    service_settings: Callable[..., Any],
) -> None:
    async with running_platform(service_settings, "scan") as platform:
        await _roster(platform.aid_center)
        body = _minor_in_hedong()
        body["suspects"][0]["id_number"] = ID_NUMBER
        procuratorate = platform.procuratorate.client
        case = await procuratorate.post("/cases", json=body)
        assert case.status_code == 201, case.text
        case_id, suspect_id = case.json()["case_id"], body["suspects"][0]["suspect_id"]
        decision = await procuratorate.post(
            f"/cases/{case_id}/suspects/{suspect_id}/defense-decision",
            json={"choice": "no_counsel", "materials": ["起诉意见书"]},
        )
        assert decision.status_code == 200, decision.text

        async def delivered() -> bool:
            log = (await platform.notifier.client.get(f"/cases/{case_id}/deliveries")).json()
            return any(
                d["about_event_type"] == "LawyerAssigned" and d["status"] == "delivered"
                for d in log.get("items", [])
            )

        await eventually(delivered, what="the lawyer to be told", timeout=60)
        # A malformed event on a consumed topic: its dead letter must not hold it in clear.
        garbage = f'{{"name": "{NAME}", "id_number": "{ID_NUMBER}"}}'.encode()
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(
            bootstrap_servers=platform.aid_center.settings.kafka_bootstrap_servers
        )
        await producer.start()
        try:
            await producer.send_and_wait(
                platform.aid_center.settings.topic_procuratorate,
                garbage,
                key=str(uuid.uuid4()).encode(),
            )
        finally:
            await producer.stop()

        async def dead_lettered() -> bool:
            connection = await asyncpg.connect(
                str(platform.aid_center.settings.database_url).replace("+asyncpg", "")
            )
            try:
                return bool(await connection.fetchval("SELECT count(*) FROM dead_letters"))
            finally:
                await connection.close()

        await eventually(dead_lettered, what="the garbage to be dead-lettered")
        found = set()
        for service in ("procuratorate", "aid_center", "notifier"):
            running = getattr(platform, service)
            for table, column in await _hits(str(running.settings.database_url)):
                found.add((service, table, column))
    undeclared = sorted(found - set(STILL_IN_CLEAR))
    assert undeclared == [], f"personal data in clear: {undeclared}"
    no_longer = sorted(set(STILL_IN_CLEAR) - found)
    assert no_longer == [], f"declared in clear but sealed now: take off the list: {no_longer}"
