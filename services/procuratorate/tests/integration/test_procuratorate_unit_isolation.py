"""Intake across units: one unit's transfer, case id or suspect ids never reveal or merge into
another unit's case. To the caller another unit's case does not exist."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from procuratorate.service import create_app
from procuratorate.settings import ProcuratorateSettings
from service_runtime.security.principal import Role
from tests.infrastructure import RunningService, bearer, run_service

sys.path.insert(0, str(Path(__file__).parent))
from procuratorate_factories import case, suspect

from tests.problems import at_fault

pytestmark = pytest.mark.integration

HEDONG, XIQING = "天津市河东区人民检察院", "天津市西青区人民检察院"


@pytest.fixture(scope="module")
async def service(service_settings: Callable[..., Any]) -> AsyncIterator[RunningService]:
    settings = await service_settings(ProcuratorateSettings, "procuratorate_units")
    async with run_service(create_app(settings), settings) as running:
        yield running


def _as(service: RunningService, unit: str) -> dict[str, str]:
    return bearer(service.settings, Role.PROCURATORATE_STAFF, agency=unit)


async def _hedong_case(service: RunningService) -> dict[str, Any]:
    body = case(suspect(name="王秘密", id_number="120102199001011234"))
    created = await service.client.post("/cases", json=body, headers=_as(service, HEDONG))
    assert created.status_code == 201, created.text
    return {**body, **created.json()}


def _xiqing(**overrides: Any) -> dict[str, Any]:
    return case(suspect(name="赵西青"), procuratorate_unit=XIQING, district="西青区", **overrides)


async def test_another_units_transfer_number_makes_the_callers_own_case(
    service: RunningService,
) -> None:
    hedong = await _hedong_case(service)
    body = _xiqing(
        transferring_agency=hedong["transferring_agency"],
        transfer_number=hedong["transfer_number"],
    )
    response = await service.client.post("/cases", json=body, headers=_as(service, XIQING))
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["case_id"] != hedong["case_id"]
    assert "王秘密" not in response.text and "120102199001011234" not in response.text
    assert [s["name"] for s in answer["suspects"]] == ["赵西青"]
    # Each unit sees its own case, unmerged; the same transfer again is the caller's own case.
    again = await service.client.post("/cases", json=body, headers=_as(service, XIQING))
    assert again.status_code == 200 and again.json()["case_id"] == answer["case_id"]
    mine = await service.client.get(f"/cases/{hedong['case_id']}", headers=_as(service, HEDONG))
    assert [s["name"] for s in mine.json()["suspects"]] == ["王秘密"]


async def test_another_units_case_id_is_not_disclosed(service: RunningService) -> None:
    hedong = await _hedong_case(service)
    body = _xiqing(case_id=hedong["case_id"])
    response = await service.client.post("/cases", json=body, headers=_as(service, XIQING))
    assert response.status_code == 201, response.text
    assert "already used" not in response.text and "王秘密" not in response.text
    assert response.json()["case_id"] != hedong["case_id"]
    mine = await service.client.get(f"/cases/{hedong['case_id']}", headers=_as(service, HEDONG))
    assert [s["name"] for s in mine.json()["suspects"]] == ["王秘密"]
    # The caller's own case id, used twice, is still a conflict it may be told of.
    own = _xiqing(case_id=response.json()["case_id"])
    reused = await service.client.post("/cases", json=own, headers=_as(service, XIQING))
    assert reused.status_code == 409 and at_fault(reused) == ["#/case_id"]


async def test_another_units_suspect_ids_are_not_disclosed(service: RunningService) -> None:
    hedong = await _hedong_case(service)
    taken = hedong["suspects"][0]["suspect_id"]
    body = case(
        suspect(name="赵西青", suspect_id=taken), procuratorate_unit=XIQING, district="西青区"
    )
    response = await service.client.post("/cases", json=body, headers=_as(service, XIQING))
    assert response.status_code == 201, response.text
    (made,) = response.json()["suspects"]
    assert made["name"] == "赵西青" and made["suspect_id"] != taken
    mine = await service.client.get(f"/cases/{hedong['case_id']}", headers=_as(service, HEDONG))
    assert [s["name"] for s in mine.json()["suspects"]] == ["王秘密"]
