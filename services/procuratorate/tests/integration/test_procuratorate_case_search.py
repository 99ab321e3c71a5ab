"""``GET /cases``: staff find their unit's cases by transfer number, a suspect's exact name (a
keyed hash: the name stays sealed), review status, district and receipt period, a page at a
time; another unit's cases never show. The migration that adds the name's hash fills it for
the suspects already stored."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic import command

from procuratorate.db.personal import NAME_FIELD, name_hash
from procuratorate.service import create_app
from procuratorate.settings import ProcuratorateSettings
from service_runtime.migrations import alembic_config
from service_runtime.security.fields import FieldCipher
from service_runtime.security.principal import Role
from tests.infrastructure import ROOT, RunningService, bearer, run_service

sys.path.insert(0, str(Path(__file__).parent))
from procuratorate_factories import case, suspect

pytestmark = pytest.mark.integration

HEDONG, XIQING = "天津市河东区人民检察院", "天津市西青区人民检察院"


@pytest.fixture(scope="module")
async def service(service_settings: Callable[..., Any]) -> AsyncIterator[RunningService]:
    settings = await service_settings(ProcuratorateSettings, "procuratorate_search")
    async with run_service(create_app(settings), settings) as running:
        yield running


def _as(service: RunningService, unit: str) -> dict[str, str]:
    return bearer(service.settings, Role.PROCURATORATE_STAFF, agency=unit)


async def _received(service: RunningService, unit: str, body: dict[str, Any]) -> str:
    created = await service.client.post("/cases", json=body, headers=_as(service, unit))
    assert created.status_code == 201, created.text
    return str(created.json()["case_id"])


async def test_staff_find_their_units_cases_by_each_filter(service: RunningService) -> None:
    marker = uuid.uuid4().hex[:6]
    first = await _received(
        service,
        HEDONG,
        case(
            suspect(name=f"欧阳{marker}"),
            suspect(name="李四"),
            transfer_number=f"津公东诉字〔2026〕{marker}1号",
            district="河东区",
            received_at="2026-03-02T09:00:00+08:00",
        ),
    )
    second = await _received(
        service,
        HEDONG,
        case(
            suspect(name=f"欧阳{marker}"),
            transfer_number=f"津公东诉字〔2026〕{marker}2号",
            district="河北区",
            received_at="2026-04-10T23:30:00+08:00",
        ),
    )
    theirs = await _received(
        service,
        XIQING,
        case(
            suspect(name=f"欧阳{marker}"),
            procuratorate_unit=XIQING,
            district="西青区",
            transfer_number=f"津公西诉字〔2026〕{marker}3号",
        ),
    )
    staff = _as(service, HEDONG)

    async def found(**params: Any) -> list[str]:
        response = await service.client.get("/cases", params=params, headers=staff)
        assert response.status_code == 200, response.text
        return [c["case_id"] for c in response.json()["items"]]

    assert await found(suspect_name=f"欧阳{marker}") == [first, second]
    # The same name written with a space and full-width letters is the same name.
    spaced = f"欧阳 {marker.upper()}".translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    assert await found(suspect_name=spaced) == [first, second]
    assert await found(suspect_name="欧阳") == []  # no partial match: the hash is of the whole
    assert await found(transfer_number=f"津公东诉字〔2026〕{marker}2号") == [second]
    assert await found(suspect_name=f"欧阳{marker}", district="河北区") == [second]
    # The receipt period is in legal (Beijing) days: 23:30 on 10 April is 10 April.
    named = {"suspect_name": f"欧阳{marker}"}
    assert await found(**named, received_from="2026-04-10", received_to="2026-04-10") == [second]
    assert await found(**named, received_to="2026-04-09") == [first]
    assert await found(**named, status="under_review") == [first, second]
    assert await found(**named, status="indicted") == []
    assert theirs not in await found(limit=1000)
    # A page at a time.
    page = (await service.client.get("/cases", params={**named, "limit": 1}, headers=staff)).json()
    assert [c["case_id"] for c in page["items"]] == [first]
    assert [s["name"] for s in page["items"][0]["suspects"]] == [f"欧阳{marker}", "李四"]
    rest = await service.client.get(
        "/cases", params={**named, "limit": 1, "cursor": page["next_cursor"]}, headers=staff
    )
    assert [c["case_id"] for c in rest.json()["items"]] == [second]
    assert rest.json()["next_cursor"] is None


async def test_a_bad_search_is_a_4xx_naming_the_parameter(service: RunningService) -> None:
    staff = _as(service, HEDONG)
    backwards = await service.client.get(
        "/cases", params={"received_from": "2026-05-01", "received_to": "2026-04-01"}, headers=staff
    )
    assert backwards.status_code == 400 and "received_to" in backwards.text
    unknown = await service.client.get("/cases", params={"status": "lost"}, headers=staff)
    assert unknown.status_code == 422 and "status" in unknown.text


async def test_the_migration_fills_the_hash_of_the_names_already_stored(
    service_settings: Callable[..., Any],
) -> None:
    settings = await service_settings(ProcuratorateSettings, "procuratorate_0016")
    cipher = FieldCipher.from_settings(settings)
    migrations = ROOT / "services" / "procuratorate" / "src" / "procuratorate" / "migrations"
    config = alembic_config(migrations, str(settings.database_url), field_cipher=cipher)
    await asyncio.to_thread(command.upgrade, config, "0015")
    case_id, suspect_id = uuid.uuid4(), uuid.uuid4()
    connection = await asyncpg.connect(str(settings.database_url).replace("+asyncpg", ""))
    try:
        await connection.execute(
            "INSERT INTO cases (case_id, transfer_number, transferring_agency, "
            "transferring_agency_kind, procuratorate_unit, district, charges, "
            "organisation_suspects, major_and_complex, social_impact, pilot_district, "
            "receipt_kind, received_at, review_status) VALUES ($1, 'T1', 'A', 'public_security',"
            " $2, '河东区', '[]', '[]', false, false, false, 'transfer', now(), 'under_review')",
            case_id,
            HEDONG,
        )
        await connection.execute(
            "INSERT INTO suspects (suspect_id, case_id, position, name, facts, grounds, "
            "defense_status) VALUES ($1, $2, 0, $3, '{}', '[]', 'none')",
            suspect_id,
            case_id,
            cipher.encrypt("王小明", field=NAME_FIELD, record_id=suspect_id),
        )
        await asyncio.to_thread(command.upgrade, config, "head")
        stored = await connection.fetchval(
            "SELECT name_hash FROM suspects WHERE suspect_id = $1", suspect_id
        )
    finally:
        await connection.close()
    assert stored == name_hash(cipher, "王小明")
