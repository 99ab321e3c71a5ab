"""A calendar year loaded at the procuratorate reaches the aid center and the notifier: their
deadlines counted on a guessed calendar are counted again, a later correction wins everywhere,
and an older revision read again late changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from defense_schemas import Envelope
from defense_schemas.events.procuratorate import LegalCalendarYearLoaded, legal_calendar_key
from service_runtime.unit_of_work import utc_now
from services.notifier.tests.integration.helpers import publish
from tests.e2e.platform import Platform, running_platform
from tests.e2e.test_workflow import _minor_in_hedong
from tests.infrastructure import RunningService, eventually, operator
from tests.problems import problem

pytestmark = pytest.mark.integration

# Wednesday 30 December 2026 in Tianjin: the third day is Saturday 2 January 2027, a year the
# bundled calendar does not have, so every period counted from here is a guess (Mon 4 Jan).
RECEIVED = "2026-12-30T09:00:00+08:00"
NOTIFIED = "2026-12-30T10:00:00+08:00"
DECIDED = "2026-12-30T11:00:00+08:00"
AT_THE_DESK = datetime(2026, 12, 30, 4, 0, tzinfo=UTC)
"""12:00 in Tianjin that day: the procuratorate's clock while the clerk records, since a time
recorded after "now" is refused."""
FIRST = {
    "year": 2027,
    "holidays": ["2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04"],
    "makeup_workdays": [],
    "source": "first load",
}
CORRECTED = {**FIRST, "holidays": ["2027-01-01", "2027-01-02", "2027-01-03"], "source": "fixed"}


async def _letter_sent(platform: Platform) -> str:
    """A Hedong minor declining counsel on 30 December 2026; returns the case id."""
    platform.procuratorate.runtime.clock = lambda: AT_THE_DESK
    try:
        return await _record_the_decision(platform)
    finally:
        platform.procuratorate.runtime.clock = utc_now


async def _record_the_decision(platform: Platform) -> str:
    procuratorate = platform.procuratorate.client
    body = {**_minor_in_hedong(), "received_at": RECEIVED}
    case = await procuratorate.post("/cases", json=body)
    assert case.status_code == 201, case.text
    case_id, suspect_id = case.json()["case_id"], body["suspects"][0]["suspect_id"]
    suspect_url = f"/cases/{case_id}/suspects/{suspect_id}"
    notified = await procuratorate.post(
        f"{suspect_url}/rights-notification",
        json={
            "informed": [
                {"role": "suspect", "name": "王小明"},
                {"role": "guardian", "name": "王大明"},
            ],
            "notified_at": NOTIFIED,
        },
    )
    assert notified.status_code == 200, notified.text
    decision = await procuratorate.post(
        f"{suspect_url}/defense-decision",
        json={"choice": "no_counsel", "decided_at": DECIDED, "materials": ["起诉意见书"]},
    )
    assert decision.status_code == 200, decision.text
    return str(case_id)


async def _center_notice(platform: Platform, case_id: str) -> dict[str, Any]:
    items = (await platform.aid_center.client.get("/notices", params={"case_id": case_id})).json()
    notices = items.get("items") or []
    return dict(notices[0]) if notices and notices[0].get("assignment_due_on") else {}


async def _notifier_clock(platform: Platform, case_id: str) -> dict[str, Any]:
    board = (await platform.notifier.client.get("/clocks", params={"case_id": case_id})).json()
    found = [c for c in board.get("items", []) if c["kind"] == "assignment"]
    return dict(found[0]) if found else {}


async def _holidays(service: RunningService) -> list[str]:
    got = await service.client.get("/ops/calendar/2027", headers=operator(service.settings))
    return list(got.json()["holidays"]) if got.status_code == 200 else []


async def test_a_year_loaded_at_the_procuratorate_moves_the_other_services_deadlines(
    service_settings: Callable[..., Any],
) -> None:
    async with running_platform(service_settings, "calendar") as platform:
        case_id = await _letter_sent(platform)
        latest: dict[str, dict[str, Any]] = {}

        async def guessed() -> bool:
            latest["notice"] = await _center_notice(platform, case_id)
            latest["clock"] = await _notifier_clock(platform, case_id)
            return bool(latest["notice"]) and bool(latest["clock"])

        await eventually(guessed, what="the notice at the center and the notifier's clock")
        assert latest["notice"]["assignment_due_on"] == "2027-01-04"
        assert latest["notice"]["assignment_due_provisional"] is True
        assert latest["clock"]["due_on"] == "2027-01-04"
        assert latest["clock"]["provisional"] is True

        # The followers do not take a load: the platform counts on one calendar.
        for follower in (platform.aid_center, platform.notifier):
            refused = await follower.client.put(
                "/ops/calendar/2027", json=FIRST, headers=operator(follower.settings)
            )
            assert refused.status_code == 409, refused.text
            assert "procuratorate" in problem(refused)["detail"]

        owner = platform.procuratorate
        loaded = await owner.client.put(
            "/ops/calendar/2027", json=FIRST, headers=operator(owner.settings)
        )
        assert loaded.status_code == 200, loaded.text

        async def counted_again() -> bool:
            latest["notice"] = await _center_notice(platform, case_id)
            latest["clock"] = await _notifier_clock(platform, case_id)
            return (
                latest["notice"].get("assignment_due_provisional") is False
                and latest["clock"].get("provisional") is False
            )

        await eventually(counted_again, what="the center and the notifier to count again")
        assert latest["notice"]["assignment_due_on"] == "2027-01-05"
        assert latest["notice"]["assignment_missing_years"] == []
        assert latest["clock"]["due_on"] == "2027-01-05"

        # A conflicting correction of the year: the second load is revision 2, everywhere.
        corrected = await owner.client.put(
            "/ops/calendar/2027", json=CORRECTED, headers=operator(owner.settings)
        )
        assert corrected.status_code == 200, corrected.text

        async def everywhere_corrected() -> bool:
            held = [
                await _holidays(service) for service in (platform.aid_center, platform.notifier)
            ]
            return held == [CORRECTED["holidays"]] * 2

        await eventually(everywhere_corrected, what="the correction to reach both followers")

        # The first revision read again late (a replay, a redelivery): nothing changes.
        late = Envelope.for_event(
            LegalCalendarYearLoaded(
                year=2027,
                holidays=tuple(date.fromisoformat(day) for day in FIRST["holidays"]),
                source="first load",
                revision=1,
                loaded_at=datetime.now(UTC),
            ),
            case_id=legal_calendar_key(2027),
            producer="procuratorate",
        )
        await publish(
            owner.settings.kafka_bootstrap_servers, owner.settings.topic_procuratorate, [late]
        )

        async def late_one_read() -> bool:
            for service in (platform.aid_center, platform.notifier):
                inbox = service.runtime.definition.tables.messaging.inbox
                async with service.runtime.engine.connect() as conn:
                    seen = await conn.scalar(
                        sa.select(sa.func.count())
                        .select_from(inbox)
                        .where(inbox.c.event_id == late.event_id)
                    )
                if not seen:
                    return False
            return True

        await eventually(late_one_read, what="both followers to read the late revision")
        for service in (platform.aid_center, platform.notifier):
            assert await _holidays(service) == CORRECTED["holidays"]
