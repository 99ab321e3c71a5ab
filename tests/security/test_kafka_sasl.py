"""A service over SASL/SCRAM-SHA-512: the outbox publishes and the inbox consumes through an
authenticated listener, and a wrong password is refused. The broker runs with the authorizer on
and the platform's ACL set (``deploy/kafka/acls.json``) applied: an agency cannot write the aid
center's topic, and each service reads and writes what it needs.

The shared development broker (59092) stays as it is: this starts a second broker from the same
jars with ``KAFKA_SASL=1`` on ports of its own (``deploy/local/kafka.sh``), on a storage of its
own, and stops and removes it after. Its ports sit below the kernel's ephemeral range (32768 and
up): it starts in the middle of the run, when thousands of client connections have come and gone,
and one of them could hold a port in that range.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)

from defense_messaging import KafkaConnection, Outbox, ensure_topics
from defense_messaging.acls import acl_bindings, apply_acls, load_acls
from defense_messaging.consumer import EventConsumer, PerEventHandlers
from defense_schemas import topics
from defense_schemas.events.procuratorate import DefenseDecisionRecorded
from defense_schemas.topics import Producer, TopicPolicy
from service_runtime.app import build_app
from service_runtime.database import create_engine, session_factory
from service_runtime.migrations import upgrade_to_head
from tests.infrastructure import ROOT, eventually, run_service
from tests.messaging import probe
from tests.messaging.probe import applied, decision
from tests.messaging.test_delivery_guarantees import _envelope, _own_topics

pytestmark = pytest.mark.integration

SASL_PORT = int(os.environ.get("DC_TEST_SASL_KAFKA_PORT", "29194"))
USER, PASSWORD = "defense", "defense-sasl-test-secret"  # a super user (acl.properties)
ACL_FILE = ROOT / "deploy" / "kafka" / "acls.json"
GRANTS = load_acls(ACL_FILE)
BROKER_ENV = {
    "KAFKA_SASL": "1",
    "KAFKA_ACLS": "1",
    "KAFKA_SASL_PORT": str(SASL_PORT),
    "KAFKA_PORT": str(SASL_PORT + 1),
    "KAFKA_CONTROLLER_PORT": str(SASL_PORT + 2),
    "KAFKA_SCRAM_USERS": ",".join(
        [f"{USER}:{PASSWORD}", *(f"{name}:{name}-secret" for name in GRANTS)]
    ),
    "KAFKA_HEAP_MAX": "512m",
}
SCRIPT = str(ROOT / "deploy" / "local" / "kafka.sh")
ADMIN = KafkaConnection(bootstrap_servers=f"127.0.0.1:{SASL_PORT + 1}")  # loopback PLAINTEXT


def _kafka_sh(command: str, data_dir: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRIPT, command],
        env={**os.environ, **BROKER_ENV, "KAFKA_DATA_DIR": data_dir},
        capture_output=True,
        text=True,
        timeout=180,
    )


BROKER: dict[str, str] = {}


@pytest.fixture(scope="module")
def sasl_broker() -> Iterator[str]:
    # A fresh storage each run: a KRaft storage records its controller's endpoint when formatted.
    data_dir = tempfile.mkdtemp(prefix="kafka-sasl-test-")
    started = _kafka_sh("start", data_dir)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"SASL_PLAINTEXT/SCRAM-SHA-512 on 127.0.0.1:{SASL_PORT}" in started.stdout
        BROKER["pid"] = Path(data_dir, "kafka.pid").read_text().strip()
        asyncio.run(_prepare_acls())
        yield f"127.0.0.1:{SASL_PORT}"
    finally:
        _kafka_sh("stop", data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


async def _prepare_acls() -> None:
    """The platform's topics (default names) and its ACL set, as an administrator would."""
    await ensure_topics(ADMIN, {topic: 1 for topic in _platform_topics()})
    await apply_acls(ADMIN, acl_bindings(GRANTS))


def _platform_topics() -> list[str]:
    return [*topics.TOPICS, *(topics.dead_letter_topic(topic) for topic in topics.TOPICS)]


