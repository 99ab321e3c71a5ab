"""The procuratorate's intake consumer applies the inbound policy to other agencies' events:
a producer not allowed for the event type, or a message over the size limit, is dead-lettered
with its reason, and a listed agency's transfer still becomes a case."""

from __future__ import annotations

import json
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
from tests.infrastructure import bearer, eventually, operator, own_topics, run_service

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
    settings: ProcuratorateSettings = await service_settings(
        ProcuratorateSettings,
        "inbound",
        **own_topics("inbound"),
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
                letter
                for letter in response.json()["items"]
                if letter["error_kind"] == "inbound_refused"
            ]

        await eventually(lambda: _has(refused, 2), what="both refusals to be filed")
        reasons = sorted(letter["error"] for letter in await refused())
        assert "exceeds the inbound limit of 4096" in reasons[0]
        assert "'rogue-system' is not allowed to publish CaseTransferred" in reasons[1]
        missing = await service.client.get(f"/cases/{rogue.case_id}", headers=staff)
        assert missing.status_code == 404


async def _has(fetch: Callable[[], Any], count: int) -> bool:
    return len(await fetch()) >= count


async def test_a_transfer_with_an_impossible_birth_date_is_dead_lettered_and_the_next_applied(
    service_settings: Callable[..., Any],
) -> None:
    """Birth dates in 3000 and in year 1 from an agency: each is filed with a reason naming the
    field and the bounds, and the valid transfer behind them on the same partition is a case."""
    settings: ProcuratorateSettings = await service_settings(
        ProcuratorateSettings,
        "inbound_dates",
        **own_topics("dates"),
        topic_partitions=1,
        inbound_allowed_producers={"CaseTransferred": ["tj-psb-hedong"]},
    )
    impossible = []
    for number, birth_date in (("dates-3000", "3000-01-01"), ("dates-0001", "0001-01-01")):
        envelope = Envelope.for_event(
            _transfer(number), case_id=uuid.uuid4(), producer="tj-psb-hedong"
        )
        document = json.loads(envelope.to_bytes())
        document["payload"]["suspects"][0]["birth_date"] = birth_date
        impossible.append((envelope.case_id, json.dumps(document).encode()))
    valid = Envelope.for_event(
        _transfer("dates-ok"), case_id=uuid.uuid4(), producer="tj-psb-hedong"
    )
    async with run_service(create_app(settings), settings) as service:
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
        await producer.start()
        try:
            for _, value in impossible:
                await producer.send_and_wait(settings.topic_intake, value, key=b"intake")
            await producer.send_and_wait(settings.topic_intake, valid.to_bytes(), key=b"intake")
        finally:
            await producer.stop()

        staff = bearer(settings, Role.PROCURATORATE_STAFF, agency=UNIT)

        async def case_exists() -> bool:
            response = await service.client.get(f"/cases/{valid.case_id}", headers=staff)
            return response.status_code == 200

        await eventually(case_exists, what="the valid transfer behind them to become a case")

        async def violations() -> list[dict[str, Any]]:
            response = await service.client.get("/ops/dead-letters", headers=operator(settings))
            return [
                letter
                for letter in response.json()["items"]
                if letter["error_kind"] == "contract_violation"
            ]

        await eventually(lambda: _has(violations, 2), what="both transfers to be filed")
        for letter in await violations():
            assert "suspects[0].birth_date" in letter["error"], letter["error"]
            assert "1900-01-01 and 2199-12-31" in letter["error"], letter["error"]
        for case_id, _ in impossible:
            missing = await service.client.get(f"/cases/{case_id}", headers=staff)
            assert missing.status_code == 404
