"""One owner per deadline: the three services agree on every clock of a scripted case, and
the assignment period is the one ``legal_calendar.deadlines.ASSIGNMENT`` defines."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from legal_calendar import load_bundled_calendar
from legal_calendar.deadlines import ASSIGNMENT
from tests.e2e.platform import running_platform
from tests.e2e.test_workflow import _minor_in_hedong, _roster
from tests.infrastructure import eventually

pytestmark = pytest.mark.integration

DECIDED = "2026-03-03T11:00:00+08:00"  # the letter goes out with the decision, incomplete
SUPPLEMENTED = "2026-03-09T10:00:00+08:00"  # the following Monday: the letter is complete


async def test_the_three_services_count_the_assignment_period_alike(
    service_settings: Callable[..., Any],
) -> None:
    async with running_platform(service_settings, "deadlines") as platform:
        await _roster(platform.aid_center)
        procuratorate = platform.procuratorate.client
        body = _minor_in_hedong()
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
                "notified_at": "2026-03-03T10:00:00+08:00",
            },
        )
        assert notified.status_code == 200, notified.text
        decision = await procuratorate.post(
            f"{suspect_url}/defense-decision",
            json={"choice": "no_counsel", "decided_at": DECIDED, "materials": ["户籍证明"]},
        )
        assert decision.status_code == 200, decision.text

        async def supplement_requested() -> Any:
            notices = (await procuratorate.get(f"/cases/{case_id}")).json()["notices"]
            return notices and notices[0]["status"] == "supplement_requested" and notices[0]

        await eventually(supplement_requested, what="the center to ask for materials")
        notice = await supplement_requested()
        supplemented = await procuratorate.post(
            f"/cases/{case_id}/notices/{notice['notice_id']}/supplements",
            json={
                "items": ["case_materials"],
                "added_materials": ["起诉意见书"],
                "supplemented_at": SUPPLEMENTED,
            },
        )
        assert supplemented.status_code == 200, supplemented.text

        async def appointed() -> Any:
            got = (await procuratorate.get(f"/cases/{case_id}")).json()["suspects"][0]
            return got["defense_status"] == "appointed_on_notice" and got

        await eventually(appointed, what="the appointment to reach the procuratorate")
        suspect = await appointed()

        async def notifier_closed() -> Any:
            board = (
                await platform.notifier.client.get(
                    "/clocks", params={"case_id": case_id, "include_stopped": "true"}
                )
            ).json()
            assignment = [c for c in board if c["kind"] == "assignment"]
            return assignment and not any(c["open"] for c in assignment) and board

        await eventually(notifier_closed, what="the notifier to close the period")
        board = await notifier_closed()

        expected = ASSIGNMENT.due(
            datetime.fromisoformat(SUPPLEMENTED), load_bundled_calendar()
        ).due_on
        assert expected == date(2026, 3, 12)
        procuratorate_due = {c["kind"]: c["due_on"] for c in suspect["clocks"]}
        notifier_due = {c["kind"]: c["due_on"] for c in board if c["suspect_id"] == suspect_id}
        center_notice = (
            await platform.aid_center.client.get(f"/notices/{notice['notice_id']}")
        ).json()
        assert procuratorate_due["assignment"] == expected.isoformat()
        assert notifier_due["assignment"] == expected.isoformat()
        assert center_notice["assignment_due_on"] == expected.isoformat()
        # Every other clock both services keep for the suspect has the same last day too.
        shared = sorted(set(procuratorate_due) & set(notifier_due))
        assert {"assignment", "rights_notification", "notice_dispatch"} <= set(shared)
        for kind in shared:
            assert procuratorate_due[kind] == notifier_due[kind], kind
        # Judged alike too: the lawyer was appointed today, long after the scripted due day.
        outcomes = {c["kind"]: c["outcome"] for c in suspect["clocks"]}
        assert [c["outcome"] for c in board if c["kind"] == "assignment"] == ["met_late"]
        assert outcomes["assignment"] == "met_late"
