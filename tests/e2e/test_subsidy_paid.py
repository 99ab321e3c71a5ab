"""A case subsidy from claim to payment through the three services on the real broker and
databases (notice §四, 及时足额): the lawyer's work ends, the claim opens at the standard, the
lawyer hands in the closing materials, staff approve a reduced amount with the reason, the
notifier's board shows the payment clock breached once its day has passed, and the late
payment closes it as met late; SubsidyClaimed, SubsidyApproved and SubsidyPaid are on the aid
center's topic."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from defense_schemas import decode_event
from defense_schemas.events.aid_center import SubsidyApproved, SubsidyClaimed, SubsidyPaid
from legal_calendar import closes_at
from notifier.workers.deadlines import scan_deadlines
from service_runtime.security.principal import Role
from tests.e2e.platform import running_platform
from tests.e2e.test_workflow import _minor_declining_counsel, _roster
from tests.infrastructure import bearer, eventually, read_topic

pytestmark = pytest.mark.integration


async def test_a_reduced_subsidy_paid_late_is_breached_then_met_late_on_the_board(
    service_settings: Callable[..., Any],
) -> None:
    async with running_platform(service_settings, "subsidy") as platform:
        center, notifier = platform.aid_center.client, platform.notifier.client
        standard = await center.post(
            "/subsidy-standards",
            json={
                "region": "河东区",
                "case_kind": "ordinary",
                "valid_from": "2020-01-01",
                "amount_fen": 150000,
            },
        )
        assert standard.status_code == 201, standard.text
        lawyer_id = await _roster(platform.aid_center)
        case_id, suspect_id = await _minor_declining_counsel(
            platform.procuratorate.client,
            decided_at="2026-03-03T11:00:00+08:00",
            materials=["起诉意见书"],
        )

        async def assigned() -> Any:
            rows = (await center.get("/assignments")).json()["items"]
            return [r for r in rows if r["status"] == "active"]

        await eventually(assigned, what="the letter to bring a lawyer")
        [assignment] = await assigned()

        # The lawyer's work on the stage ends: a claim at the district's standard.
        ended = await center.post(
            f"/assignments/{assignment['assignment_id']}/termination",
            json={"reason": "recipient_request", "detail": "受援人有正当理由要求终止"},
        )
        assert ended.status_code == 200, ended.text
        [claim] = (await center.get("/subsidy-claims")).json()["items"]
        assert (claim["status"], claim["standard_amount_fen"]) == ("open", 150000)
        url = f"/subsidy-claims/{claim['claim_id']}"

        lawyer = bearer(platform.aid_center.settings, Role.LAWYER, lawyer_id=lawyer_id)
        submitted = await center.post(
            f"{url}/materials", json={"materials": ["结案报告", "会见笔录"]}, headers=lawyer
        )
        assert submitted.status_code == 200, submitted.text
        approved = await center.post(
            f"{url}/approval",
            json={"approved_amount_fen": 120000, "reduction_reason": "未提交书面辩护意见"},
        )
        assert approved.status_code == 200, approved.text
        due = date.fromisoformat(approved.json()["payment_due_on"])

        async def payment_clock() -> Any:
            board = (
                await notifier.get(
                    "/clocks", params={"case_id": case_id, "include_stopped": "true"}
                )
            ).json()["items"]
            found = [c for c in board if c["kind"] == "subsidy_payment"]
            return found[0] if found else None

        await eventually(payment_clock, what="the payment clock on the notifier's board")
        watched = await payment_clock()
        assert (watched["due_on"], watched["open"], watched["suspect_id"]) == (
            due.isoformat(),
            True,
            suspect_id,
        )
        assert watched["responsible"] == "aid_center"

        # The day due passes unpaid: the scan (at that time) flags the clock breached.
        result = await scan_deadlines(
            platform.notifier.runtime, closes_at(due) + timedelta(hours=1)
        )
        assert watched["clock_id"] in {str(c) for c in result.breached}
        breached = await payment_clock()
        assert breached["open"] is True and breached["breached_at"] is not None

        # Paid three days late, in full of what was approved.
        paid_on = due + timedelta(days=3)
        paid = await center.post(
            f"{url}/payment",
            json={
                "amount_fen": 120000,
                "paid_on": paid_on.isoformat(),
                "reference": "津河东财付〔2026〕31号",
            },
        )
        assert paid.status_code == 200, paid.text
        assert (paid.json()["paid_late"], paid.json()["paid_short"]) == (True, False)

        async def closed() -> Any:
            clock = await payment_clock()
            return clock if clock and not clock["open"] else None

        await eventually(closed, what="the payment to close the clock")
        assert (await closed())["outcome"] == "met_late"

        # The three facts, in order, on the aid center's topic.
        wanted = (SubsidyClaimed, SubsidyApproved, SubsidyPaid)

        def subsidy_events(records: list[Any]) -> list[Any]:
            decoded = (decode_event(r.value) for r in records)
            return [
                event
                for envelope, event in decoded
                if isinstance(event, wanted) and str(envelope.case_id) == case_id
            ]

        records = await read_topic(
            platform.aid_center.settings.kafka_bootstrap_servers,
            platform.aid_center.settings.topic_aid_center,
            until=lambda rs: len(subsidy_events(rs)) == 3,
        )
        claimed, approval, payment = subsidy_events(records)
        assert isinstance(claimed, SubsidyClaimed) and claimed.standard_amount_fen == 150000
        assert isinstance(approval, SubsidyApproved)
        assert (approval.approved_amount_fen, approval.reduction_reason) == (
            120000,
            "未提交书面辩护意见",
        )
        assert isinstance(payment, SubsidyPaid)
        assert (payment.paid_on, payment.late, payment.short) == (paid_on, True, False)

        # The finance office sees it paid late.
        total = (await center.get("/subsidies/statistics")).json()["total"]
        assert (total["paid_fen"], total["late_count"]) == (120000, 1)
