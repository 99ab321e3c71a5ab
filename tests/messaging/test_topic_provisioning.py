"""Topic configuration as code: the declarations, and ``provision`` making the broker agree
(created when missing, drifted settings set back, partitions grown) — checked on the live
broker's configs (README: "Topic settings and retention")."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import UnknownTopicOrPartitionError
from hypothesis import given
from hypothesis import strategies as st

from defense_messaging import KafkaConnection
from defense_messaging.topics import (
    DEAD_LETTER_RETENTION_DAYS,
    TopicSpec,
    _IncrementalAlterConfigs,
    describe_topic_configs,
    ensure_topics,
    platform_topics,
    provision_topics,
    topic_specs,
    with_dead_letters,
)
from defense_schemas import topics
from tests.infrastructure import ROOT, Endpoints, eventually, session_name

DECLARED = ("cleanup.policy", "retention.ms", "retention.bytes", "min.insync.replicas")


def test_every_platform_topic_is_declared_and_event_topics_are_kept_forever() -> None:
    specs = {s.name: s for s in topic_specs(replication_factor=3)}
    assert set(specs) == set(platform_topics())
    for name in topics.TOPICS:
        event, dlq = specs[name], specs[topics.dead_letter_topic(name)]
        assert event.configs["retention.ms"] == "-1"
        assert event.configs["retention.bytes"] == "-1"
        assert event.configs["cleanup.policy"] == "delete"
        assert int(dlq.configs["retention.ms"]) == DEAD_LETTER_RETENTION_DAYS * 86_400_000
        for spec in (event, dlq):
            assert spec.replication_factor == 3
            assert spec.configs["min.insync.replicas"] == "2"
            assert int(spec.configs["max.message.bytes"]) >= 1_048_576


@given(st.integers(min_value=1, max_value=7))
def test_min_insync_replicas_leaves_room_for_one_broker_down(replication_factor: int) -> None:
    spec = TopicSpec.of("x.events", replication_factor=replication_factor)
    insync = int(spec.configs["min.insync.replicas"])
    assert 1 <= insync <= replication_factor
    # One broker down: a write with acks=all still finds enough in-sync replicas…
    assert replication_factor == 1 or insync <= replication_factor - 1
    # …and with three or more replicas an acknowledged write is on two brokers.
    assert replication_factor < 3 or insync >= 2


@pytest.mark.integration
async def test_provision_creates_then_sets_back_drift_and_grows_partitions(
    infra: Endpoints,
) -> None:
    connection = KafkaConnection(bootstrap_servers=infra.kafka_bootstrap)
    names = with_dead_letters([f"{session_name('provision')}.procuratorate.events"])
    event, dlq = names  # sorted: the event topic first

    first = await provision_topics(connection, topic_specs(names, partitions=2))
    assert sorted(first.created) == names
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        # The broker applies a creation or a change through its metadata log: a moment later.
        async def live_configs_are(expected: dict[str, dict[str, str]]) -> bool:
            try:
                live = await describe_topic_configs(admin, list(expected))
            except UnknownTopicOrPartitionError:
                return False
            return all(
                live[name].get(key) == value
                for name, settings in expected.items()
                for key, value in settings.items()
            )

        declared = {s.name: dict(s.configs) for s in topic_specs(names, partitions=2)}
        assert declared[event]["retention.ms"] == "-1"
        await eventually(lambda: live_configs_are(declared), what="the declared settings live")

        # Someone shortens the event topic's retention back to the broker's 7 days, and sets a
        # setting the platform does not declare.
        await admin._send_request(
            _IncrementalAlterConfigs(
                {event: {"retention.ms": "604800000", "segment.ms": "3600000"}}
            )
        )
        await eventually(
            lambda: live_configs_are({event: {"retention.ms": "604800000"}}),
            what="the drift to be live",
        )

        again = await provision_topics(connection, topic_specs(names, partitions=3))
        assert again.created == []
        assert again.altered == {event: {"retention.ms": ("604800000", "-1")}}
        assert again.grown == {event: (2, 3), dlq: (2, 3)}
        await eventually(
            lambda: live_configs_are({event: {"retention.ms": "-1"}}),
            what="the declared retention back",
        )
        live = await describe_topic_configs(admin, names)
        assert live[event]["segment.ms"] == "3600000", "an undeclared setting is left alone"

        async def partitions_grown() -> bool:
            described = await admin.describe_topics(names)
            return {t["topic"]: len(t["partitions"]) for t in described} == {event: 3, dlq: 3}

        await eventually(partitions_grown, what="three partitions each")

        # Partitions never shrink; nothing else to do.
        third = await provision_topics(connection, topic_specs(names, partitions=1))
        assert third.altered == {} and third.grown == {} and sorted(third.unchanged) == names
        assert any("never shrink" in warning for warning in third.warnings)
    finally:
        await admin.close()


@pytest.mark.integration
async def test_a_service_creates_its_missing_topics_with_the_declared_settings(
    infra: Endpoints,
) -> None:
    connection = KafkaConnection(bootstrap_servers=infra.kafka_bootstrap)
    name = f"{session_name('ensure')}.aid-center.events"
    assert await ensure_topics(connection, {name: 1}) == [name]
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    expected = {key: TopicSpec.of(name).configs[key] for key in DECLARED}

    async def declared_live() -> bool:
        try:
            live = (await describe_topic_configs(admin, [name]))[name]
        except UnknownTopicOrPartitionError:  # created a moment ago
            return False
        return {key: live[key] for key in DECLARED} == expected

    try:
        await eventually(declared_live, what="the declared settings on the new topic")
    finally:
        await admin.close()


@pytest.mark.integration
def test_a_services_create_topics_is_the_administrators_provision(infra: Endpoints) -> None:
    """``python -m <service> create-topics`` and ``python -m defense_messaging.topics
    provision`` are one command: the same report for the same topics."""
    base = session_name("cli")
    env = {
        **os.environ,
        "DEFENSE_ENV": "development",
        "NOTIFIER_KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap,
        "NOTIFIER_DATABASE_URL": "postgresql+asyncpg://unused@127.0.0.1:1/unused",
        "NOTIFIER_TOPIC_PARTITIONS": "1",
        **{
            f"NOTIFIER_TOPIC_{key}": f"{base}.{value}"
            for key, value in (
                ("INTAKE", topics.INTAKE_CASE_TRANSFERS),
                ("PROCURATORATE", topics.PROCURATORATE_EVENTS),
                ("AID_CENTER", topics.AID_CENTER_EVENTS),
                ("NOTIFIER", topics.NOTIFIER_EVENTS),
            )
        },
    }
    service = subprocess.run(
        [sys.executable, "-m", "notifier", "create-topics"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert service.returncode == 0, service.stdout + service.stderr
    assert service.stdout.count(": created") == 8, service.stdout
    admin = subprocess.run(
        [
            sys.executable,
            "-m",
            "defense_messaging.topics",
            "provision",
            "--bootstrap",
            infra.kafka_bootstrap,
            "--partitions",
            "1",
            *(f"--topic={base}.{t}" for t in topics.TOPICS),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert admin.returncode == 0, admin.stdout + admin.stderr
    assert admin.stdout.count(": as declared") == 8, admin.stdout
