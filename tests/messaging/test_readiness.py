"""``/ready`` asks the broker about the service's own topics only: on a shared broker the whole
cluster's metadata is thousands of topics, decoded by the service at every probe. A topic
missing is still named, and asking about it does not create it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from defense_schemas.topics import dead_letter_topic
from service_runtime.app import build_app
from tests.infrastructure import RunningService, eventually, own_topics, run_service
from tests.messaging import probe

pytestmark = pytest.mark.integration


@pytest.fixture
async def running_probe(service_settings: Any) -> AsyncIterator[RunningService]:
    settings = await service_settings(probe.ProbeSettings, "ready", **own_topics("ready"))
    async with run_service(build_app(probe.definition(), settings), settings) as running:
        yield running


async def test_ready_never_fetches_the_whole_clusters_metadata(
    running_probe: RunningService, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def every_topic_on_the_broker() -> None:
        raise AssertionError("/ready asked for every topic's metadata")

    client = running_probe.runtime.producer.client
    monkeypatch.setattr(client, "fetch_all_metadata", every_topic_on_the_broker)
    ready = await running_probe.client.get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["kafka"] == "ok"
    assert ready.json()["checks"]["topics"] == "ok"


async def test_a_missing_topic_is_still_named(
    running_probe: RunningService,
) -> None:
    settings = running_probe.settings
    # Written to only when an event is dead-lettered: no client of the service asks for it.
    gone = dead_letter_topic(settings.topic_notifier)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.delete_topics([gone])

        async def deleted() -> bool:
            return gone not in await admin.list_topics()

        await eventually(deleted, what="the topic's deletion")
        for _ in range(3):
            ready = await running_probe.client.get("/ready")
            assert ready.status_code == 503, ready.text
            assert ready.json()["checks"]["topics"] == f"missing: {gone}"
            assert ready.json()["checks"]["kafka"] == "ok"
        # The development broker creates no topic on a metadata request anyway; one that
        # does (auto.create.topics.enable) must not be given the topic by the probe.
        assert gone not in await admin.list_topics()
    finally:
        await admin.close()
