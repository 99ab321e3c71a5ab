"""Operators see consumer lag and metrics (README: "Operating it")."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from service_runtime.app import build_app
from tests.infrastructure import RunningService, eventually, operator, run_service
from tests.messaging import probe
from tests.messaging.test_delivery_guarantees import _envelope, _own_topics

pytestmark = pytest.mark.integration


@pytest.fixture
async def running_probe(service_settings: Any) -> AsyncIterator[RunningService]:
    settings = await service_settings(probe.ProbeSettings, "probe", **_own_topics("lag"))
    async with run_service(build_app(probe.definition(), settings), settings) as running:
        assert running.runtime.consumer is not None
        await running.runtime.consumer.started.wait()
        yield running


async def _total_lag(service: RunningService, topic: str) -> int:
    response = await service.client.get("/ops/lag", headers=operator(service.settings))
    assert response.status_code == 200, response.text
    return sum(row["lag"] for row in response.json() if row["topic"] == topic)


async def test_a_stopped_consumer_shows_lag_equal_to_what_was_published_since(
    running_probe: RunningService,
) -> None:
    settings = running_probe.settings
    topic = settings.topic_aid_center
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        warm_up = _envelope("before the stop")
        await producer.send_and_wait(topic, warm_up.to_bytes(), key=warm_up.key)
        await eventually(lambda: _lag_is(running_probe, topic, 0), what="the consumer to catch up")

        consumer = running_probe.runtime.consumer
        assert consumer is not None
        consumer.stop()
        consumer_task = running_probe.runtime.tasks[-1]
        await asyncio.wait_for(consumer_task, timeout=15)

        published = 17
        for number in range(published):
            envelope = _envelope(f"while stopped {number}")
            await producer.send_and_wait(topic, envelope.to_bytes(), key=envelope.key)
    finally:
        await producer.stop()

    assert await _total_lag(running_probe, topic) == published
    metrics = (await running_probe.client.get("/metrics")).text
    lag_lines = [
        line
        for line in metrics.splitlines()
        if line.startswith("kafka_consumer_lag{") and f'topic="{topic}"' in line
    ]
    assert sum(float(line.rsplit(" ", 1)[1]) for line in lag_lines) == published


async def _lag_is(service: RunningService, topic: str, value: int) -> bool:
    return await _total_lag(service, topic) == value


async def test_metrics_cover_requests_events_and_the_outbox(running_probe: RunningService) -> None:
    async with running_probe.runtime.sessions() as session, session.begin():
        await running_probe.runtime.publisher.publish(
            session, probe.decision("counted"), case_id=_envelope("x").case_id
        )
    await running_probe.client.get("/health")
    await eventually(
        lambda: _metric_at_least(
            running_probe,
            'events_handled_total{event_type="DefenseDecisionRecorded",outcome="applied"}',
            1,
        ),
        what="the event to be counted",
    )
    text = (await running_probe.client.get("/metrics")).text
    for name in (
        'http_requests_total{method="GET",route="/health",status="200"}',
        "outbox_published_total",
        "outbox_pending_rows",
        "outbox_oldest_pending_age_seconds",
        "event_handling_duration_seconds_bucket",
        "dead_letters_pending",
    ):
        assert name in text, f"{name} missing from /metrics"


async def _metric_at_least(service: RunningService, sample: str, value: float) -> bool:
    text = (await service.client.get("/metrics")).text
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1]) >= value
    return False
