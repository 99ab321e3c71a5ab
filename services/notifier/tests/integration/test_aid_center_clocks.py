"""The aid center's own periods on the deadline board, through the broker and the database: a
case subsidy's payment (notice §四) and an application's review and appointment (LAL Art. 43)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import pytest

from defense_schemas import BaseEvent
from defense_schemas import examples as ex
from defense_schemas.events import aid_center as aid
from defense_schemas.events import procuratorate as pr
from defense_schemas.vocabulary import (
    ApplicationDecision,
    AppointmentBasis,
    PersonRole,
    ReceiptKind,
)
from notifier.service import create_app
from notifier.workers.deadlines import scan_deadlines
from tests.infrastructure import operator, run_service

from .helpers import eventually, publish, wrap

pytestmark = pytest.mark.integration

SH = timezone(timedelta(hours=8))


async def board(client: Any, case_id: Any, kind: str) -> list[dict[str, Any]]:
    response = await client.get(
        "/clocks", params={"case_id": str(case_id), "kind": kind, "include_stopped": True}
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_a_late_subsidy_payment_and_an_application_decided_in_time_on_the_board(
    notifier_settings: Callable[..., Any],
) -> None:
    settings = await notifier_settings("aidclocks")
    bootstrap = settings.kafka_bootstrap_servers
    case_id, application_id, claim_id = uuid4(), uuid4(), uuid4()
    procuratorate = [
        pr.CaseReceived(
            **dict(ex.CASE),
            receipt_kind=ReceiptKind.TRANSFER,
            received_at=datetime(2026, 3, 2, 9, tzinfo=SH),
            review_deadline=date(2026, 4, 2),
            pilot_district=True,
            prosecutor=ex.PROSECUTOR,
        ),
        pr.LegalAidApplicationForwarded(
            application_id=application_id,
            suspect_id=ex.ZHANG,
            applied_by=PersonRole.CLOSE_RELATIVE,
            applied_at=datetime(2026, 3, 2, 10, tzinfo=SH),
            forwarded_at=datetime(2026, 3, 2, 14, tzinfo=SH),  # Monday
            addressee_center=ex.CENTER,
        ),
    ]
    granted_at = datetime(2026, 3, 6, 10, tzinfo=SH)
    aid_center: list[BaseEvent] = [
        aid.ApplicationMaterialsRequested(
            application_id=application_id,
            suspect_id=ex.ZHANG,
            missing=("经济困难状况说明表",),
            requested_at=datetime(2026, 3, 3, 9, tzinfo=SH),
            due_on=date(2026, 3, 10),
        ),
        # Complete on Wednesday: the 7 days run again, to Wednesday 03-11.
        aid.ApplicationMaterialsSupplied(
            application_id=application_id,
            suspect_id=ex.ZHANG,
            supplied_at=datetime(2026, 3, 4, 10, tzinfo=SH),
            review_due_on=date(2026, 3, 11),
        ),
        aid.ApplicationDecided(
            application_id=application_id,
            suspect_id=ex.ZHANG,
            decision=ApplicationDecision.GRANTED,
            decided_at=granted_at,
        ),
        aid.LawyerAssigned(
            assignment_id=uuid4(),
            suspect_id=ex.ZHANG,
            basis=AppointmentBasis.APPLICATION,
            application_id=application_id,
            lawyer=ex.LAWYER,
            assigned_at=granted_at + timedelta(minutes=5),
        ),
        aid.SubsidyApproved(
            claim_id=claim_id,
            lawyer_id=ex.LAWYER.lawyer_id,
            approved_amount_fen=150000,
            standard_amount_fen=150000,
            approved_at=datetime(2026, 4, 1, 10, tzinfo=SH),
            payment_due_on=date(2026, 5, 1),
            suspect_id=ex.ZHANG,
        ),
    ]
    async with run_service(create_app(settings), settings) as svc:
        svc.client.headers.update(operator(settings))
        await publish(
            bootstrap,
            settings.topic_procuratorate,
            [wrap(event, case_id, "procuratorate") for event in procuratorate],
        )
        await eventually(
            lambda: board(svc.client, case_id, "application_review"), lambda rows: len(rows) == 1
        )
        await publish(
            bootstrap,
            settings.topic_aid_center,
            [wrap(event, case_id, "aid-center") for event in aid_center],
        )
        [payment] = await eventually(
            lambda: board(svc.client, case_id, "subsidy_payment"), lambda rows: len(rows) == 1
        )

        # The review ran again from the material's arrival; the application was decided and its
        # lawyer appointed in time: both periods met.
        [review] = await board(svc.client, case_id, "application_review")
        assert (review["started_on"], review["due_on"]) == ("2026-03-04", "2026-03-11")
        assert (review["open"], review["outcome"]) == (False, "met")
        assert (review["responsible"], review["agency"]) == ("aid_center", ex.CENTER)
        [appointing] = await board(svc.client, case_id, "application_assignment")
        assert (appointing["started_on"], appointing["open"], appointing["outcome"]) == (
            "2026-03-06",
            False,
            "met",
        )

        # The payment runs from the approval to the day it names, the center's to meet.
        assert (payment["started_on"], payment["due_on"], payment["open"]) == (
            "2026-04-01",
            "2026-05-01",
            True,
        )
        assert (payment["responsible"], payment["agency"]) == ("aid_center", ex.CENTER)

        # The period closes at 00:00 after the due day unpaid: breached, and said so.
        scanned = await scan_deadlines(svc.runtime, datetime(2026, 5, 2, 0, 30, tzinfo=SH))
        assert payment["clock_id"] in {str(clock_id) for clock_id in scanned.breached}

        await publish(
            bootstrap,
            settings.topic_aid_center,
            [
                wrap(
                    aid.SubsidyPaid(
                        claim_id=claim_id,
                        lawyer_id=ex.LAWYER.lawyer_id,
                        paid_amount_fen=150000,
                        paid_on=date(2026, 5, 8),
                        reference="津河东财付〔2026〕90号",
                        payment_due_on=date(2026, 5, 1),
                        late=True,
                        short=False,
                    ),
                    case_id,
                    "aid-center",
                )
            ],
        )
        [paid] = await eventually(
            lambda: board(svc.client, case_id, "subsidy_payment"),
            lambda rows: not rows[0]["open"],
        )
        assert paid["outcome"] == "met_late"
        assert paid["breached_at"] is not None
        assert paid["stopped_at"].startswith("2026-05-0")  # 05-08 00:00 in Asia/Shanghai
