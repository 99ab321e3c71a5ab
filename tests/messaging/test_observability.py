"""Operators see consumer lag and metrics (README: "Operating it")."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from service_runtime.app import build_app
from tests.infrastructure import RunningService, eventually, operator, run_service
from tests.messaging import probe
from tests.messaging.test_delivery_guarantees import _envelope, _own_topics
from tests.problems import problem

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
    return sum(row["lag"] for row in response.json()["items"] if row["topic"] == topic)


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
        if line.startswith("defense_kafka_consumer_lag{") and f'topic="{topic}"' in line
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
            'defense_events_handled_total{event_type="DefenseDecisionRecorded",outcome="applied"}',
            1,
        ),
        what="the event to be counted",
    )
    text = (await running_probe.client.get("/metrics")).text
    for name in (
        'defense_http_requests_total{method="GET",route="/health",status="200"}',
        "defense_outbox_published_total",
        "defense_outbox_pending_rows",
        "defense_outbox_oldest_pending_age_seconds",
        "defense_event_handling_duration_seconds_bucket",
        "defense_dead_letters_pending",
    ):
        assert name in text, f"{name} missing from /metrics"


async def _metric_at_least(service: RunningService, sample: str, value: float) -> bool:
    text = (await service.client.get("/metrics")).text
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1]) >= value
    return False


def _samples(text: str, name: str) -> list[tuple[str, float]]:
    """``(labels, value)`` of every sample of ``name`` in a Prometheus text page."""
    found = []
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            series, value = line.rsplit(" ", 1)
            found.append((series[len(name) :], float(value)))
    return found


async def test_every_platform_series_is_prefixed_and_the_standard_collectors_are_there(
    running_probe: RunningService,
) -> None:
    text = (await running_probe.client.get("/metrics")).text
    families = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}
    standard = ("process_", "python_")
    assert {"process_resident_memory_bytes", "process_cpu_seconds_total", "python_info"} <= {
        line.split("{")[0].split(" ")[0] for line in text.splitlines() if line[:1] != "#"
    }
    assert [name for name in families if not name.startswith(("defense_", *standard))] == []
    assert _samples(text, "defense_service_info") == [('{service="procuratorate"}', 1.0)]


async def test_a_group_that_never_committed_reports_no_offset_rather_than_minus_one(
    service_settings: Any,
) -> None:
    # Topics no one has published to nor consumed from: the group has committed nothing yet.
    settings = await service_settings(probe.ProbeSettings, "probe", **_own_topics("fresh"))
    app = build_app(probe.definition(), settings)
    async with run_service(app, settings) as running:
        runtime = running.runtime
        monitor, consumer = runtime.lag, runtime.consumer
        assert monitor is not None and consumer is not None
        lags: list[Any] = []

        async def every_topic_read() -> bool:
            # Topics created a moment ago may not be in every broker's metadata yet.
            nonlocal lags
            lags = await monitor.read()
            return {item.topic for item in lags} == set(consumer.topics)

        await eventually(every_topic_read, what="the new topics' partitions")
        assert all(item.committed_offset is None for item in lags)
        text = (await running.client.get("/metrics")).text
    assert _samples(text, "defense_kafka_consumer_committed_offset") == []
    assert len(_samples(text, "defense_kafka_consumer_lag")) == len(lags)
    assert len(_samples(text, "defense_kafka_topic_end_offset")) == len(lags)


async def test_the_api_documents_are_counted_under_their_routes(
    running_probe: RunningService,
) -> None:
    for path in ("/docs", "/openapi.json", "/redoc"):
        assert (await running_probe.client.get(path)).status_code == 200
    text = (await running_probe.client.get("/metrics")).text
    for route in ("/docs", "/openapi.json", "/redoc"):
        sample = f'{{method="GET",route="{route}",status="200"}}'
        assert (sample, 1.0) in _samples(text, "defense_http_requests_total"), route


async def test_scrapes_and_lag_readings_open_no_kafka_connection(
    running_probe: RunningService, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = running_probe.runtime
    assert runtime.lag is not None
    await runtime.lag.read()  # the monitor's clients are up
    started: list[str] = []

    def counting(cls: type[Any]) -> None:
        original = cls.start

        async def start(self: Any) -> None:
            started.append(cls.__name__)
            await original(self)

        monkeypatch.setattr(cls, "start", start)

    counting(AIOKafkaAdminClient)
    counting(AIOKafkaConsumer)
    for _ in range(5):
        text = (await running_probe.client.get("/metrics")).text
        response = await running_probe.client.get("/ops/lag", headers=operator(runtime.settings))
        assert response.status_code == 200
    assert started == []
    assert _samples(text, "defense_kafka_lag_error") == [("", 0.0)]
    assert _samples(text, "defense_kafka_consumer_lag")


async def test_an_unreadable_lag_is_an_error_not_the_last_value(
    running_probe: RunningService,
) -> None:
    runtime = running_probe.runtime
    monitor = runtime.lag
    assert monitor is not None
    await monitor.read()
    assert _samples((await running_probe.client.get("/metrics")).text, "defense_kafka_consumer_lag")
    # The broker moves away: nothing answers where the monitor looks any more.
    monitor.connection = replace(monitor.connection, bootstrap_servers="127.0.0.1:9")
    monitor.timeout = 5
    await monitor.close()

    response = await running_probe.client.get("/ops/lag", headers=operator(runtime.settings))
    assert "lag" in problem(response, 503)["detail"]
    text = (await running_probe.client.get("/metrics")).text
    assert _samples(text, "defense_kafka_lag_error") == [("", 1.0)]
    assert _samples(text, "defense_kafka_consumer_lag") == []
    assert _samples(text, "defense_kafka_consumer_committed_offset") == []


async def test_a_stopped_loop_and_a_readiness_change_show_in_the_metrics(
    running_probe: RunningService,
) -> None:
    client = running_probe.client
    assert (await client.get("/ready")).status_code == 200
    text = (await client.get("/metrics")).text
    assert sorted(_samples(text, "defense_loop_up")) == [
        ('{loop="consumer"}', 1.0),
        ('{loop="relay"}', 1.0),
    ]
    assert _samples(text, "defense_ready") == [("", 1.0)]
    assert _samples(text, "defense_ready_transitions_total") == [("", 0.0)]

    consumer = running_probe.runtime.consumer
    assert consumer is not None
    consumer.stop()
    await asyncio.wait_for(running_probe.runtime.tasks[-1], timeout=15)

    assert (await client.get("/ready")).status_code == 503
    text = (await client.get("/metrics")).text
    assert ('{loop="consumer"}', 0.0) in _samples(text, "defense_loop_up")
    assert _samples(text, "defense_ready") == [("", 0.0)]
    assert _samples(text, "defense_ready_transitions_total") == [("", 1.0)]


def _lag_lines(metrics: str) -> list[str]:
    return [line for line in metrics.splitlines() if line.startswith("defense_kafka_consumer_lag{")]


async def test_two_replicas_of_a_group_export_its_lag_once(service_settings: Any) -> None:
    """Both replicas are in one consumer group on one database: only the one holding the
    group's advisory lock exports the lag gauges (a sum over replicas counted it twice), and
    when it stops the other takes over."""
    settings = await service_settings(
        probe.ProbeSettings,
        "lag-once",
        lag_refresh_interval_seconds=0.5,
        **_own_topics("lag-once"),
    )
    assert settings.replica_id  # the host name unless DEFENSE_REPLICA_ID is set
    stacks = [contextlib.AsyncExitStack(), contextlib.AsyncExitStack()]
    try:
        replicas = []
        for number, stack in enumerate(stacks, 1):
            own = settings.model_copy(update={"replica_id": f"r{number}"})
            replicas.append(
                await stack.enter_async_context(
                    run_service(build_app(probe.definition(), own), own)
                )
            )
        for replica in replicas:
            assert replica.runtime.consumer is not None
            await replica.runtime.consumer.started.wait()
        # The group's members are named after the service and the replica.
        name = probe.definition().name
        await eventually(
            lambda: _member_client_ids(settings, {f"{name}-r1-consumer", f"{name}-r2-consumer"}),
            what="both replicas in the group under their client ids",
        )

        async def one_exports() -> bool:
            return sorted([await _exports(replica) for replica in replicas]) == [False, True]

        await eventually(one_exports, what="exactly one replica to export the lag")
        exporting = [await _exports(replica) for replica in replicas]
        # Asked again, the same replica answers: the lock is kept, not raced for.
        assert [await _exports(replica) for replica in replicas] == exporting
        # /ops/lag is a question any replica answers.
        for replica in replicas:
            response = await replica.client.get("/ops/lag", headers=operator(settings))
            assert response.status_code == 200 and response.json()

        holder = exporting.index(True)
        await stacks[holder].aclose()
        other = replicas[1 - holder]
        await eventually(lambda: _exports(other), what="the other replica to export the lag")
    finally:
        for stack in stacks:
            await stack.aclose()


async def _member_client_ids(settings: Any, expected: set[str]) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([settings.consumer_group])
    finally:
        await admin.close()
    # (error_code, group_id, state, protocol_type, protocol, members: (id, client_id, …))
    return {member[1] for group in response.groups for member in group[5]} == expected


async def _exports(service: RunningService) -> bool:
    return bool(_lag_lines((await service.client.get("/metrics")).text))
