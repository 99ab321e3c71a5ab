"""A case subsidy from claim to payment through the real broker and database (notice §四):
the standard loaded by staff, the claim opened when aid ends, the lawyer's closing materials,
a reduced approval with its reason, and a late payment flagged."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from aid_center.domain.subsidies import payment_due
from defense_schemas.events.aid_center import (
    LawyerAssigned,
    SubsidyApproved,
    SubsidyClaimed,
    SubsidyPaid,
)
from legal_calendar import legal_date
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


async def test_a_subsidy_from_claim_to_a_late_payment_with_a_reduced_approval(
    service_settings: Callable[..., Any],
) -> None:
    async with running_center(service_settings, "aid-subsidy") as center:
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
        overlapping = await center.client.post(
            "/subsidy-standards",
            json={
                "region": "河东区",
                "case_kind": "ordinary",
                "valid_from": "2021-01-01",
                "amount_fen": 160000,
            },
        )
        assert at_fault(overlapping, 409) == ["#/valid_from"]

        firm = await add_firm(center, "天津补律师事务所")
        lawyer_id = await add_lawyer(center, firm, "S001")
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
        assert claimed.assignment_id == assigned.assignment_id
        assert claimed.standard_amount_fen == 150000
        url = f"/subsidy-claims/{claimed.claim_id}"

        # The lawyer submits the closing materials; another lawyer cannot see the claim.
        lawyer = bearer(center.settings, Role.LAWYER, lawyer_id=lawyer_id)
        other = bearer(center.settings, Role.LAWYER, lawyer_id=str(claimed.firm_id))
        assert (await center.client.get(url, headers=other)).status_code == 404
        submitted = await center.client.post(
            f"{url}/materials", json={"materials": ["结案报告", "书面辩护意见"]}, headers=lawyer
        )
        assert submitted.status_code == 200, submitted.text
        assert submitted.json()["status"] == "submitted"

        no_reason = await center.client.post(f"{url}/approval", json={"approved_amount_fen": 1})
        assert at_fault(no_reason, 400) == ["#/reduction_reason"]
        approved = await center.client.post(
            f"{url}/approval",
            json={"approved_amount_fen": 120000, "reduction_reason": "未会见犯罪嫌疑人"},
        )
        assert approved.status_code == 200, approved.text
        body = approved.json()
        assert body["checklist"]["meeting"] is False and body["service_standard_met"] is False
        due = date.fromisoformat(body["payment_due_on"])
        # Counted on the legal calendar from the approval (a rest day moves to a working day).
        days = center.settings.subsidy_payment_days
        approved_at = datetime.fromisoformat(body["approved_at"])
        assert due == payment_due(approved_at, days, center.service.runtime.calendar).due_on
        assert due >= legal_date(approved_at) + timedelta(days=days)
        told: SubsidyApproved = await center.log.first(case_id, SubsidyApproved)
        assert told.reduction_reason == "未会见犯罪嫌疑人"
        # The suspect, so the notifier's board shows the payment with the suspect's center.
        assert (told.suspect_id, told.payment_due_on) == (claimed.suspect_id, due)

        paid = await center.client.post(
            f"{url}/payment",
            json={
                "amount_fen": 120000,
                "paid_on": (due + timedelta(days=3)).isoformat(),
                "reference": "津河东财付〔2026〕9号",
            },
        )
        assert paid.status_code == 200, paid.text
        assert (paid.json()["paid_late"], paid.json()["paid_short"]) == (True, False)
        settled: SubsidyPaid = await center.log.first(case_id, SubsidyPaid)
        assert settled.late and not settled.short

        mine = await center.client.get("/subsidy-claims", headers=lawyer)
        assert [c["claim_id"] for c in mine.json()["items"]] == [str(claimed.claim_id)]

        # The finance office: the figures, and the workbook with the claim's row.
        stats = await center.client.get(
            "/subsidies/statistics", params={"basis": "payment", "granularity": "year"}
        )
        assert stats.status_code == 200, stats.text
        total = stats.json()["total"]
        assert (total["paid_count"], total["paid_fen"], total["late_count"]) == (1, 120000, 1)
        assert (total["owed_count"], total["short_count"]) == (0, 0)
        assert [(r["lawyer_name"], r["paid_fen"]) for r in stats.json()["lawyers"]] == [
            ("律师S001", 120000)
        ]
        # By payment, in the year it was paid.
        paid_year = str((due + timedelta(days=3)).year)
        assert [p["period"] for p in stats.json()["periods"]] == [paid_year]
        elsewhere = await center.client.get(
            "/subsidies/statistics", params={"firm_id": str(claimed.lawyer_id)}
        )
        assert elsewhere.json()["total"]["approved_count"] == 0
        backwards = await center.client.get(
            "/subsidies/statistics", params={"period_from": "2026-02-01", "period_to": "2026-01-01"}
        )
        assert at_fault(backwards, 400) == ["period_to"]
        denied = await center.client.get("/subsidies/statistics", headers=lawyer)
        assert denied.status_code == 403
        workbook = await center.client.get("/subsidies/claims.xlsx")
        assert workbook.status_code == 200, workbook.text
        assert "filename*=UTF-8''" in workbook.headers["content-disposition"]
        sheet = load_workbook(io.BytesIO(workbook.content))["办案补贴明细"]
        headers = [c.value for c in sheet[1]]
        (row,) = (dict(zip(headers, (c.value for c in r), strict=True)) for r in sheet.iter_rows(2))
        assert (row["律师"], row["核定金额（元）"], row["核减理由"]) == (
            "律师S001",
            1200,
            "未会见犯罪嫌疑人",
        )
        assert (row["逾期发放"], row["发放凭证号"]) == ("是", "津河东财付〔2026〕9号")
