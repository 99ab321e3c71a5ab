"""Duty lawyers, appointment on application, the end of the review stage, termination before any
lawyer, and the overdue-meeting flag — through the real broker and database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from defense_schemas.events.aid_center import (
    AidTerminated,
    DutyLawyerAssigned,
    LawyerAssigned,
    SupplementRequested,
)
from defense_schemas.events.common import DefenderRef
from defense_schemas.events.procuratorate import (
    DutyLawyerRequested,
    LegalAidApplicationForwarded,
    ProceduralDecisionMade,
    StageHandedOver,
)
from defense_schemas.vocabulary import (
    AppointmentBasis,
    DefenseStatus,
    DutyLawyerPurpose,
    PersonRole,
    ProceduralDecisionKind,
    ServiceMode,
    TerminationReason,
)
from legal_calendar import legal_date
from services.aid_center.tests.integration.center import running_center
from services.aid_center.tests.integration.test_aid_center_flow import (
    add_firm,
    add_lawyer,
    new_case,
    notice_for,
)
from tests.problems import at_fault

pytestmark = pytest.mark.integration

STATION = "河东区人民检察院法律援助工作站"


async def poll(get: Callable[[], Awaitable[Any]], timeout: float = 20) -> list[dict[str, Any]]:
    """Poll a listing until it is not empty (the consumer applies events asynchronously)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        listing = (await get()).json()["items"]
        if listing or loop.time() > deadline:
            return list(listing)
        await asyncio.sleep(0.05)


