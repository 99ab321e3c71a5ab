"""Case data and helpers for the procuratorate's integration tests."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from defense_schemas import BaseEvent, Envelope
from defense_schemas.events.common import Lawyer
from tests.infrastructure import RunningService


def suspect(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "suspect_id": str(uuid.uuid4()),
        "name": "张三",
        "birth_date": "1990-05-01",
        "gender": "male",
        "limited_capacity": False,
        "custody_status": "detained",
        "place_of_detention_or_residence": "天津市河东区看守所",
        "contacts": ["022-12345678"],
        "charges": ["盗窃罪"],
        "likely_sentence": "one_year_or_less",
        "pleads_guilty": True,
    }
    data.update(overrides)
    return data


def case(*people: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "transfer_number": f"津公东诉字〔2026〕{uuid.uuid4().int % 100000}号",
        "transferring_agency": "天津市公安局河东分局",
        "transferring_agency_kind": "public_security",
        "procuratorate_unit": "天津市河东区人民检察院",
        "district": "河东区",
        "charges": ["盗窃罪"],
        "suspects": list(people) or [suspect()],
        "major_and_complex": False,
        "social_impact": False,
        "received_at": "2026-03-02T09:00:00+08:00",
        "prosecutor": {"name": "李检察官", "contact": "022-87654321"},
    }
    data.update(overrides)
    return data


RECEIVED_ON = date(2026, 3, 2)


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 15.0) -> Any:
    """Poll until `check` returns something truthy without raising."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = await check()
            if result:
                return result
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def publish(
    producer: AIOKafkaProducer, topic: str, event: BaseEvent, case_id: uuid.UUID, producer_id: str
) -> Envelope:
    envelope = Envelope.for_event(event, case_id=case_id, producer=producer_id)
    await producer.send_and_wait(topic, envelope.to_bytes(), key=envelope.key)
    return envelope


async def aid_center(
    service: RunningService, producer: AIOKafkaProducer, case_id: Any, event: BaseEvent
) -> Envelope:
    return await publish(
        producer, service.settings.topic_aid_center, event, uuid.UUID(str(case_id)), "aid-center"
    )


async def published(service: RunningService, case_id: str, event_type: str) -> list[dict[str, Any]]:
    """The events of `event_type` the service published for the case, read from Kafka."""
    consumer = AIOKafkaConsumer(
        service.settings.topic_procuratorate,
        bootstrap_servers=service.settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    try:
        found: list[dict[str, Any]] = []
        batches = await consumer.getmany(timeout_ms=1500)
        for records in batches.values():
            for record in records:
                data = json.loads(record.value)
                if data["case_id"] == case_id and data["event_type"] == event_type:
                    found.append(data)
        return found
    finally:
        await consumer.stop()


def lawyer(name: str = "赵律师") -> Lawyer:
    return Lawyer(
        lawyer_id=uuid.uuid4(),
        name=name,
        firm_id=uuid.uuid4(),
        firm_name="天津某律师事务所",
        contact="13900000000",
    )


NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
