"""The operators see the deliveries the notifier holds for a fact it does not know yet, with
their age, and the /metrics gauges count them."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest

from defense_schemas import examples as ex
from defense_schemas.events import aid_center as aid
from defense_schemas.events.common import Lawyer
from defense_schemas.vocabulary import AssignmentEndReason, ReplacementReason
from notifier.service import create_app
from tests.infrastructure import bearer, operator, run_service

from .helpers import SmtpServer, eventually, publish, wrap
from .test_deliveries import LAWYER, case_received, lawyer_assigned, letter_sent

pytestmark = pytest.mark.integration


def gauge(metrics: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", metrics, re.MULTILINE)
    assert found is not None, f"{name} not in /metrics"
    return float(found.group(1))


async def test_held_deliveries_are_listed_for_operators_and_counted_until_released(
    notifier_settings: Callable[..., Any], tmp_path: Path
) -> None:
    settings = await notifier_settings("held", sms_file_path=tmp_path / "sms.jsonl")
    case_id = uuid4()
    async with run_service(create_app(settings), settings) as svc:
        client = svc.client
        ops = operator(settings)
        assigned = wrap(lawyer_assigned(), case_id, "aid-center")
        # The aid center's answer before the procuratorate's case: its messages are held.
        await publish(settings.kafka_bootstrap_servers, settings.topic_aid_center, [assigned])

        async def held() -> list[dict[str, Any]]:
            response = await client.get("/ops/held-deliveries", headers=ops)
            assert response.status_code == 200, response.text
            return list(response.json()["items"])

        [row] = await eventually(held, lambda rows: len(rows) == 1)
        assert row["event_id"] == str(assigned.event_id)
        assert row["case_id"] == str(case_id)
        assert row["waits_for"] == "case"
        assert row["age_seconds"] >= 0
        assert (
            await client.get("/ops/held-deliveries", params={"waits_for": "notice"}, headers=ops)
        ).json()["items"] == []
        metrics = (await client.get("/metrics")).text
        assert gauge(metrics, "defense_notifier_held_deliveries") == 1
        assert gauge(metrics, "defense_notifier_held_delivery_oldest_age_seconds") >= 0

        # Operators only: the board readers may not see it.
        reader = bearer(settings, "procuratorate_staff", agency="天津市河东区人民检察院")
        refused = await client.get("/ops/held-deliveries", headers=reader)
        assert refused.status_code == 403

        await publish(
            settings.kafka_bootstrap_servers,
            settings.topic_procuratorate,
            [
                wrap(case_received(), case_id, "procuratorate"),
                wrap(letter_sent(), case_id, "procuratorate"),
            ],
        )
        await eventually(held, lambda rows: rows == [])
        metrics = (await client.get("/metrics")).text
        assert gauge(metrics, "defense_notifier_held_deliveries") == 0
        assert gauge(metrics, "defense_notifier_held_delivery_oldest_age_seconds") == 0


async def test_the_ended_lawyer_is_told_when_the_end_was_held_for_the_letter(
    notifier_settings: Callable[..., Any], tmp_path: Path
) -> None:
    """The aid center's topic first: the appointment, its end (an allowed refusal) and the
    replacement are held for the letter, and the end forgets the lawyer meanwhile. Once the
    letter arrives, each held message goes to the lawyer it would have reached in order — the
    ended lawyer hears of the appointment and of its end, the successor only of the
    replacement — from what the held rows kept, sealed like every contact."""
    with SmtpServer() as smtp:
        settings = await notifier_settings(
            "held-ended", smtp_port=smtp.port, sms_file_path=tmp_path / "sms.jsonl"
        )
        bootstrap = settings.kafka_bootstrap_servers
        case_id = uuid4()
        successor = Lawyer(
            **{**LAWYER.model_dump(), "name": "周律师", "contact": "zhou@firm-b.example"}
        )
        async with run_service(create_app(settings), settings) as svc:
            client = svc.client
            ops = operator(settings)
            aid_center = [
                wrap(lawyer_assigned(), case_id, "aid-center"),
                wrap(
                    aid.AssignmentEnded(
                        assignment_id=ex.ASSIGNMENT,
                        suspect_id=ex.LI,
                        lawyer_id=LAWYER.lawyer_id,
                        notice_id=ex.NOTICE,
                        reason=AssignmentEndReason.REFUSAL_ALLOWED,
                        ended_at=ex.at(8),
                    ),
                    case_id,
                    "aid-center",
                ),
                wrap(
                    aid.LawyerReplaced(
                        suspect_id=ex.LI,
                        previous_assignment_id=ex.ASSIGNMENT,
                        assignment_id=ex.ASSIGNMENT_2,
                        lawyer=successor,
                        reason=ReplacementReason.REFUSAL_REAPPOINTMENT,
                        replaced_at=ex.at(10),
                    ),
                    case_id,
                    "aid-center",
                ),
            ]
            await publish(bootstrap, settings.topic_aid_center, aid_center)

            async def held() -> list[dict[str, Any]]:
                response = await client.get("/ops/held-deliveries", headers=ops)
                assert response.status_code == 200, response.text
                return list(response.json()["items"])

            await eventually(held, lambda rows: len(rows) == 3)
            connection = await asyncpg.connect(str(settings.database_url).replace("+asyncpg", ""))
            try:
                kept = await connection.fetch(
                    "SELECT kept_contacts FROM held_deliveries WHERE case_id = $1", case_id
                )
            finally:
                await connection.close()
            assert len(kept) == 3
            assert all(row["kept_contacts"] for row in kept)
            for row in kept:
                for value in (LAWYER.contact, LAWYER.name, successor.contact, successor.name):
                    assert value not in row["kept_contacts"]

            await publish(
                bootstrap,
                settings.topic_procuratorate,
                [
                    wrap(case_received(), case_id, "procuratorate"),
                    wrap(letter_sent(), case_id, "procuratorate"),
                ],
            )
            await eventually(held, lambda rows: rows == [])

            async def log() -> dict[str, Any]:
                response = await client.get(f"/cases/{case_id}/deliveries", headers=ops)
                return response.json() if response.status_code == 200 else {}

            body = await eventually(
                log,
                lambda body: (
                    bool(body.get("items"))
                    and all(d["status"] == "delivered" for d in body["items"])
                ),
            )
            told = {(d["about_event_type"], d["recipient_role"]) for d in body["items"]}
            assert ("AssignmentEnded", "lawyer") in told
            assert ("LawyerAssigned", "lawyer") in told
            assert ("LawyerReplaced", "lawyer") in told
            to_lawyers = sorted(
                (m["To"], m["Subject"]) for m in smtp.messages if "firm-" in m["To"]
            )
            assert to_lawyers == [
                ("周律师 <zhou@firm-b.example>", "法律援助指派通知（更换律师）：李某某"),
                ("陈律师 <chen@firm-a.example>", "法律援助指派结束通知：李某某"),
                ("陈律师 <chen@firm-a.example>", "法律援助指派通知：李某某"),
            ]
