"""The procuratorate's intake consumer applies the inbound policy to other agencies' events:
a producer not allowed for the event type, or a message over the size limit, is dead-lettered
with its reason, and a listed agency's transfer still becomes a case."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from defense_schemas import Envelope
from defense_schemas.events.intake import CaseTransferred
from procuratorate.service import create_app
from procuratorate.settings import ProcuratorateSettings
from service_runtime.security import Role
from tests.infrastructure import bearer, eventually, operator, run_service

pytestmark = pytest.mark.integration

UNIT = "天津市河东区人民检察院"


def _transfer(number: str) -> CaseTransferred:
    return CaseTransferred.model_validate(
        {
            "transfer_number": number,
            "transferring_agency": "天津市公安局河东分局",
            "transferring_agency_kind": "public_security",
            "procuratorate_unit": UNIT,
            "district": "河东区",
            "charges": ["盗窃罪"],
            "suspects": [
                {
                    "suspect_id": str(uuid.uuid4()),
                    "name": "张三",
                    "birth_date": "1990-05-01",
                    "gender": "male",
                    "disabilities": [],
                    "limited_capacity": False,
                    "custody_status": "detained",
                    "place_of_detention_or_residence": "天津市河东区看守所",
                    "contacts": ["022-12345678"],
                    "charges": ["盗窃罪"],
                    "likely_sentence": "one_year_or_less",
                    "pleads_guilty": True,
                }
            ],
            "major_and_complex": False,
            "social_impact": False,
            "transfer_kind": "initial",
            "transferred_at": "2026-03-02T09:00:00+08:00",
        }
    )


async def test_untrusted_intake_is_dead_lettered_and_a_listed_agency_is_served(
    service_settings: Callable[..., Any],
) -> None:
    suffix = uuid.uuid4().hex[:6]
    settings: ProcuratorateSettings = await service_settings(
        ProcuratorateSettings,
        "inbound",
        topic_intake=f"inbound-{suffix}.intake",
        topic_aid_center=f"inbound-{suffix}.aid-center",
        topic_procuratorate=f"inbound-{suffix}.procuratorate",
        inbound_max_message_bytes=4096,
        inbound_allowed_producers={"CaseTransferred": ["tj-psb-hedong"]},
    )
    rogue = Envelope.for_event(_transfer("rogue-1"), case_id=uuid.uuid4(), producer="rogue-system")
    listed = Envelope.for_event(_transfer("ok-1"), case_id=uuid.uuid4(), producer="tj-psb-hedong")
    async with run_service(create_app(settings), settings) as service:
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
        await producer.start()
        try:
            for value in (rogue.to_bytes(), b"{" + b" " * 5000 + b"}", listed.to_bytes()):
                await producer.send_and_wait(settings.topic_intake, value, key=b"intake")
        finally:
            await producer.stop()

        staff = bearer(settings, Role.PROCURATORATE_STAFF, agency=UNIT)

        async def case_exists() -> bool:
            response = await service.client.get(f"/cases/{listed.case_id}", headers=staff)
            return response.status_code == 200

        await eventually(case_exists, what="the listed agency's transfer to become a case")

        async def refused() -> list[dict[str, Any]]:
            response = await service.client.get("/ops/dead-letters", headers=operator(settings))
            return [
                letter for letter in response.json() if letter["error_kind"] == "inbound_refused"
            ]

        await eventually(lambda: _has(refused, 2), what="both refusals to be filed")
        reasons = sorted(letter["error"] for letter in await refused())
        assert "exceeds the inbound limit of 4096" in reasons[0]
        assert "'rogue-system' is not allowed to publish CaseTransferred" in reasons[1]
        missing = await service.client.get(f"/cases/{rogue.case_id}", headers=staff)
        assert missing.status_code == 404


async def _has(fetch: Callable[[], Any], count: int) -> bool:
    return len(await fetch()) >= count
