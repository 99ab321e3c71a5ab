"""A calendar year loaded recounts the assignment periods counted on a guessed calendar."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from aid_center.db.tables import notices
from defense_schemas.events.aid_center import (
    LawyerAssigned,
    SubsidyApproved,
    SubsidyClaimed,
    SubsidyPaymentDueRecounted,
)
from defense_schemas.events.procuratorate import LegalCalendarYearLoaded, legal_calendar_key
from services.aid_center.tests.integration.center import running_center
from services.aid_center.tests.integration.test_aid_center_flow import (
    add_firm,
    add_lawyer,
    new_case,
    notice_for,
)

pytestmark = pytest.mark.integration

# Wednesday 30 December 2026, 10:00 in Tianjin: the third day is Saturday 2 January 2027, a
# year the bundled calendar does not have.
SENT = datetime(2026, 12, 30, 2, 0, tzinfo=UTC)


async def test_loading_the_year_moves_a_provisional_assignment_due_day(
    service_settings: Callable[..., Any],
) -> None:
    # No lawyer on the roster: the notice stays waiting for one, its period running.
    async with running_center(service_settings, "recount") as center:
        case_id, received, suspect_ids = new_case()
        await center.publish(received, case_id)
        letter = notice_for(suspect_ids[1], minor=True).model_copy(update={"sent_at": SENT})
        await center.publish(letter, case_id)

        async def notice() -> dict[str, Any]:
            response = await center.client.get(f"/notices/{letter.notice_id}")
            return dict(response.json()) if response.status_code == 200 else {}

        async def waiting() -> dict[str, Any]:
            got = await notice()
            return got if got.get("status") in ("accepted", "unassignable") else {}

        guessed = await _until(waiting)
        assert guessed["assignment_due_on"] == "2027-01-04"  # Sat -> Mon, guessed
        assert guessed["assignment_due_provisional"] is True
        assert guessed["assignment_missing_years"] == [2027]
        assert guessed["assignment_started_at"] == "2026-12-30T02:00:00Z"

        # A notice stored before the start was recorded (migration 0009): the same letter for
        # the co-suspect, its start and missing years gone as they were in such rows.
        older = notice_for(suspect_ids[0], minor=False).model_copy(update={"sent_at": SENT})
        await center.publish(older, case_id)

        async def older_waiting() -> dict[str, Any]:
            response = await center.client.get(f"/notices/{older.notice_id}")
            got = dict(response.json()) if response.status_code == 200 else {}
            return got if got.get("status") in ("accepted", "unassignable") else {}

        await _until(older_waiting)
        async with center.service.runtime.engine.begin() as conn:
            await conn.execute(
                sa.update(notices)
                .where(notices.c.notice_id == older.notice_id)
                .values(assignment_started_at=None, assignment_missing_years=[])
            )

        # The year is loaded at the procuratorate, which keeps the platform's calendar.
        year = LegalCalendarYearLoaded(
            year=2027,
            holidays=tuple(date(2027, 1, day) for day in (1, 2, 3, 4)),
            source="test",
            revision=1,
            loaded_at=datetime.now(UTC),
        )
        await center.publish(year, legal_calendar_key(2027))

        async def settled() -> dict[str, Any]:
            got = await notice()
            return got if got.get("assignment_due_provisional") is False else {}

        recounted = await _until(settled)
        assert recounted["assignment_due_on"] == "2027-01-05"
        assert recounted["assignment_missing_years"] == []

        # The older notice's start is recovered from its receipt and its day counted again.
        older_now = (await center.client.get(f"/notices/{older.notice_id}")).json()
        assert older_now["assignment_due_on"] == "2027-01-05"
        assert older_now["assignment_due_provisional"] is False
        assert older_now["assignment_started_at"] == "2026-12-30T02:00:00Z"


async def _until(probe: Callable[[], Any], timeout: float = 20.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await probe()
        if found:
            return dict(found)
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out; last: {found}")
        await asyncio.sleep(0.1)


# Sunday 20 December 2026, 10:00 in Tianjin: 30 days on is Tuesday 19 January 2027, a year the
# bundled calendar does not have.
APPROVED_AT = datetime(2026, 12, 20, 2, 0, tzinfo=UTC)


async def test_loading_the_year_moves_an_unpaid_subsidys_provisional_day_due(
    service_settings: Callable[..., Any],
) -> None:
    async with running_center(
        service_settings, "recount-subsidy", subsidy_payment_days=30
    ) as center:
        standard = await center.client.post(
            "/subsidy-standards",
            json={
                "region": "河东区",
                "case_kind": "ordinary",
                "valid_from": "2020-01-01",
                "amount_fen": 150000,
            },
        )
        assert standard.status_code == 201, standard.text
        await add_lawyer(center, await add_firm(center, "天津补算律师事务所"), "R001")
        case_id, received, (adult_id, _) = new_case()
        await center.publish(received, case_id)
        await center.publish(notice_for(adult_id, minor=False), case_id)
        assigned: LawyerAssigned = await center.log.first(case_id, LawyerAssigned)
        ended = await center.client.post(
            f"/assignments/{assigned.assignment_id}/termination",
            json={"reason": "recipient_request", "detail": "受援人有正当理由要求终止"},
        )
        assert ended.status_code == 200, ended.text
        claimed: SubsidyClaimed = await center.log.first(case_id, SubsidyClaimed)
        url = f"/subsidy-claims/{claimed.claim_id}"
        submitted = await center.client.post(f"{url}/materials", json={"materials": ["结案报告"]})
        assert submitted.status_code == 200, submitted.text
        center.service.runtime.clock = lambda: APPROVED_AT
        approved = (await center.client.post(f"{url}/approval", json={})).json()
        assert approved["payment_due_on"] == "2027-01-19", approved
        assert approved["payment_due_provisional"] is True
        assert approved["payment_due_missing_years"] == [2027]

        # 2027 arrives with 19 and 20 January as rest days: the day due is the 21st.
        year = LegalCalendarYearLoaded(
            year=2027,
            holidays=(date(2027, 1, 1), date(2027, 1, 19), date(2027, 1, 20)),
            source="test",
            revision=1,
            loaded_at=datetime.now(UTC),
        )
        await center.publish(year, legal_calendar_key(2027))

        async def settled() -> dict[str, Any]:
            got = dict((await center.client.get(url)).json())
            return got if got.get("payment_due_provisional") is False else {}

        recounted = await _until(settled)
        assert recounted["payment_due_on"] == "2027-01-21"
        assert recounted["payment_due_missing_years"] == []
        told: SubsidyApproved = await center.log.first(case_id, SubsidyApproved)
        assert (told.payment_due_provisional, told.payment_due_missing_years) == (True, (2027,))
        moved: SubsidyPaymentDueRecounted = await center.log.first(
            case_id, SubsidyPaymentDueRecounted
        )
        assert (moved.previous_payment_due_on, moved.payment_due_on) == (
            date(2027, 1, 19),
            date(2027, 1, 21),
        )
        assert moved.suspect_id == claimed.suspect_id and not moved.payment_due_provisional
