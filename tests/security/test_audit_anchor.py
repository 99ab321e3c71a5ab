"""A running service anchors its audit chain's head outside the database: the head is
published on its own topic (``ProcuratorateAuditChainAnchored``), and ``verify --anchor`` with
that head finds a tail cut off afterwards, which the chain alone cannot show."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from procuratorate.service import create_app
from procuratorate.settings import ProcuratorateSettings
from service_runtime.security.audit_anchor import anchor_key
from service_runtime.security.principal import Role
from tests.infrastructure import RunningService, bearer, own_topics, read_topic, run_service

pytestmark = pytest.mark.integration

HEDONG = "天津市河东区人民检察院"
AUDIT_KEY = "an audit key of this test, not the local default"


@pytest.fixture(scope="module")
async def service(service_settings: Any) -> AsyncIterator[RunningService]:
    settings = await service_settings(
        ProcuratorateSettings,
        "audit_anchor",
        topic_partitions=1,
        **own_topics("anchor"),
        audit_key=AUDIT_KEY,
        audit_anchor_interval_seconds=0.2,
    )
    async with run_service(create_app(settings), settings) as running:
        running.client.headers.update(bearer(settings, Role.PROCURATORATE_STAFF, agency=HEDONG))
        yield running


def _verify(url: str, *anchors: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "service_runtime.security.audit", "verify"]
    command += ["--database-url", url.replace("+asyncpg", "")]
    for anchor in anchors:
        command += ["--anchor", anchor]
    return subprocess.run(
        command, capture_output=True, text=True, env={"AUDIT_KEY": AUDIT_KEY, "PATH": ""}
    )


async def test_the_head_is_published_and_a_cut_tail_is_found(service: RunningService) -> None:
    for _ in range(4):
        assert (await service.client.get(f"/cases/{uuid.uuid4()}")).status_code == 404
    topic = service.settings.topic_procuratorate
    key = str(anchor_key("procuratorate")).encode()

    def anchors(records: list[Any]) -> list[dict[str, Any]]:
        return [
            json.loads(r.value)["payload"]
            for r in records
            if r.key == key
            and json.loads(r.value)["event_type"] == "ProcuratorateAuditChainAnchored"
        ]

    records = await read_topic(
        service.settings.kafka_bootstrap_servers,
        topic,
        until=lambda seen: any(a["entries"] >= 4 for a in anchors(seen)),
    )
    anchor = max(anchors(records), key=lambda a: a["entries"])
    head = f"{anchor['entries']}:{anchor['head_mac']}"
    url = str(service.settings.database_url)
    intact = await asyncio.to_thread(_verify, url, head)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    # Someone with the database's superuser cuts the newest entries off.
    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        async with connection.transaction():
            await connection.execute("ALTER TABLE audit.audit_log DISABLE TRIGGER ALL")
            await connection.execute(
                f"DELETE FROM audit.audit_log WHERE id > {anchor['entries'] - 2}"
            )
            await connection.execute("ALTER TABLE audit.audit_log ENABLE TRIGGER ALL")
    finally:
        await connection.close()
    assert (await asyncio.to_thread(_verify, url)).returncode == 0  # the chain alone: "intact"
    cut = await asyncio.to_thread(_verify, url, head)
    assert cut.returncode == 1
    assert "cut off" in cut.stdout
