"""End to end through the real broker and databases: the three services as one platform."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from tests.e2e.platform import running_platform
from tests.infrastructure import RunningService, eventually, operator

pytestmark = pytest.mark.integration


def _minor_in_hedong() -> dict[str, Any]:
    return {
        "transfer_number": f"津公东诉字〔2026〕{uuid.uuid4().int % 100000}号",
        "transferring_agency": "天津市公安局河东分局",
        "transferring_agency_kind": "public_security",
        "procuratorate_unit": "天津市河东区人民检察院",
        "district": "河东区",
        "charges": ["盗窃罪"],
        "suspects": [
            {
                "suspect_id": str(uuid.uuid4()),
                "name": "王小明",
                "birth_date": "2010-01-01",
                "gender": "male",
                "limited_capacity": False,
                "custody_status": "detained",
                "place_of_detention_or_residence": "天津市河东区看守所",
                "contacts": ["022-12345678"],
                "charges": ["盗窃罪"],
                "likely_sentence": "one_year_or_less",
                "pleads_guilty": True,
                "guardian": {"name": "王大明", "relationship": "父亲", "contact": "13800000000"},
            }
        ],
        "major_and_complex": False,
        "social_impact": False,
        "received_at": "2026-03-02T09:00:00+08:00",
        "prosecutor": {"name": "李检察官", "contact": "022-87654321"},
    }


async def _minor_declining_counsel(
    procuratorate: Any, *, decided_at: str, materials: list[str]
) -> tuple[str, str]:
    """The Hedong minor received, informed with the guardian, and declining counsel (the letter
    goes out with the decision); returns the case's and the suspect's ids."""
    body = _minor_in_hedong()
    case = await procuratorate.post("/cases", json=body)
    assert case.status_code == 201, case.text
    case_id, suspect_id = case.json()["case_id"], body["suspects"][0]["suspect_id"]
    suspect_url = f"/cases/{case_id}/suspects/{suspect_id}"
    notified = await procuratorate.post(
        f"{suspect_url}/rights-notification",
        json={
            "informed": [
                {"role": "suspect", "name": "王小明"},
                {"role": "guardian", "name": "王大明"},
            ],
            "notified_at": "2026-03-03T10:00:00+08:00",
        },
    )
    assert notified.status_code == 200, notified.text
    decision = await procuratorate.post(
        f"{suspect_url}/defense-decision",
        json={"choice": "no_counsel", "decided_at": decided_at, "materials": materials},
    )
    assert decision.status_code == 200, decision.text
    return case_id, suspect_id


async def _roster(
    aid_center: RunningService,
    *,
    firm_name: str = "天津甲律师事务所",
    lawyer_name: str = "赵律师",
    number: int = 1,
    gender: str = "female",
    years: int = 6,
) -> str:
    """A juvenile specialist in a firm of their own; `number` keeps licences and contacts apart."""
    firm = await aid_center.client.post(
        "/firms", json={"name": firm_name, "contact": f"022-{number}"}
    )
    assert firm.status_code == 201, firm.text
    lawyer = await aid_center.client.post(
        "/lawyers",
        json={
            "firm_id": firm.json()["firm_id"],
            "name": lawyer_name,
            "license_number": f"1120120000000{number}",
            "contact": f"1390000000{number}",
            "gender": gender,
            "criminal_practice_years": years,
            "specialties": ["juvenile"],
            "max_concurrent_cases": 5,
        },
    )
    assert lawyer.status_code == 201, lawyer.text
    return str(lawyer.json()["lawyer_id"])


async def test_a_minor_without_counsel_gets_an_appointed_lawyer_seen_by_the_procuratorate(
    service_settings: Callable[..., Any],
) -> None:
    async with running_platform(service_settings, "minor") as platform:
        lawyer_id = await _roster(platform.aid_center)
        procuratorate = platform.procuratorate.client
        case_id, _ = await _minor_declining_counsel(
            procuratorate, decided_at="2026-03-03T11:00:00+08:00", materials=["起诉意见书"]
        )

        async def appointed() -> Any:
            got = (await procuratorate.get(f"/cases/{case_id}")).json()["suspects"][0]
            return got["defense_status"] == "appointed_on_notice" and got

        await eventually(appointed, what="the appointment to reach the procuratorate")
        suspect = await appointed()
        assert suspect["current_defender"]["name"] == "赵律师"
        assignments = (await platform.aid_center.client.get("/assignments")).json()["items"]
        assert [a["lawyer_id"] for a in assignments] == [lawyer_id]
        timeline = [
            entry["event_type"]
            for entry in (await procuratorate.get(f"/cases/{case_id}/timeline")).json()["items"]
        ]
        for expected in ("CaseReceived", "DefenseNoticeSent", "NoticeAccepted", "LawyerAssigned"):
            assert expected in timeline

        notifier = platform.notifier.client

        async def lawyer_told() -> Any:
            log = (await notifier.get(f"/cases/{case_id}/deliveries")).json()
            return [
                d
                for d in log.get("items", [])
                if d["about_event_type"] == "LawyerAssigned"
                and d["recipient_role"] == "lawyer"
                and d["status"] == "delivered"
            ]

        await eventually(lawyer_told, what="the notifier to tell the appointed lawyer")
        told = (await lawyer_told())[0]
        assert told["address"] == "13900000001"
        assert "王小明" in told["body"]
        board = (await notifier.get("/clocks", params={"case_id": case_id})).json()["items"]
        assert "review_period" in {clock["kind"] for clock in board}


async def test_an_allowed_refusal_ends_the_appointment_until_another_lawyer_is_appointed(
    service_settings: Callable[..., Any],
) -> None:
    """Measures Art. 5 ¶1: the refused lawyer stops defending at once in both services, the
    ledger counts the suspect as a gap, and the written request brings another lawyer."""
    async with running_platform(service_settings, "refusal") as platform:
        first_lawyer = await _roster(platform.aid_center)
        firm = await platform.aid_center.client.post(
            "/firms", json={"name": "天津乙律师事务所", "contact": "022-2"}
        )
        second = await platform.aid_center.client.post(
            "/lawyers",
            json={
                "firm_id": firm.json()["firm_id"],
                "name": "钱律师",
                "license_number": "11201200000002",
                "contact": "13900000002",
                "gender": "male",
                "criminal_practice_years": 4,
                "specialties": ["juvenile"],
                "max_concurrent_cases": 5,
            },
        )
        assert second.status_code == 201, second.text
        procuratorate, center = platform.procuratorate.client, platform.aid_center.client
        body = _minor_in_hedong()
        case = await procuratorate.post("/cases", json=body)
        assert case.status_code == 201, case.text
        case_id, suspect_id = case.json()["case_id"], body["suspects"][0]["suspect_id"]
        suspect_url = f"/cases/{case_id}/suspects/{suspect_id}"
        decision = await procuratorate.post(
            f"{suspect_url}/defense-decision",
            json={
                "choice": "no_counsel",
                "decided_at": "2026-03-03T11:00:00+08:00",
                "materials": ["起诉意见书"],
            },
        )
        assert decision.status_code == 200, decision.text

        async def suspect_row() -> Any:
            return (await procuratorate.get(f"/cases/{case_id}")).json()["suspects"][0]

        async def ledger_status() -> str:
            rows = (await procuratorate.get("/ledger")).json()["items"]
            return next(r["defense_status"] for r in rows if r["suspect_id"] == suspect_id)

        async def appointed() -> Any:
            got = await suspect_row()
            return got["defense_status"] == "appointed_on_notice" and got

        await eventually(appointed, what="the first appointment to reach the procuratorate")
        [refused] = (await center.get("/assignments")).json()["items"]
        assert refused["lawyer_id"] == first_lawyer

        ruled = await procuratorate.post(
            f"{suspect_url}/refusals",
            json={
                "assignment_id": refused["assignment_id"],
                "refusal_reason": "与律师存在利害关系",
                "outcome": "allowed_must_retain_counsel",
            },
        )
        assert ruled.status_code == 200, ruled.text
        assert (await suspect_row())["defense_status"] == "none"
        assert await ledger_status() == "none"
        statistics = (await procuratorate.get("/statistics")).json()["total"]
        assert statistics["mandatory_covered"] == 0

        async def ended_at_center() -> Any:
            rows = (await center.get("/assignments")).json()["items"]
            return [r for r in rows if r["end_reason"] == "refusal_allowed"]

        await eventually(ended_at_center, what="the center to end the refused lawyer")
        [ended] = await ended_at_center()
        assert ended["status"] == "ended"

        # The written request is owed within 3 days, on the same day in both services.
        [owed] = [c for c in (await suspect_row())["clocks"] if c["subject"] == "refusal_allowed"]
        assert owed["kind"] == "notice_dispatch" and owed["outcome"] is None

        async def notifier_letter_clocks(*, open_: bool) -> Any:
            board = (
                await platform.notifier.client.get(
                    "/clocks", params={"case_id": case_id, "include_stopped": "true"}
                )
            ).json()["items"]
            found = [
                c
                for c in board
                if c["kind"] == "notice_dispatch"
                and c["suspect_id"] == suspect_id
                and c["open"] is open_
            ]
            return found

        async def notifier_owes_the_request() -> Any:
            return await notifier_letter_clocks(open_=True)

        await eventually(notifier_owes_the_request, what="the notifier's clock for the request")
        [watched] = await notifier_owes_the_request()
        assert watched["due_on"] == owed["due_on"]

        requested = await procuratorate.post(
            f"{suspect_url}/reappointment-requests",
            json={"assignment_id": refused["assignment_id"]},
        )
        assert requested.status_code == 200, requested.text
        assert await ledger_status() == "none"  # until the center answers
        [met] = [c for c in (await suspect_row())["clocks"] if c["subject"] == "refusal_allowed"]
        assert met["outcome"] == "met"

        async def notifier_met() -> Any:
            return not await notifier_letter_clocks(open_=True)

        await eventually(notifier_met, what="the notifier to see the request")

        async def reappointed() -> Any:
            got = await appointed()
            return got and got["current_defender"]["name"] == "钱律师" and got

        await eventually(reappointed, what="another lawyer to reach the procuratorate")
        assert await ledger_status() == "appointed_on_notice"
        active = [
            r for r in (await center.get("/assignments")).json()["items"] if r["status"] == "active"
        ]
        assert [(r["lawyer_id"], r["previous_assignment_id"]) for r in active] == [
            (second.json()["lawyer_id"], refused["assignment_id"])
        ]


async def test_each_service_dead_letters_garbage_on_every_topic_it_consumes(
    service_settings: Callable[..., Any],
) -> None:
    async with running_platform(service_settings, "garbage") as platform:
        consumers = {
            "procuratorate": platform.procuratorate,
            "aid_center": platform.aid_center,
            "notifier": platform.notifier,
        }
        producer = AIOKafkaProducer(
            bootstrap_servers=platform.procuratorate.settings.kafka_bootstrap_servers
        )
        await producer.start()
        try:
            topics = {topic for service in consumers.values() for topic in _consumed(service)}
            for topic in sorted(topics):
                await producer.send_and_wait(topic, b"\xff not json", key=b"garbage")
        finally:
            await producer.stop()
        for name, service in consumers.items():
            expected = set(_consumed(service))

            async def filed(
                service: RunningService = service, expected: set[str] = expected
            ) -> bool:
                letters = (
                    await service.client.get(
                        "/ops/dead-letters", headers=operator(service.settings)
                    )
                ).json()["items"]
                return {letter["source_topic"] for letter in letters} == expected

            await eventually(filed, what=f"{name} to dead-letter garbage on {sorted(expected)}")
            assert (await service.client.get("/ready")).status_code == 200


def _consumed(service: RunningService) -> list[str]:
    consumer = service.runtime.consumer
    assert consumer is not None
    return consumer.topics