def _as(broker: str, name: str) -> KafkaConnection:
    return KafkaConnection(
        bootstrap_servers=broker,
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username=name,
        sasl_password=f"{name}-secret",
    )


async def _write(connection: KafkaConnection, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(**connection.options(), request_timeout_ms=15000)
    await producer.start()
    try:
        await asyncio.wait_for(producer.send_and_wait(topic, value, key=b"acl"), timeout=30)
    finally:
        await producer.stop()


async def _read_one(connection: KafkaConnection, topic: str, group: str, value: bytes) -> bool:
    consumer = AIOKafkaConsumer(
        topic,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **connection.options(),
    )
    try:
        await consumer.start()  # inside: a refused start must still close the client
        deadline = asyncio.get_running_loop().time() + 30
        while asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                if any(record.value == value for record in records):
                    await consumer.commit()  # the group's offsets are part of what it needs
                    return True
        return False
    finally:
        await consumer.stop()


def test_the_acl_file_grants_each_service_its_topics_and_nothing_more() -> None:
    for producer in (Producer.PROCURATORATE, Producer.AID_CENTER, Producer.NOTIFIER):
        grant = GRANTS[producer.value]
        consumed = {t for t, readers in topics.TOPIC_CONSUMERS.items() if producer in readers}
        assert grant.read == consumed, producer
        assert grant.write == {topics.topic_for_producer(producer)} | {
            topics.dead_letter_topic(topic) for topic in consumed
        }, producer
        assert grant.groups == {producer.value}
    agencies = {
        name: grant for name, grant in GRANTS.items() if name not in topics.SERVICE_PRODUCER_IDS
    }
    assert agencies, "the agency systems are listed"
    for name, grant in agencies.items():
        assert grant.write == {topics.INTAKE_CASE_TRANSFERS}, name
        assert not grant.read and not grant.groups, name
    for topic, owner in (
        (t, p) for p, t in topics.PRODUCER_TOPICS.items() if p is not Producer.AGENCY
    ):
        assert [name for name, g in GRANTS.items() if topic in g.write] == [owner.value]


async def test_an_agency_cannot_write_the_aid_centers_topic_but_the_aid_center_can(
    sasl_broker: str,
) -> None:
    forged = b"a LawyerAssigned from an agency"
    with pytest.raises(TopicAuthorizationFailedError):
        await _write(_as(sasl_broker, "tj-psb-hedong"), topics.AID_CENTER_EVENTS, forged)
    with pytest.raises(TopicAuthorizationFailedError):
        await _write(_as(sasl_broker, "aid-center"), topics.PROCURATORATE_EVENTS, forged)
    await _write(_as(sasl_broker, "aid-center"), topics.AID_CENTER_EVENTS, b"assigned")
    await _write(_as(sasl_broker, "tj-psb-hedong"), topics.INTAKE_CASE_TRANSFERS, b"transfer")
    with pytest.raises((TopicAuthorizationFailedError, GroupAuthorizationFailedError)):
        await _read_one(_as(sasl_broker, "tj-psb-hedong"), topics.AID_CENTER_EVENTS, "x", b"")


async def test_each_service_reads_and_writes_what_it_needs_under_the_acls(
    sasl_broker: str,
) -> None:
    for name, grant in GRANTS.items():
        for topic in sorted(grant.write):
            await _write(_as(sasl_broker, name), topic, f"{name} wrote {topic}".encode())
    for name, grant in GRANTS.items():
        for topic in sorted(grant.read):
            writer = next(other for other, g in GRANTS.items() if topic in g.write)
            expected = f"{writer} wrote {topic}".encode()
            (group,) = grant.groups
            assert await _read_one(_as(sasl_broker, name), topic, group, expected), (name, topic)


async def test_a_wrong_password_is_refused(sasl_broker: str) -> None:
    connection = KafkaConnection(
        bootstrap_servers=sasl_broker,
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username=USER,
        sasl_password="not-the-password",
    )
    with pytest.raises(KafkaConnectionError):
        await asyncio.wait_for(ensure_topics(connection, {"never-created": 1}), timeout=30)


async def test_without_sasl_the_listener_does_not_serve(sasl_broker: str) -> None:
    with pytest.raises((KafkaConnectionError, TimeoutError)):
        await asyncio.wait_for(
            ensure_topics(KafkaConnection(bootstrap_servers=sasl_broker), {"never": 1}), 15
        )


async def test_a_service_publishes_and_consumes_over_sasl_scram(
    sasl_broker: str, service_settings: Any
) -> None:
    settings = await service_settings(
        probe.ProbeSettings,
        "probe_sasl",
        kafka_bootstrap_servers=sasl_broker,
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username=USER,
        kafka_sasl_password=PASSWORD,
        topic_partitions=2,
        **_own_topics("sasl"),
    )
    async with run_service(build_app(probe.definition(), settings), settings) as running:
        runtime = running.runtime
        assert runtime.consumer is not None
        await runtime.consumer.started.wait()
        # Through the outbox and relay onto the broker, back through the consumer's inbox.
        cases = [uuid.uuid4() for _ in range(5)]
        async with runtime.sessions() as session, session.begin():
            for case_id in cases:
                await runtime.publisher.publish(session, decision("over sasl"), case_id=case_id)

        async def all_applied() -> bool:
            async with runtime.sessions() as session:
                found = await session.scalars(sa.select(applied.c.case_id))
                return set(found) == set(cases)

        await eventually(all_applied, timeout=45, what="the events to come back over SASL")
        assert (await running.client.get("/ready")).json()["checks"]["kafka"] == "ok"


async def test_a_commit_to_an_unresponsive_broker_times_out_and_shutdown_is_bounded(
    sasl_broker: str, service_settings: Any
) -> None:
    """The broker stops answering (SIGSTOP: connections stay open, nothing comes back, as when a
    host hangs): the consumer's commit gives up after its timeout instead of hanging, and
    stopping the loop takes bounded time. Last in the module: the broker is frozen meanwhile."""
    settings = await service_settings(probe.ProbeSettings, "probe_frozen", **_own_topics("frozen"))
    connection = KafkaConnection(
        bootstrap_servers=sasl_broker,
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username=USER,
        sasl_password=PASSWORD,
    )
    topic = settings.topic_procuratorate
    await ensure_topics(connection, {topic: 1})
    seen: list[Any] = []

    async def handler(session: Any, envelope: Any, event: Any) -> None:
        seen.append(envelope.event_id)

    await upgrade_to_head(probe.definition().migrations_dir, str(settings.database_url))
    engine = create_engine(str(settings.database_url))
    consumer = EventConsumer(
        group_id="frozen-broker",
        topics=[topic],
        connection=connection,
        sessions=session_factory(engine),
        tables=probe.platform.messaging,
        outbox=Outbox(probe.platform.messaging, channel="outbox_frozen"),
        handlers=PerEventHandlers({DefenseDecisionRecorded: handler}),
        topic_policies={topic: TopicPolicy(Producer.PROCURATORATE)},
        client_timeout=3,
    )
    envelope = _envelope("before the freeze")
    await _write(connection, topic, envelope.to_bytes())
    task = asyncio.create_task(consumer.run())
    pid = int(BROKER["pid"])
    try:
        await eventually(lambda: _contains(seen, envelope.event_id), what="the first event")
        await eventually(lambda: _nothing_uncommitted(consumer), what="its commit")
        os.kill(pid, signal.SIGSTOP)
        consumer._uncommitted[TopicPartition(topic, 0)] = 1  # as after a batch
        started = time.monotonic()
        assert await consumer._commit() is True  # kept for later, not raised
        assert time.monotonic() - started < 10
        assert consumer.stats.commits_failed >= 1
        consumer.stop()
        started = time.monotonic()
        await asyncio.wait_for(task, timeout=30)
        assert time.monotonic() - started < 20, "shutdown is bounded with the broker frozen"
    finally:
        os.kill(pid, signal.SIGCONT)
        consumer.stop()
        if not task.done():
            task.cancel()
        await engine.dispose()


async def _contains(seen: list[Any], item: Any) -> bool:
    return item in seen


async def _nothing_uncommitted(consumer: Any) -> bool:
    return not consumer._uncommitted
