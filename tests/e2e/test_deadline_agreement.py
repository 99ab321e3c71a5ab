"""One owner per deadline: the three services agree on every clock of a scripted case, and
the assignment and letter periods are the ones ``legal_calendar.deadlines`` defines."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from aiokafka import AIOKafkaProducer

from defense_schemas import Envelope
from defense_schemas.events.aid_center import AidTerminated
from defense_schemas.vocabulary import TerminationReason
from legal_calendar import load_bundled_calendar
from legal_calendar.deadlines import ASSIGNMENT, LETTER
from tests.e2e.platform import running_platform
from tests.e2e.test_workflow import _minor_declining_counsel, _roster
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
        case_id, suspect_id = await _minor_declining_counsel(
            procuratorate, decided_at=DECIDED, materials=["户籍证明"]
        )

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
            ).json()["items"]
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


async def test_a_dismissal_after_a_termination_reopens_the_letter_clock_in_both_services(
    service_settings: Callable[..., Any],
) -> None:
    """A minor (LAL Art. 25(1)) is appointed a lawyer, retains counsel (aid terminated), then
    dismisses that counsel: the letter is owed again (Measures Art. 6) and both services open a
    second letter clock on the same day, met by the letter sent with the dismissal."""
    async with running_platform(service_settings, "reopened") as platform:
        procuratorate = platform.procuratorate.client
        case_id, suspect_id = await _appointed_minor(platform)
        suspect_url = f"/cases/{case_id}/suspects/{suspect_id}"

        async def suspect_now() -> Any:
            return (await procuratorate.get(f"/cases/{case_id}")).json()["suspects"][0]

        retained = await procuratorate.post(
            f"{suspect_url}/private-counsel",
            json={"counsel": {"name": "刘律师", "contact": "13700000000"}},
        )
        assert retained.status_code == 200, retained.text
        retention_id = retained.json()["retention_id"]

        async def terminated() -> Any:
            timeline = (await procuratorate.get(f"/cases/{case_id}/timeline")).json()["items"]
            return any(e["event_type"] == "AidTerminated" for e in timeline)

        await eventually(terminated, what="the center's termination to reach the procuratorate")
        dismissal = await procuratorate.post(
            f"{suspect_url}/private-counsel/{retention_id}/dismissal", json={}
        )
        assert dismissal.status_code == 200, dismissal.text
        assert dismissal.json()["renotify"] is True

        async def notifier_reopened() -> Any:
            found = await _notifier_letter_clocks(platform, case_id, suspect_id)
            return len(found) == 2 and not found[1]["open"] and found

        await eventually(
            notifier_reopened, what="the notifier to open and close the second letter clock"
        )
        notifier_letter = await notifier_reopened()
        procuratorate_letter = _letter_clocks((await suspect_now())["clocks"])
        assert [c["subject"] for c in procuratorate_letter] == ["rights_notification", "dismissal"]
        reopened = procuratorate_letter[1]
        assert reopened["due_on"] == notifier_letter[1]["due_on"]
        assert reopened["trigger_on"] == notifier_letter[1]["started_on"]
        assert reopened["due_on"] == (
            LETTER.due(
                datetime.fromisoformat(reopened["met_at"]), load_bundled_calendar()
            ).due_on.isoformat()
        )
        # Met alike: the letter went with the dismissal.
        assert reopened["outcome"] == notifier_letter[1]["outcome"] == "met"
        assert procuratorate_letter[0]["due_on"] == notifier_letter[0]["due_on"]
        # Neither clock rests on a guessed calendar year, and both say so.
        for clock in (*procuratorate_letter, *notifier_letter):
            assert clock["provisional"] is False and clock["missing_years"] == []


async def test_a_termination_leaving_a_minor_without_a_defender_reopens_the_letter_clock_alike(
    service_settings: Callable[..., Any],
) -> None:
    """The center ends aid for a reason that leaves the suspect without a defender: both the
    procuratorate and the notifier open the letter clock again, from the termination, on the
    same day (the procuratorate's rules Art. 42)."""
    async with running_platform(service_settings, "terminated") as platform:
        procuratorate = platform.procuratorate.client
        case_id, suspect_id = await _appointed_minor(platform)
        suspect = (await procuratorate.get(f"/cases/{case_id}")).json()["suspects"][0]
        assignment_id = suspect["current_defender"]["assignment_id"]
        terminated_at = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)  # a Friday
        # As the center publishes it (no REST step of the center ends aid for this reason).
        settings = platform.aid_center.settings
        envelope = Envelope.for_event(
            AidTerminated(
                assignment_id=UUID(assignment_id),
                suspect_id=UUID(suspect_id),
                reason=TerminationReason.OTHER,
                terminated_at=terminated_at,
                detail="the lawyer's licence was suspended",
            ),
            case_id=UUID(case_id),
            producer="aid-center",
        )
        producer = AIOKafkaProducer(**settings.kafka.options())
        await producer.start()
        try:
            await producer.send_and_wait(
                settings.topic_aid_center, envelope.to_bytes(), key=envelope.key
            )
        finally:
            await producer.stop()

        async def procuratorate_reopened() -> Any:
            got = (await procuratorate.get(f"/cases/{case_id}")).json()["suspects"][0]
            found = _letter_clocks(got["clocks"])
            return len(found) == 2 and found

        async def notifier_reopened() -> Any:
            found = await _notifier_letter_clocks(platform, case_id, suspect_id)
            return len(found) == 2 and found

        await eventually(procuratorate_reopened, what="the procuratorate to reopen the letter")
        await eventually(notifier_reopened, what="the notifier to reopen the letter")
        ours, theirs = (await procuratorate_reopened())[1], (await notifier_reopened())[1]
        expected = LETTER.due(terminated_at, load_bundled_calendar()).due_on.isoformat()
        assert ours["subject"] == "termination"
        assert ours["outcome"] is None and theirs["open"] is True
        assert ours["due_on"] == theirs["due_on"] == expected == "2026-03-09"
        assert ours["trigger_on"] == theirs["started_on"] == "2026-03-06"


def _letter_clocks(clocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(
        (c for c in clocks if c["kind"] == "notice_dispatch"),
        key=lambda c: c.get("trigger_on") or c["started_on"],
    )


async def _notifier_letter_clocks(platform: Any, case_id: str, suspect_id: str) -> Any:
    board = (
        await platform.notifier.client.get(
            "/clocks", params={"case_id": case_id, "include_stopped": "true"}
        )
    ).json()["items"]
    return _letter_clocks([c for c in board if c["suspect_id"] == suspect_id])


async def _appointed_minor(platform: Any) -> tuple[str, str]:
    """The Hedong minor, informed, declining counsel, and appointed a lawyer on the letter."""
    await _roster(platform.aid_center)
    procuratorate = platform.procuratorate.client
    case_id, suspect_id = await _minor_declining_counsel(
        procuratorate, decided_at=DECIDED, materials=["起诉意见书"]
    )

    async def appointed() -> bool:
        got = (await procuratorate.get(f"/cases/{case_id}")).json()["suspects"][0]
        return bool(got["defense_status"] == "appointed_on_notice")

    await eventually(appointed, what="the appointment to reach the procuratorate")
    return case_id, suspect_id
