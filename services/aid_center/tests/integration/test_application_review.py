"""The center's review of an application (LAL Art. 43, 49) through the real broker and
database: missing material asked for once, then a refusal in writing with its reasons."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import uuid4

import pytest

from aid_center.withdrawals import check_withdrawals
from defense_schemas.events.aid_center import (
    ApplicationDecided,
    ApplicationMaterialsRequested,
    ApplicationMaterialsSupplied,
    LawyerAssigned,
)
from defense_schemas.events.common import Applicant
from defense_schemas.events.procuratorate import LegalAidApplicationForwarded
from defense_schemas.vocabulary import ApplicationDecision, PersonRole
from legal_calendar import LEGAL_TIMEZONE as SHANGHAI
from services.aid_center.tests.integration.center import running_center
from services.aid_center.tests.integration.test_aid_center_flow import new_case
from services.aid_center.tests.integration.test_duty_applications_stage import poll_one
from tests.problems import at_fault

pytestmark = pytest.mark.integration


async def test_missing_material_asked_once_then_the_application_refused_in_writing(
    service_settings: Callable[..., Any],
) -> None:
    async with running_center(service_settings, "aid-review") as center:
        case_id, received, (adult_id, _) = new_case()
        await center.publish(received, case_id)
        application = LegalAidApplicationForwarded(
            application_id=uuid4(),
            suspect_id=adult_id,
            applied_by=PersonRole.CLOSE_RELATIVE,
            applied_at=datetime.now(UTC),
            forwarded_at=datetime.now(UTC),
            addressee_center="天津市河东区法律援助中心",
            applicant=Applicant(name="王父", contact="13800000009"),
        )
        await center.publish(application, case_id)
        url = f"/applications/{application.application_id}"
        stored = await poll_one(lambda: center.client.get(url))
        assert stored["status"] == "under_review"
        assert stored["applicant_name"] == "王父"

        # No hardship statement and no exemption: no grant.
        refused = await center.client.post(f"{url}/decision", json={"decision": "granted"})
        assert at_fault(refused, 400) == ["#/decision"]

        asked = await center.client.post(
            f"{url}/materials-request", json={"missing": ["经济困难状况说明表", "户籍证明"]}
        )
        assert asked.status_code == 200, asked.text
        assert asked.json()["status"] == "materials_requested"
        told: ApplicationMaterialsRequested = await center.log.first(
            case_id, ApplicationMaterialsRequested
        )
        assert told.missing == ("经济困难状况说明表", "户籍证明")
        assert told.applicant_contact == "13800000009"
        again = await center.client.post(f"{url}/materials-request", json={"missing": ["其他"]})
        assert at_fault(again, 409) == ["#/missing_materials"]

        supplied = await center.client.post(
            f"{url}/materials",
            json={
                "materials": ["经济困难状况说明表", "户籍证明"],
                "hardship_statement": "月收入三千元",
            },
        )
        assert supplied.status_code == 200, supplied.text
        assert supplied.json()["status"] == "under_review"
        restarted: ApplicationMaterialsSupplied = await center.log.first(
            case_id, ApplicationMaterialsSupplied
        )
        assert restarted.review_due_on.isoformat() == supplied.json()["review_due_on"]

        no_reasons = await center.client.post(f"{url}/decision", json={"decision": "refused"})
        assert at_fault(no_reasons, 400) == ["#/reasons"]
        decided = await center.client.post(
            f"{url}/decision",
            json={"decision": "refused", "reasons": "申请人家庭经济状况不符合经济困难标准"},
        )
        assert decided.status_code == 200, decided.text
        assert decided.json()["application"]["status"] == "refused"
        assert decided.json()["assignment_id"] is None

        event: ApplicationDecided = await center.log.first(case_id, ApplicationDecided)
        assert event.decision is ApplicationDecision.REFUSED
        assert event.objection_to == "天津市河东区司法局"
        assert event.reasons == "申请人家庭经济状况不符合经济困难标准"
        twice = await center.client.post(f"{url}/decision", json={"decision": "granted"})
        assert twice.status_code == 409, twice.text
        assert not [e for e in center.log.of_case(case_id) if isinstance(e, LawyerAssigned)]


async def test_applications_not_completed_in_time_are_withdrawn_once_by_any_replicas_check(
    service_settings: Callable[..., Any],
) -> None:
    """LAL Art. 43 without staff: past the day given for the material, the center's check
    (here two passes at once, as two replicas would run it) records each lapsed application
    withdrawn exactly once, with its legal basis, and tells the applicant; one still within
    its day is left alone."""
    async with running_center(service_settings, "aid-withdrawn") as center:
        case_id, received, (adult_id, other_id) = new_case()
        await center.publish(received, case_id)
        forwarded = [
            LegalAidApplicationForwarded(
                application_id=uuid4(),
                suspect_id=suspect_id,
                applied_by=PersonRole.CLOSE_RELATIVE,
                applied_at=datetime.now(UTC),
                forwarded_at=datetime.now(UTC),
                addressee_center="天津市河东区法律援助中心",
                applicant=Applicant(name="王父", contact="13800000009", relationship="父亲"),
            )
            for suspect_id in (adult_id, other_id, adult_id)
        ]
        for application in forwarded:
            await center.publish(application, case_id)
        today = datetime.now(UTC).astimezone(SHANGHAI).date()
        due_days = [today + timedelta(days=1), today + timedelta(days=1), today + timedelta(days=5)]
        for application, due_on in zip(forwarded, due_days, strict=True):
            url = f"/applications/{application.application_id}"
            await poll_one(lambda url=url: center.client.get(url))
            asked = await center.client.post(
                f"{url}/materials-request",
                json={"missing": ["户籍证明"], "due_on": due_on.isoformat()},
            )
            assert asked.status_code == 200, asked.text

        runtime = center.service.runtime
        assert await check_withdrawals(runtime) == []  # nothing has lapsed yet
        runtime.clock = lambda: datetime.combine(
            today + timedelta(days=2), time(0, 5), SHANGHAI
        ).astimezone(UTC)
        passes = await asyncio.gather(
            check_withdrawals(runtime, batch=1), check_withdrawals(runtime, batch=1)
        )

        lapsed = {forwarded[0].application_id, forwarded[1].application_id}
        withdrawn = [application_id for done in passes for application_id in done]
        assert sorted(withdrawn) == sorted(lapsed)  # each once, whichever pass took it
        for application in forwarded:
            row = (await center.client.get(f"/applications/{application.application_id}")).json()
            if application.application_id in lapsed:
                assert (row["status"], row["decision"]) == ("withdrawn", "deemed_withdrawn")
                assert row["decided_automatically"] is True
                assert "《法律援助法》第四十三条" in row["decision_reasons"]
            else:
                assert row["status"] == "materials_requested"

        def decisions(events: list[Any]) -> list[ApplicationDecided]:
            found = [e for _, e in events if isinstance(e, ApplicationDecided)]
            return found if len(found) >= 2 else []

        told = await center.log.wait_for(decisions)
        assert {e.application_id for e in told} == lapsed and len(told) == 2
        assert all(e.applicant_relationship == "父亲" for e in told)
        # Staff cannot supply the material any more: the application is withdrawn.
        late = await center.client.post(
            f"/applications/{forwarded[0].application_id}/materials",
            json={"materials": ["户籍证明"]},
        )
        assert late.status_code == 409, late.text
