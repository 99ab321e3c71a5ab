"""The center's review of an application (LAL Art. 43, 49) through the real broker and
database: missing material asked for once, then a refusal in writing with its reasons."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from defense_schemas.events.aid_center import (
    ApplicationDecided,
    ApplicationMaterialsRequested,
    ApplicationMaterialsSupplied,
    LawyerAssigned,
)
from defense_schemas.events.common import Applicant
from defense_schemas.events.procuratorate import LegalAidApplicationForwarded
from defense_schemas.vocabulary import ApplicationDecision, PersonRole
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
