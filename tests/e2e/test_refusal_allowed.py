"""An allowed refusal of the appointed lawyer (正当理由, Measures Art. 5 ¶1) through the three
services on the real broker: the refused appointment ends everywhere, the suspect counts as
without a defender until another lawyer comes, and the written request for another lawyer
starts an assignment period that the center and the notifier count alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from legal_calendar import load_bundled_calendar
from legal_calendar.deadlines import ASSIGNMENT
from tests.e2e.platform import running_platform
from tests.e2e.test_deadline_agreement import _appointed_minor
from tests.e2e.test_workflow import _roster
from tests.infrastructure import RunningService, eventually

pytestmark = pytest.mark.integration


async def _second_lawyer(aid_center: RunningService) -> str:
    return await _roster(
        aid_center,
        firm_name="天津乙律师事务所",
        lawyer_name="钱律师",
        number=2,
        gender="male",
        years=8,
    )


async def _refuse_with_leave(platform: Any, case_id: str, suspect_id: str) -> dict[str, Any]:
    """The procuratorate allows the minor's refusal of the appointed lawyer; returns the notice
    at the center once the center has ended the appointment."""
    procuratorate = platform.procuratorate.client
    suspect = (await procuratorate.get(f"/cases/{case_id}")).json()["suspects"][0]
    assignment_id = suspect["current_defender"]["assignment_id"]
    ruled = await procuratorate.post(
        f"/cases/{case_id}/suspects/{suspect_id}/refusals",
        json={
            "assignment_id": assignment_id,
            "refusal_reason": "与该律师存在利害关系",
            "outcome": "allowed_must_retain_counsel",
        },
    )
    assert ruled.status_code == 200, ruled.text

    async def ended_at_the_center() -> Any:
        notices = (
            await platform.aid_center.client.get("/notices", params={"case_id": case_id})
        ).json()["items"]
        return notices and notices[0]["status"] == "awaiting_reappointment" and notices[0]

    await eventually(ended_at_the_center, what="the center to end the appointment")
    notice = await ended_at_the_center()

    async def ended_at_the_procuratorate() -> Any:
        timeline = (await procuratorate.get(f"/cases/{case_id}/timeline")).json()["items"]
        return any(e["event_type"] == "AssignmentEnded" for e in timeline)

    await eventually(ended_at_the_procuratorate, what="the procuratorate to hear of the end")
    assignment = (await platform.aid_center.client.get(f"/assignments/{assignment_id}")).json()
    assert (assignment["status"], assignment["end_reason"]) == ("ended", "refusal_allowed")
    suspect = (await procuratorate.get(f"/cases/{case_id}")).json()["suspects"][0]
    assert suspect["defense_status"] == "none" and suspect["current_defender"] is None
    return dict(notice)


async def _request_another(platform: Any, case_id: str, suspect_id: str) -> str:
    suspect = (await platform.procuratorate.client.get(f"/cases/{case_id}")).json()
    refused = [
        d["assignment_id"]
        for d in suspect["suspects"][0]["defenders"]
        if d.get("assignment_id") is not None
    ][-1]
    requested = await platform.procuratorate.client.post(
        f"/cases/{case_id}/suspects/{suspect_id}/reappointment-requests",
        json={"assignment_id": refused},
    )
    assert requested.status_code == 200, requested.text
    return str(requested.json()["reappointment_request_id"])


async def _notifier_assignment_clocks(platform: Any, case_id: str) -> list[dict[str, Any]]:
    board = (
        await platform.notifier.client.get(
            "/clocks", params={"case_id": case_id, "include_stopped": "true"}
        )
    ).json()["items"]
    return sorted((c for c in board if c["kind"] == "assignment"), key=lambda c: c["started_on"])


async def test_an_allowed_refusal_brings_a_new_lawyer_the_procuratorate_sees(
    service_settings: Callable[..., Any],
) -> None:
    async with running_platform(service_settings, "refusal") as platform:
        case_id, suspect_id = await _appointed_minor(platform)
        second = await _second_lawyer(platform.aid_center)
        procuratorate = platform.procuratorate.client

        await _refuse_with_leave(platform, case_id, suspect_id)
        request_id = await _request_another(platform, case_id, suspect_id)

        async def replaced() -> Any:
            got = (await procuratorate.get(f"/cases/{case_id}")).json()["suspects"][0]
            return got["defense_status"] == "appointed_on_notice" and got

        await eventually(replaced, what="the new lawyer to reach the procuratorate")
        suspect = await replaced()
        assert suspect["current_defender"]["name"] == "钱律师"
        assignments = (await platform.aid_center.client.get("/assignments")).json()["items"]
        active = [a for a in assignments if a["status"] == "active"]
        assert [a["lawyer_id"] for a in active] == [second]
        assert suspect["current_defender"]["assignment_id"] == active[0]["assignment_id"]
        notice = (
            await platform.aid_center.client.get("/notices", params={"case_id": case_id})
        ).json()["items"][0]
        assert notice["status"] == "assigned"

        # The written request started the center's second assignment period; the notifier
        # counts the same one and closes it with the replacement — judged once the notifier has
        # read both topics to their ends. The two topics are not ordered with each other: when
        # the new appointment is read before the request, the period was met before it started
        # here and the notifier opens none (notifier.domain.clocks._assignment_period), so its
        # board then holds the first period only. Either way no assignment clock stays open.
        async def notifier_caught_up() -> bool:
            lag = await platform.notifier.client.get("/ops/lag")
            return lag.status_code == 200 and not any(p["lag"] for p in lag.json()["items"])

        await eventually(notifier_caught_up, what="the notifier to read both topics")
        clocks = await _notifier_assignment_clocks(platform, case_id)
        assert len(clocks) in (1, 2) and not any(c["open"] for c in clocks), clocks
        started = datetime.fromisoformat(notice["assignment_started_at"])
        expected = ASSIGNMENT.due(started, load_bundled_calendar()).due_on.isoformat()
        assert notice["assignment_due_on"] == expected
        if len(clocks) == 2:
            assert clocks[1]["due_on"] == expected
            assert clocks[1]["outcome"] == "met"
        # The procuratorate counts the same period from its written request, and the
        # replacement meets it there too.
        got = (await procuratorate.get(f"/cases/{case_id}")).json()["suspects"][0]
        [here] = [c for c in got["clocks"] if c["subject"] == request_id]
        assert (here["kind"], here["due_on"], here["outcome"]) == ("assignment", expected, "met")


async def test_a_request_the_center_cannot_answer_leaves_the_suspect_uncovered_with_a_clock(
    service_settings: Callable[..., Any],
) -> None:
    """Nobody but the refused lawyer is on the roster: the center's answer is a failure. The
    request is no longer in flight, the suspect counts as without a defender, and both the
    procuratorate and the notifier keep the center's assignment period open on the same day,
    until staff appoint a lawyer by hand."""
    async with running_platform(service_settings, "refusal-failed") as platform:
        case_id, suspect_id = await _appointed_minor(platform)
        procuratorate = platform.procuratorate.client

        notice = await _refuse_with_leave(platform, case_id, suspect_id)
        await _request_another(platform, case_id, suspect_id)

        async def unassignable() -> Any:
            got = (await platform.aid_center.client.get(f"/notices/{notice['notice_id']}")).json()
            return got["status"] == "unassignable" and got

        await eventually(unassignable, what="the center to find nobody")
        at_center = await unassignable()
        assert at_center["unassignable_reason"]

        async def procuratorate_clock() -> Any:
            got = (await procuratorate.get(f"/cases/{case_id}")).json()["suspects"][0]
            running = [
                c for c in got["clocks"] if c["kind"] == "assignment" and c["outcome"] is None
            ]
            return running and (got, running[0])

        await eventually(
            procuratorate_clock, what="the procuratorate to keep the center's period open"
        )
        suspect, clock = await procuratorate_clock()
        assert suspect["defense_status"] == "none"
        notifier = await _notifier_assignment_clocks(platform, case_id)
        assert [c["open"] for c in notifier] == [False, True]
        assert clock["due_on"] == notifier[1]["due_on"] == at_center["assignment_due_on"]
        ledger = (await procuratorate.get("/ledger", params={"status": "none"})).json()["items"]
        assert suspect_id in {line["suspect_id"] for line in ledger}  # not covered

        # Staff take a new lawyer on and appoint by hand: the period is met everywhere.
        second = await _second_lawyer(platform.aid_center)
        assigned = await platform.aid_center.client.post(
            f"/notices/{notice['notice_id']}/assignment",
            json={"lawyer_id": second, "reason": "新增律师"},
        )
        assert assigned.status_code == 200, assigned.text

        async def appointed() -> Any:
            got = (await procuratorate.get(f"/cases/{case_id}")).json()["suspects"][0]
            closed = [c for c in got["clocks"] if c["kind"] == "assignment"]
            return (
                got["defense_status"] == "appointed_on_notice"
                and all(c["outcome"] is not None for c in closed)
                and got
            )

        await eventually(appointed, what="the hand appointment to reach the procuratorate")
