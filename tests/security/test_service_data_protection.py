"""A service protecting a case's personal data: every API access leaves an audit entry —
allowed, refused or failed — in a chain that verifies; ID numbers, phones and places of
detention are encrypted at rest and readable only through the API."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa

from procuratorate.service import create_app
from procuratorate.settings import ProcuratorateSettings
from service_runtime.security.audit import verify_chain
from service_runtime.security.principal import Role
from tests.infrastructure import ROOT, RunningService, bearer, own_topics, run_service

sys.path.insert(0, str(ROOT / "services" / "procuratorate" / "tests" / "integration"))
from procuratorate_factories import case, suspect

pytestmark = pytest.mark.integration

HEDONG, XIQING = "天津市河东区人民检察院", "天津市西青区人民检察院"


@pytest.fixture(scope="module")
async def service(service_settings: Any) -> AsyncIterator[RunningService]:
    settings = await service_settings(
        ProcuratorateSettings, "audit_api", topic_partitions=1, **own_topics("audit-api")
    )
    async with run_service(create_app(settings), settings) as running:
        yield running


async def _entries(service: RunningService, case_id: str) -> list[Any]:
    table = service.runtime.definition.tables.audit_log
    async with service.runtime.sessions() as session:
        rows = await session.execute(
            sa.select(table).where(table.c.case_id == uuid.UUID(case_id)).order_by(table.c.id)
        )
        return list(rows)


async def test_reads_writes_and_refusals_of_a_case_are_audited(service: RunningService) -> None:
    hedong = bearer(service.settings, Role.PROCURATORATE_STAFF, agency=HEDONG, subject="u-hd")
    xiqing = bearer(service.settings, Role.PROCURATORATE_STAFF, agency=XIQING, subject="u-xq")
    created = await service.client.post("/cases", json=case(), headers=hedong)
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    assert (await service.client.get(f"/cases/{case_id}", headers=hedong)).status_code == 200
    assert (await service.client.get(f"/cases/{case_id}", headers=xiqing)).status_code == 404
    assert (await service.client.get(f"/cases/{case_id}")).status_code == 401

    entries = await _entries(service, case_id)
    seen = [(e.subject, e.role, e.agency, e.action, e.resource, e.outcome) for e in entries]
    assert seen == [
        ("u-hd", "procuratorate_staff", HEDONG, "read", "/cases/{case_id}", "ok"),
        ("u-xq", "procuratorate_staff", XIQING, "read", "/cases/{case_id}", "not_found"),
        ("anonymous", "none", None, "read", "/cases/{case_id}", "unauthenticated"),
    ]
    assert "id_number" in entries[0].fields and "place_of_detention_or_residence" in (
        entries[0].fields
    )
    # The write that created it is audited too (its path names no case id: by resource).
    table = service.runtime.definition.tables.audit_log
    async with service.runtime.sessions() as session:
        posted = (
            await session.execute(
                sa.select(table).where(table.c.resource == "/cases", table.c.action == "write")
            )
        ).first()
    assert posted is not None and posted.subject == "u-hd" and posted.outcome == "ok"

    async with service.runtime.engine.connect() as connection:
        report = await verify_chain(connection)
    assert report.intact and report.entries >= 4


async def test_probes_are_not_audited(service: RunningService) -> None:
    table = service.runtime.definition.tables.audit_log
    async with service.runtime.sessions() as session:
        before = await session.scalar(sa.select(sa.func.count()).select_from(table))
    for path in ("/health", "/metrics"):
        assert (await service.client.get(path)).status_code == 200
    async with service.runtime.sessions() as session:
        after = await session.scalar(sa.select(sa.func.count()).select_from(table))
    assert after == before


async def test_personal_data_is_encrypted_at_rest_and_readable_through_the_api(
    service: RunningService,
) -> None:
    hedong = bearer(service.settings, Role.PROCURATORATE_STAFF, agency=HEDONG)
    secrets = {
        "id_number": "12010219900101123X",
        "place_of_detention_or_residence": "天津市河东区看守所三监区",
        "contacts": ["13800138000"],
    }
    person = suspect(**secrets)
    created = await service.client.post("/cases", json=case(person), headers=hedong)
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]

    database = str(service.settings.database_url).replace("+asyncpg", "")
    connection = await asyncpg.connect(database)
    try:
        facts = await connection.fetchval(
            "SELECT facts::text FROM suspects WHERE suspect_id = $1",
            uuid.UUID(person["suspect_id"]),
        )
        timeline = await connection.fetch(
            "SELECT payload::text FROM timeline WHERE case_id = $1", uuid.UUID(case_id)
        )
    finally:
        await connection.close()
    stored = facts + "".join(row[0] for row in timeline)
    assert timeline, "the case's events are on its timeline"
    for value in ("12010219900101123X", "看守所三监区", "13800138000"):
        assert value not in stored
    assert "v1:" in facts and "__sealed__" in facts

    view = (await service.client.get(f"/cases/{case_id}", headers=hedong)).json()
    facts_read = next(s for s in view["suspects"] if s["suspect_id"] == person["suspect_id"])
    assert {key: facts_read["facts"][key] for key in secrets} == secrets
    events = (await service.client.get(f"/cases/{case_id}/timeline", headers=hedong)).json()[
        "items"
    ]
    assert "13800138000" in json.dumps(events, ensure_ascii=False)
