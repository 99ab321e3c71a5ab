"""A calendar year loaded recounts the procuratorate's provisional clocks, on every replica."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from procuratorate.service import create_app
from procuratorate.settings import ProcuratorateSettings
from service_runtime.security.principal import Role
from tests.infrastructure import bearer, operator, run_service

sys.path.insert(0, str(Path(__file__).parent))
from procuratorate_factories import case, eventually, suspect

pytestmark = pytest.mark.integration

HEDONG = "天津市河东区人民检察院"


async def test_a_year_loaded_on_one_replica_recounts_provisional_clocks_on_every_replica(
    service_settings: Callable[..., Any],
) -> None:
    settings = await service_settings(ProcuratorateSettings, "recount")
    staff = bearer(settings, Role.PROCURATORATE_STAFF, agency=HEDONG)
    async with contextlib.AsyncExitStack() as stack:
        first = await stack.enter_async_context(run_service(create_app(settings), settings))
        second = await stack.enter_async_context(run_service(create_app(settings), settings))
        # Received on Wednesday 30 December 2026: the rights notification is due on the third
        # day, Saturday 2 January 2027 — a year the bundled calendar does not have.
        body = case(suspect(birth_date="2010-01-01"), received_at="2026-12-30T10:00:00+08:00")
        created = await first.client.post("/cases", json=body, headers=staff)
        assert created.status_code == 201, created.text
        case_id = created.json()["case_id"]
        # The same day, a case whose suspect is at liberty: its review period ends one month
        # later, Saturday 30 January 2027, guessed onto Monday 1 February (CPL Art. 105).
        at_liberty = case(
            suspect(custody_status="bail", birth_date="1990-01-01"),
            received_at="2026-12-30T11:00:00+08:00",
        )
        created = await first.client.post("/cases", json=at_liberty, headers=staff)
        assert created.status_code == 201, created.text
        assert created.json()["review_deadline"] == {
            "due_on": "2027-02-01",
            "provisional": True,
            "missing_years": [2027],
        }
        liberty_id = created.json()["case_id"]

        async def rights_clock() -> dict[str, Any]:
            got = await second.client.get(f"/cases/{case_id}", headers=staff)
            clocks = got.json()["suspects"][0]["clocks"]
            return next(c for c in clocks if c["kind"] == "rights_notification")

        async def ledger_clock() -> dict[str, Any]:
            rows = (await second.client.get("/ledger", headers=staff)).json()["items"]
            [row] = [r for r in rows if r["case_id"] == case_id]
            return next(c for c in row["clocks"] if c["kind"] == "rights_notification")

        guessed = await rights_clock()
        assert guessed["provisional"] is True
        assert guessed["missing_years"] == [2027]
        assert guessed["due_on"] == "2027-01-04"  # Sat -> Mon, guessed from weekends
        on_the_board = await ledger_clock()
        assert (on_the_board["provisional"], on_the_board["missing_years"]) == (True, [2027])

        # The official 2027 calendar (here: 1–4 January off) is loaded through the first replica.
        year = {
            "year": 2027,
            "holidays": ["2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04"],
            "makeup_workdays": [],
            "source": "test",
        }
        loaded = await first.client.put("/ops/calendar/2027", json=year, headers=operator(settings))
        assert loaded.status_code == 200, loaded.text

        async def settled() -> dict[str, Any] | None:
            clock = await rights_clock()
            return clock if clock["provisional"] is False else None

        recounted = await eventually(settled)
        assert recounted["due_on"] == "2027-01-05"
        assert recounted["missing_years"] == []
        # 00:00 on 6 January in Tianjin.
        assert recounted["closes_at"] == "2027-01-05T16:00:00Z"
        on_the_board = await ledger_clock()
        assert (on_the_board["due_on"], on_the_board["missing_years"]) == ("2027-01-05", [])

        # The review period is counted again too, and the other services are told.
        async def review_settled() -> dict[str, Any] | None:
            view = (await second.client.get(f"/cases/{liberty_id}", headers=staff)).json()
            return view if view["review_deadline"]["provisional"] is False else None

        view = await eventually(review_settled)
        assert view["review_deadline"] == {
            "due_on": "2027-02-01",
            "provisional": False,
            "missing_years": [],
        }
        [review_clock] = [c for c in view["case_clocks"] if c["kind"] == "review_period"]
        assert (review_clock["provisional"], review_clock["missing_years"]) == (False, [])
        timeline = (await second.client.get(f"/cases/{liberty_id}/timeline", headers=staff)).json()[
            "items"
        ]
        [recounted] = [e for e in timeline if e["event_type"] == "ReviewDeadlineRecounted"]
        assert recounted["payload"]["review_deadline"] == "2027-02-01"
        assert recounted["payload"]["review_deadline_provisional"] is False