async def poll_one(get: Callable[[], Awaitable[Any]], timeout: float = 20) -> dict[str, Any]:
    """Poll a resource until it exists (the consumer applies events asynchronously)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        response = await get()
        if response.status_code == 200:
            return dict(response.json())
        assert response.status_code == 404 and loop.time() < deadline, response.text
        await asyncio.sleep(0.05)


async def test_duty_lawyer_from_the_rota_and_an_explicit_unassigned_request(
    service_settings: Callable[..., Any],
) -> None:
    async with running_center(service_settings, "aid-duty") as center:
        firm = await add_firm(center, "天津寅律师事务所")
        lawyer = await add_lawyer(center, firm, "M001")
        response = await center.client.post(
            "/work-stations",
            json={
                "name": STATION,
                "district": "河东区",
                "host_kind": "procuratorate",
                "host_name": "天津市河东区人民检察院",
            },
        )
        assert response.status_code == 201, response.text
        station_id = response.json()["station_id"]
        today = legal_date(datetime.now(UTC))
        response = await center.client.post(
            f"/work-stations/{station_id}/shifts",
            json={
                "lawyer_id": lawyer,
                "starts_on": today.isoformat(),
                "ends_on": (today + timedelta(days=1)).isoformat(),
                "mode": "on_site",
            },
        )
        assert response.status_code == 201, response.text
        assert len(response.json()) == 2
        again = await center.client.post(
            f"/work-stations/{station_id}/shifts",
            json={
                "lawyer_id": lawyer,
                "starts_on": today.isoformat(),
                "ends_on": today.isoformat(),
                "mode": "phone",
            },
        )
        assert again.status_code == 409
        bad = await center.client.post(
            f"/work-stations/{station_id}/shifts",
            json={
                "lawyer_id": str(uuid4()),
                "starts_on": today.isoformat(),
                "ends_on": today.isoformat(),
                "mode": "phone",
            },
        )
        assert bad.status_code == 400 and at_fault(bad) == ["#/lawyer_id"]

        case_id, received, (adult_id, minor_id) = new_case()
        await center.publish(received, case_id)
        request = DutyLawyerRequested(
            request_id=uuid4(),
            suspect_id=adult_id,
            purpose=DutyLawyerPurpose.PLEA_WITNESS,
            requested_at=datetime.now(UTC),
            work_station=STATION,
        )
        await center.publish(request, case_id)
        assigned: DutyLawyerAssigned = await center.log.first(case_id, DutyLawyerAssigned)
        assert str(assigned.lawyer.lawyer_id) == lawyer
        assert assigned.work_station == STATION and assigned.mode is ServiceMode.ON_SITE

        # Ten days ahead nobody is on the rota: the request stays visibly unassigned.
        later = DutyLawyerRequested(
            request_id=uuid4(),
            suspect_id=minor_id,
            purpose=DutyLawyerPurpose.LEGAL_HELP,
            requested_at=datetime.now(UTC) + timedelta(days=10),
        )
        await center.publish(later, case_id)

        found = await poll(
            lambda: center.client.get("/duty-requests", params={"status": "unassigned"})
        )
        assert [r["request_id"] for r in found] == [str(later.request_id)]
        assert found[0]["unassigned_reason"] == "nobody_on_rota"
        # Staff retry against today's rota: served now.
        retry = await center.client.post(f"/duty-requests/{later.request_id}/assignment")
        assert retry.status_code == 200, retry.text
        assert retry.json()["status"] == "assigned"
        await center.log.first(case_id, DutyLawyerAssigned, request_id=later.request_id)
        again_retry = await center.client.post(f"/duty-requests/{later.request_id}/assignment")
        assert again_retry.status_code == 409


async def test_application_appointment_then_non_prosecution_ends_aid(
    service_settings: Callable[..., Any],
) -> None:
    async with running_center(service_settings, "aid-apply") as center:
        firm = await add_firm(center, "天津卯律师事务所")
        await add_lawyer(center, firm, "N001")
        case_id, received, (adult_id, minor_id) = new_case()
        await center.publish(received, case_id)
        application = LegalAidApplicationForwarded(
            application_id=uuid4(),
            suspect_id=adult_id,
            applied_by=PersonRole.SUSPECT,
            applied_at=datetime.now(UTC),
            forwarded_at=datetime.now(UTC),
            addressee_center="天津市河东区法律援助中心",
            economic_hardship_statement="家庭无固定收入",
        )
        await center.publish(application, case_id)
        # The center reviews the application (LAL Art. 43) and grants it: a lawyer at once.
        url = f"/applications/{application.application_id}"
        reviewed = await poll_one(lambda: center.client.get(url))
        assert reviewed["status"] == "under_review" and reviewed["review_due_on"]
        granted = await center.client.post(
            f"{url}/decision", json={"decision": "granted", "reasons": "申请人经济困难"}
        )
        assert granted.status_code == 200, granted.text
        assigned: LawyerAssigned = await center.log.first(case_id, LawyerAssigned)
        assert granted.json()["assignment_id"] == str(assigned.assignment_id)
        assert assigned.basis is AppointmentBasis.APPLICATION
        assert assigned.application_id == application.application_id
        assert assigned.notice_id is None
        body = (await center.client.get(f"/applications/{application.application_id}")).json()
        assert body["status"] == "assigned"

        # The minor's notice lacks materials: no lawyer yet when the case is not prosecuted.
        notice = notice_for(minor_id, minor=True, materials=())
        await center.publish(notice, case_id)
        await center.log.first(case_id, SupplementRequested)

        await center.publish(
            ProceduralDecisionMade(
                decision_id=uuid4(),
                kind=ProceduralDecisionKind.NON_PROSECUTION,
                suspect_ids=(adult_id, minor_id),
                decided_at=datetime.now(UTC),
                document_number="津河检刑不诉〔2026〕1号",
            ),
            case_id,
        )
        ended: AidTerminated = await center.log.first(case_id, AidTerminated)
        assert ended.assignment_id == assigned.assignment_id
        assert ended.reason is TerminationReason.PROCEEDINGS_ENDED
        assert ended.decision_number == "津河检刑不诉〔2026〕1号"
        closed = (await center.client.get(f"/notices/{notice.notice_id}")).json()
        assert closed["status"] == "closed"
        assert closed["closed_reason"] == "proceedings_ended"
        assert "before any lawyer" in closed["closed_detail"]
        terminations = [e for e in center.log.of_case(case_id) if isinstance(e, AidTerminated)]
        assert len(terminations) == 1  # none for the minor: no assignment to name


async def test_hand_over_continues_or_ends_and_overdue_meeting_flag_fires(
    service_settings: Callable[..., Any],
) -> None:
    async with running_center(service_settings, "aid-stage", meeting_flag_days=1) as center:
        await add_lawyer(center, await add_firm(center, "天津辰律师事务所"), "P001")
        await add_lawyer(center, await add_firm(center, "天津巳律师事务所"), "P002")
        case_id, received, (adult_id, minor_id) = new_case()
        await center.publish(received, case_id)
        await center.publish(notice_for(adult_id, minor=False), case_id)
        await center.publish(notice_for(minor_id, minor=True), case_id)
        adult: LawyerAssigned = await center.log.first(case_id, LawyerAssigned, suspect_id=adult_id)
        minor: LawyerAssigned = await center.log.first(case_id, LawyerAssigned, suspect_id=minor_id)

        today = legal_date(datetime.now(UTC))
        flag = "/assignments/overdue-meetings"
        assert (await center.client.get(flag)).json()["items"] == []
        later = await center.client.get(flag, params={"as_of": str(today + timedelta(days=2))})
        flagged = {row["assignment_id"]: row for row in later.json()["items"]}
        assert set(flagged) == {str(adult.assignment_id), str(minor.assignment_id)}
        assert flagged[str(adult.assignment_id)]["days_since_assignment"] == 2

        await center.publish(
            StageHandedOver(
                suspect_id=adult_id,
                court="天津市河东区人民法院",
                handed_over_at=datetime.now(UTC),
                defense_status=DefenseStatus.APPOINTED_ON_NOTICE,
                defender=DefenderRef(name=adult.lawyer.name, assignment_id=adult.assignment_id),
            ),
            case_id,
        )
        await center.publish(
            StageHandedOver(
                suspect_id=minor_id,
                court="天津市河东区人民法院",
                handed_over_at=datetime.now(UTC),
                defense_status=DefenseStatus.RETAINED,
                defender=DefenderRef(name="孙律师", retention_id=uuid4()),
            ),
            case_id,
        )
        ended: AidTerminated = await center.log.first(case_id, AidTerminated)
        assert ended.assignment_id == minor.assignment_id
        assert ended.reason is TerminationReason.STAGE_ENDED
        kept = (await center.client.get(f"/assignments/{adult.assignment_id}")).json()
        assert kept["status"] == "active"
        assert kept["stage_outcome"] == "continues_to_trial"
        assert kept["trial_court"] == "天津市河东区人民法院"
        gone = (await center.client.get(f"/assignments/{minor.assignment_id}")).json()
        assert gone["status"] == "ended" and gone["stage_outcome"] == "ended_at_indictment"
