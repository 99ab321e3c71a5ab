"""An application for legal aid reviewed and refused (LAL Art. 43, 49) through the services on
the real broker: the case received by the procuratorate, the application forwarded with the
applicant's form, the center's written refusal, and the applicant told by the notifier with
the reasons and the justice bureau to object to."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from aid_center.withdrawals import check_withdrawals
from legal_calendar import LEGAL_TIMEZONE
from tests.e2e.platform import running_platform
from tests.e2e.test_workflow import _minor_in_hedong
from tests.infrastructure import eventually

pytestmark = pytest.mark.integration


async def test_an_application_refused_in_writing_and_the_applicant_told(
    service_settings: Callable[..., Any],
) -> None:
    async with running_platform(service_settings, "application") as platform:
        procuratorate, aid_center = platform.procuratorate.client, platform.aid_center.client
        body = _minor_in_hedong()
        suspect = body["suspects"][0]
        # An adult pleading guilty to a minor charge: outside the mandatory scope, he applies.
        suspect |= {"name": "赵大", "birth_date": "1990-01-01", "guardian": None}
        case = await procuratorate.post("/cases", json=body)
        assert case.status_code == 201, case.text
        case_id = uuid.UUID(case.json()["case_id"])

        # The father applies for him (申请指派): the procuratorate takes the application form and
        # forwards it (转交申请) with the applicant's data.
        applied = await procuratorate.post(
            f"/cases/{case_id}/suspects/{suspect['suspect_id']}/defense-decision",
            json={
                "choice": "apply_for_legal_aid",
                "decided_by": "close_relative",
                "application": {
                    "applicant_name": "赵父",
                    "relationship": "父亲",
                    "contact": "13700000007",
                    "economic_hardship_statement": "家庭收入微薄",
                    "materials": ["法律援助申请表"],
                },
            },
        )
        assert applied.status_code == 200, applied.text
        application_id = applied.json()["legal_aid_application_id"]
        assert application_id is not None, applied.text

        url = f"/applications/{application_id}"

        async def under_review() -> Any:
            got = await aid_center.get(url)
            return got.status_code == 200 and got.json()["status"] == "under_review"

        await eventually(under_review, what="the application to reach the center")
        decided = await aid_center.post(
            f"{url}/decision",
            json={"decision": "refused", "reasons": "申请人家庭经济状况不符合经济困难标准"},
        )
        assert decided.status_code == 200, decided.text

        notifier = platform.notifier.client

        async def applicant_told() -> Any:
            log = (await notifier.get(f"/cases/{case_id}/deliveries")).json()
            return [
                d
                for d in log.get("items", [])
                if d["about_event_type"] == "ApplicationDecided"
                and d["recipient_role"] == "applicant"
                and d["status"] == "delivered"
            ]

        await eventually(applicant_told, what="the notifier to tell the applicant")
        (told,) = await applicant_told()
        assert told["address"] == "13700000007"
        assert told["subject"] == "不予法律援助决定书"
        assert "申请人家庭经济状况不符合经济困难标准" in told["body"]
        assert "天津市河东区司法局" in told["body"]
        # The father is answered about the application he made for his son.
        assert told["body"].startswith("赵父：您作为犯罪嫌疑人赵大的父亲为其提出的法律援助申请")
        # Refused: no lawyer.
        assignments = (await aid_center.get("/assignments")).json()["items"]
        assert assignments == []


async def test_an_application_not_completed_in_time_is_withdrawn_and_its_clock_closed(
    service_settings: Callable[..., Any],
) -> None:
    """LAL Art. 43: the material asked for does not come by the day given. Without staff, the
    center's check records the application withdrawn; the applicant is told, and the
    notifier's 7-day review clock closes."""
    async with running_platform(service_settings, "withdrawn") as platform:
        procuratorate, aid_center = platform.procuratorate.client, platform.aid_center.client
        body = _minor_in_hedong()
        suspect = body["suspects"][0]
        suspect |= {"name": "钱二", "birth_date": "1990-01-01", "guardian": None}
        case = await procuratorate.post("/cases", json=body)
        assert case.status_code == 201, case.text
        case_id = uuid.UUID(case.json()["case_id"])
        applied = await procuratorate.post(
            f"/cases/{case_id}/suspects/{suspect['suspect_id']}/defense-decision",
            json={
                "choice": "apply_for_legal_aid",
                "decided_by": "suspect",
                "application": {"applicant_name": "钱二", "contact": "13700000011"},
            },
        )
        assert applied.status_code == 200, applied.text
        url = f"/applications/{applied.json()['legal_aid_application_id']}"

        async def under_review() -> Any:
            got = await aid_center.get(url)
            return got.status_code == 200 and got.json()["status"] == "under_review"

        await eventually(under_review, what="the application to reach the center")
        asked = await aid_center.post(f"{url}/materials-request", json={"missing": ["收入证明"]})
        assert asked.status_code == 200, asked.text
        due_on = date.fromisoformat(asked.json()["materials_due_on"])

        notifier = platform.notifier.client

        async def review_clock() -> Any:
            got = await notifier.get(
                "/clocks",
                params={
                    "case_id": str(case_id),
                    "kind": "application_review",
                    "include_stopped": True,
                },
            )
            assert got.status_code == 200, got.text
            return got.json()["items"]

        await eventually(review_clock, what="the review clock on the board")
        runtime = platform.aid_center.runtime
        runtime.clock = lambda: datetime.combine(
            due_on + timedelta(days=1), time(9), LEGAL_TIMEZONE
        ).astimezone(UTC)
        (withdrawn,) = await check_withdrawals(runtime)
        assert str(withdrawn) in url

        async def closed() -> Any:
            return [c for c in await review_clock() if not c["open"]]

        await eventually(closed, what="the review clock to close")
        (clock,) = await closed()
        assert clock["outcome"] == "met"

        async def applicant_told() -> Any:
            log = (await notifier.get(f"/cases/{case_id}/deliveries")).json()
            return [
                d
                for d in log.get("items", [])
                if d["about_event_type"] == "ApplicationDecided" and d["status"] == "delivered"
            ]

        await eventually(applicant_told, what="the applicant to be told")
        (told,) = await applicant_told()
        assert told["subject"] == "法律援助申请视为撤回告知"
        # The suspect applied himself: the letter speaks of his own application.
        assert told["body"].startswith("钱二：您提出的法律援助申请，申请人未于")
        assert "视为撤回申请（《法律援助法》第四十三条）" in told["body"]
