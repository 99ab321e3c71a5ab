"""Ending legal aid on the center's decision (LAL Art. 48) and on a change of jurisdiction,
through the real broker and database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from defense_schemas.events.aid_center import AidTerminated, LawyerAssigned
from defense_schemas.events.procuratorate import ProceduralDecisionMade
from defense_schemas.vocabulary import ProceduralDecisionKind, TerminationReason
from service_runtime.security.principal import Role
from services.aid_center.tests.integration.center import running_center
from services.aid_center.tests.integration.test_aid_center_flow import (
    add_firm,
    add_lawyer,
    new_case,
    notice_for,
)
from tests.infrastructure import bearer
from tests.problems import at_fault

pytestmark = pytest.mark.integration


async def test_staff_terminate_on_a_ground_of_art_48_and_the_procuratorate_is_told(
    service_settings: Callable[..., Any],
) -> None:
    async with running_center(service_settings, "aid-terminate") as center:
        firm = await add_firm(center, "天津终律师事务所")
        await add_lawyer(center, firm, "T001")
        case_id, received, (adult_id, _) = new_case()
        await center.publish(received, case_id)
        notice = notice_for(adult_id, minor=False)
        await center.publish(notice, case_id)
        assigned: LawyerAssigned = await center.log.first(case_id, LawyerAssigned)
        url = f"/assignments/{assigned.assignment_id}/termination"

        # Counsel retained is the procuratorate's to record; Art. 48(4) never ends a notice.
        for reason in ("counsel_retained", "economic_situation_changed"):
            refused = await center.client.post(url, json={"reason": reason, "detail": "x"})
            assert at_fault(refused, 400) == ["#/reason"]
        missing = await center.client.post(url, json={"reason": "facts_concealed"})
        assert at_fault(missing, 422) == ["#/detail"]

        decided = await center.client.post(
            url,
            json={
                "reason": "facts_concealed",
                "detail": "受援人故意隐瞒与案件有关的重要事实",
                "decision_number": "津河东援终〔2026〕1号",
            },
        )
        assert decided.status_code == 200, decided.text
        body = decided.json()
        assert body["legal_basis"] == "LAL Art. 48(2)"
        assert body["letter_after"] == "reopens"  # the procuratorate owes a new letter

        told: AidTerminated = await center.log.first(case_id, AidTerminated)
        assert told.assignment_id == assigned.assignment_id
        assert told.reason is TerminationReason.FACTS_CONCEALED
        assert told.decision_number == "津河东援终〔2026〕1号"
        closed = (await center.client.get(f"/notices/{notice.notice_id}")).json()
        assert (closed["status"], closed["closed_reason"]) == ("closed", "facts_concealed")
        ended = (await center.client.get(f"/assignments/{assigned.assignment_id}")).json()
        assert (ended["status"], ended["end_reason"]) == ("ended", "facts_concealed")

        again = await center.client.post(
            url, json={"reason": "recipient_request", "detail": "要求终止"}
        )
        assert again.status_code == 409, again.text


async def test_a_change_of_jurisdiction_ends_aid_and_the_same_lawyer_takes_the_new_letter(
    service_settings: Callable[..., Any],
) -> None:
    async with running_center(service_settings, "aid-jurisdiction") as center:
        firm = await add_firm(center, "天津管律师事务所")
        await add_lawyer(center, firm, "J001")
        other = await add_firm(center, "天津辖律师事务所")
        await add_lawyer(center, other, "J002")
        case_id, received, (adult_id, _) = new_case()
        await center.publish(received, case_id)
        await center.publish(notice_for(adult_id, minor=False), case_id)
        first: LawyerAssigned = await center.log.first(case_id, LawyerAssigned)

        await center.publish(
            ProceduralDecisionMade(
                decision_id=uuid4(),
                kind=ProceduralDecisionKind.JURISDICTION_CHANGE,
                suspect_ids=(adult_id,),
                decided_at=datetime.now(UTC),
                document_number="津河东检改管〔2026〕1号",
                receiving_unit="天津市西青区人民检察院",
            ),
            case_id,
        )
        ended: AidTerminated = await center.log.first(case_id, AidTerminated)
        assert ended.reason is TerminationReason.JURISDICTION_CHANGED
        assert ended.decision_number == "津河东检改管〔2026〕1号"
        assert "天津市西青区人民检察院" in (ended.detail or "")

        # The receiving procuratorate's letter to this center: handed over to the same lawyer.
        await center.publish(notice_for(adult_id, minor=False), case_id)

        def second(events: list[Any]) -> LawyerAssigned | None:
            assigned = [
                e for _, e in events if isinstance(e, LawyerAssigned) and e.suspect_id == adult_id
            ]
            return assigned[1] if len(assigned) > 1 else None

        handed: LawyerAssigned = await center.log.wait_for(second)
        assert handed.lawyer.lawyer_id == first.lawyer.lawyer_id
        assert handed.continued_from_previous_stage


async def test_the_lawyer_reports_a_ground_and_staff_decide_only_the_termination_is_told(
    service_settings: Callable[..., Any],
) -> None:
    """LAL Art. 48 ¶2 on the real database: the appointed lawyer reports on their own
    assignment (another lawyer gets a 404, staff a 403); staff dismiss one report (nothing is
    told) and terminate on another (AidTerminated reaches the procuratorate)."""
    async with running_center(service_settings, "aid-reports") as center:
        firm = await add_firm(center, "天津报律师事务所")
        await add_lawyer(center, firm, "R001")
        case_id, received, (adult_id, _) = new_case()
        await center.publish(received, case_id)
        notice = notice_for(adult_id, minor=False)
        await center.publish(notice, case_id)
        assigned: LawyerAssigned = await center.log.first(case_id, LawyerAssigned)
        url = f"/assignments/{assigned.assignment_id}/termination-reports"
        lawyer = bearer(center.settings, Role.LAWYER, lawyer_id=str(assigned.lawyer.lawyer_id))
        stranger = bearer(center.settings, Role.LAWYER, lawyer_id=str(uuid4()))
        found = {"reason": "unlawful_use", "statement": "受援人利用法律援助从事违法活动"}

        assert (await center.client.post(url, json=found, headers=stranger)).status_code == 404
        assert (await center.client.post(url, json=found)).status_code == 403  # staff
        counsel = {"reason": "counsel_retained", "statement": "受援人已自行委托律师"}
        refused = await center.client.post(url, json=counsel, headers=lawyer)
        assert at_fault(refused, 400) == ["#/reason"]

        first = await center.client.post(url, json=found, headers=lawyer)
        assert first.status_code == 201, first.text
        assert (first.json()["status"], first.json()["legal_basis"]) == (
            "pending",
            "LAL Art. 48(3)",
        )
        mine = (await center.client.get("/termination-reports", headers=lawyer)).json()["items"]
        assert [r["report_id"] for r in mine] == [first.json()["report_id"]]
        theirs = await center.client.get("/termination-reports", headers=stranger)
        assert theirs.json()["items"] == []
        pending = await center.client.get("/termination-reports", params={"status": "pending"})
        assert [r["statement"] for r in pending.json()["items"]] == [found["statement"]]

        dismissed = await center.client.post(
            f"/termination-reports/{first.json()['report_id']}/decision",
            json={"decision": "dismiss", "reasons": "经核实，情况不属实"},
        )
        assert dismissed.status_code == 200, dismissed.text
        assert dismissed.json()["status"] == "dismissed"
        still = (await center.client.get(f"/assignments/{assigned.assignment_id}")).json()
        assert still["status"] == "active"

        second = await center.client.post(
            url,
            json={"reason": "facts_concealed", "statement": "受援人隐瞒重要事实"},
            headers=lawyer,
        )
        assert second.status_code == 201, second.text
        decided = await center.client.post(
            f"/termination-reports/{second.json()['report_id']}/decision",
            json={
                "decision": "terminate",
                "reasons": "经核实，受援人故意隐瞒与案件有关的重要事实",
                "decision_number": "津河东援终〔2026〕3号",
            },
        )
        assert decided.status_code == 200, decided.text
        told: AidTerminated = await center.log.first(case_id, AidTerminated)
        assert (told.reason, told.decision_number) == (
            TerminationReason.FACTS_CONCEALED,
            "津河东援终〔2026〕3号",
        )
        # Only the termination was told: one AidTerminated for the case, none for the dismissal.
        assert [type(e) for e in center.log.of_case(case_id)].count(AidTerminated) == 1
        closed = (await center.client.get(f"/notices/{notice.notice_id}")).json()
        assert closed["closed_reason"] == "facts_concealed"
        twice = await center.client.post(
            f"/termination-reports/{second.json()['report_id']}/decision",
            json={"decision": "dismiss", "reasons": "x"},
        )
        assert twice.status_code == 409, twice.text
