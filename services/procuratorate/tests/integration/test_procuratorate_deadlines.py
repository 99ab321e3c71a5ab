"""Today's work (今日工作) as a query: the unit's open clocks by legal due day, overdue first,
paged by keyset, another unit's never shown."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from service_runtime.security.principal import Role
from tests.infrastructure import RunningService, bearer

sys.path.insert(0, str(Path(__file__).parent))
from procuratorate_factories import case, suspect

from tests.problems import at_fault

pytestmark = pytest.mark.integration

XIQING = "天津市西青区人民检察院"


async def _received(service: RunningService, days_ago: int, name: str, **overrides: Any) -> str:
    at = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
    created = await service.client.post(
        "/cases", json=case(suspect(name=name), received_at=at, **overrides)
    )
    assert created.status_code == 201, created.text
    return str(created.json()["case_id"])


async def test_open_clocks_by_due_day_overdue_first_for_the_callers_unit_only(
    service: RunningService,
) -> None:
    client = service.client
    late = await _received(service, 20, "钱逾期")
    fresh = await _received(service, 0, "孙今日")
    other = case(suspect(name="西青人"), procuratorate_unit=XIQING, district="西青区")
    xiqing = bearer(service.settings, Role.PROCURATORATE_STAFF, agency=XIQING)
    assert (await client.post("/cases", json=other, headers=xiqing)).status_code == 201

    answer = await client.get("/deadlines", params={"limit": 1000})
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert {i["case_id"] for i in items} == {late, fresh}
    assert "西青人" not in answer.text
    keys = [(i["due_on"], i["closes_at"], i["clock_id"]) for i in items]
    assert keys == sorted(keys)
    rights = {i["case_id"]: i for i in items if i["kind"] == "rights_notification"}
    assert rights[late]["urgency"] == "overdue" and rights[late]["suspect_name"] == "钱逾期"
    # Received today: due after three days (later on a holiday), so not yet pressing...
    assert rights[fresh]["urgency"] == "later"
    # ...unless the caller counts a month as approaching.
    wide = await client.get("/deadlines", params={"approaching_days": 30})
    wide_rights = [i for i in wide.json()["items"] if i["kind"] == "rights_notification"]
    assert {i["case_id"]: i["urgency"] for i in wide_rights}[fresh] == "approaching"
    # The case's own review period is listed without a suspect.
    review = [i for i in items if i["kind"] == "review_period"]
    assert review and all(i["suspect_id"] is None and i["suspect_name"] is None for i in review)

    # Paged by keyset: one at a time, the same items in the same order, none twice.
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 1}
    while True:
        page = (await client.get("/deadlines", params=params)).json()
        seen += [i["clock_id"] for i in page["items"]]
        if page["next_cursor"] is None:
            break
        params = {"limit": 1, "cursor": page["next_cursor"]}
    assert seen == [i["clock_id"] for i in items]

    # Only what is due by a day: the overdue one is, today's case is not.
    by_yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    due = (await client.get("/deadlines", params={"due_to": by_yesterday})).json()["items"]
    assert late in {i["case_id"] for i in due} and fresh not in {i["case_id"] for i in due}

    # A met clock leaves the list.
    suspect_id = rights[late]["suspect_id"]
    told = await client.post(
        f"/cases/{late}/suspects/{suspect_id}/rights-notification",
        json={"informed": [{"role": "suspect", "name": "钱逾期"}]},
    )
    assert told.status_code == 200, told.text
    after = (await client.get("/deadlines")).json()["items"]
    assert rights[late]["clock_id"] not in {i["clock_id"] for i in after}


async def test_a_bad_parameter_is_named(service: RunningService) -> None:
    response = await service.client.get("/deadlines", params={"approaching_days": 0})
    assert response.status_code == 422
    assert at_fault(response) == ["approaching_days"]
    response = await service.client.get("/deadlines", params={"due_to": "2026-13-01"})
    assert response.status_code == 422 and at_fault(response) == ["due_to"]
