"""Forgery across topics, through each real service: an event that does not belong on the topic
it arrives by (another owner's type, or a producer that is not the topic's owner) is
dead-lettered as ``forbidden_on_topic`` by every consumer, and a rightful event on the same
topic is still taken. The map is one (``defense_schemas.topics.TopicPolicy``), enforced by the
shared consumer."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from aid_center.service import create_app as aid_center_app
from aid_center.settings import AidCenterSettings
from defense_schemas import Envelope
from defense_schemas.examples import EXAMPLES, example_envelope
from defense_schemas.topics import Producer
from notifier.service import create_app as notifier_app
from notifier.settings import NotifierSettings
from procuratorate.service import create_app as procuratorate_app
from procuratorate.settings import ProcuratorateSettings
from tests.infrastructure import eventually, operator, own_topics, run_service

pytestmark = pytest.mark.integration

SERVICES = {
    "procuratorate": (ProcuratorateSettings, procuratorate_app),
    "aid_center": (AidCenterSettings, aid_center_app),
    "notifier": (NotifierSettings, notifier_app),
}
OWNER_SETTING = {
    "topic_intake": Producer.AGENCY,
    "topic_procuratorate": Producer.PROCURATORATE,
    "topic_aid_center": Producer.AID_CENTER,
    "topic_notifier": Producer.NOTIFIER,
}


def _event_of(producer: Producer) -> Envelope:
    wanted = "LawyerAssigned" if producer is Producer.AID_CENTER else None  # a forged defender
    event = next(e for e in EXAMPLES if e.producer is producer and wanted in (None, e.event_type))
    return example_envelope(event).model_copy(
        update={"event_id": uuid.uuid4(), "case_id": uuid.uuid4()}
    )


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_each_consumer_dead_letters_events_that_do_not_belong_on_their_topic(
    service: str, service_settings: Callable[..., Any]
) -> None:
    settings_class, create_app = SERVICES[service]
    settings = await service_settings(
        settings_class, f"forgery_{service}", **own_topics(f"forgery-{service}")
    )
    async with run_service(create_app(settings), settings) as running:
        consumer = running.runtime.consumer
        assert consumer is not None
        await consumer.started.wait()
        by_name = {getattr(settings, name): owner for name, owner in OWNER_SETTING.items()}
        forged: dict[str, Envelope] = {}
        for topic in consumer.topics:
            owner = by_name[topic]
            # Another owner's event, under its own (valid) producer: the intake case is the
            # reported attack, a LawyerAssigned from "aid-center" on the intake topic.
            stranger = (
                Producer.AID_CENTER if owner is not Producer.AID_CENTER else Producer.PROCURATORATE
            )
            forged[topic] = _event_of(stranger)
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
        await producer.start()
        try:
            for topic, envelope in forged.items():
                await producer.send_and_wait(topic, envelope.to_bytes(), key=envelope.key)
        finally:
            await producer.stop()

        async def filed() -> list[dict[str, Any]]:
            response = await running.client.get("/ops/dead-letters", headers=operator(settings))
            return [
                row for row in response.json()["items"] if row["error_kind"] == "forbidden_on_topic"
            ]

        async def all_filed() -> bool:
            return {row["source_topic"] for row in await filed()} == set(forged)

        await eventually(all_filed, what=f"{service} to refuse every forged event")
        for row in await filed():
            assert row["event_id"] is None or row["event_id"] == str(
                forged[row["source_topic"]].event_id
            )
            assert "does not belong here" in row["error"]
        assert consumer.stats.applied == 0
