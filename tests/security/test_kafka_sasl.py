"""A service over SASL/SCRAM-SHA-512: the outbox publishes and the inbox consumes through an
authenticated listener, and a wrong password is refused. The broker runs with the authorizer on
and the platform's ACL set (``deploy/kafka/acls.json``) applied: an agency cannot write the aid
center's topic, and each service reads and writes what it needs.

The three real services then run on it each as its own principal, with the topics provisioned
by the administrator's command (``python -m defense_messaging.topics provision``) and the ACLs
applied by theirs (``python -m defense_messaging.acls apply``), and a case goes through.

The shared development broker (59092) stays as it is: this starts a second broker from the same
jars with ``KAFKA_SASL=1`` on ports of its own (``deploy/local/kafka.sh``), on a storage of its
own, and stops and removes it after. Its three consecutive ports are picked free at random below
the kernel's ephemeral range (32768 and up: it starts in the middle of the run, when thousands of
client connections have come and gone, and one of them could hold a port in that range), so
concurrent runs do not collide; ``DC_TEST_SASL_KAFKA_PORT`` fixes the first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
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

from aid_center.service import create_app as aid_center_app
from aid_center.settings import AidCenterSettings
from defense_messaging import KafkaConnection, Outbox
from defense_messaging.acls import load_acls
from defense_messaging.consumer import EventConsumer, PerEventHandlers
from defense_messaging.topics import ensure_topics
from defense_schemas import Envelope, topics
from defense_schemas.events.intake import CaseTransferred
from defense_schemas.events.procuratorate import DefenseDecisionRecorded
from defense_schemas.topics import Producer, TopicPolicy
from notifier.service import create_app as notifier_app
from notifier.settings import NotifierSettings
from procuratorate.service import create_app as procuratorate_app
from procuratorate.settings import ProcuratorateSettings
from service_runtime.app import build_app
from service_runtime.database import create_engine, session_factory
from service_runtime.migrations import upgrade_to_head
from service_runtime.security.principal import Role
from tests.e2e.test_workflow import _roster
from tests.infrastructure import ROOT, bearer, eventually, operator, run_service
from tests.messaging import probe
from tests.messaging.probe import applied, decision
from tests.messaging.test_delivery_guarantees import _envelope, _own_topics

pytestmark = pytest.mark.integration


def _free_ports(count: int) -> int:
    """The first of ``count`` consecutive ports nothing listens on, below the ephemeral range."""
    chooser = random.Random()  # not the test's seeded one: concurrent runs must differ
    for _ in range(200):
        first = chooser.randrange(20000, 32768 - count)
        try:
            with contextlib.ExitStack() as held:
                for port in range(first, first + count):
                    sock = held.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
    raise RuntimeError("no free ports for the SASL broker")


SASL_PORT = int(os.environ.get("DC_TEST_SASL_KAFKA_PORT") or _free_ports(3))
USER, PASSWORD = "defense", "defense-sasl-test-secret"  # a super user (acl.properties)
HEDONG = "天津市河东区人民检察院"
CENTER = "天津市河东区法律援助中心"
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
    """The platform's topics (default names) and its ACL set, by the administrator's commands."""
    for command in (
        ["defense_messaging.topics", "provision", "--partitions", "2"],
        ["defense_messaging.acls", "apply", str(ACL_FILE)],
    ):
        done = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            *command,
            "--bootstrap",
            ADMIN.bootstrap_servers,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(done.communicate(), timeout=120)
        assert done.returncode == 0, output.decode()


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


async def test_a_service_cannot_read_with_a_group_it_does_not_own(sasl_broker: str) -> None:
    await _write(_as(sasl_broker, "procuratorate"), topics.PROCURATORATE_EVENTS, b"for the center")
    with pytest.raises(GroupAuthorizationFailedError):
        # The aid center may read the topic, but not as the notifier's consumer group.
        await _read_one(
            _as(sasl_broker, "aid-center"), topics.PROCURATORATE_EVENTS, "notifier", b""
        )


def _as_service(broker: str, principal: str) -> dict[str, Any]:
    """A service's settings on the SASL broker as its own principal, on the platform's default
    topic names and its default consumer group (the names the ACL file grants)."""
    return {
        "kafka_bootstrap_servers": broker,
        "kafka_security_protocol": "SASL_PLAINTEXT",
        "kafka_sasl_mechanism": "SCRAM-SHA-512",
        "kafka_sasl_username": principal,
        "kafka_sasl_password": f"{principal}-secret",
        "consumer_group": None,
        "topic_intake": topics.INTAKE_CASE_TRANSFERS,
        "topic_procuratorate": topics.PROCURATORATE_EVENTS,
        "topic_aid_center": topics.AID_CENTER_EVENTS,
        "topic_notifier": topics.NOTIFIER_EVENTS,
    }


def _minor_transferred() -> CaseTransferred:
    return CaseTransferred.model_validate(
        {
            "transfer_number": f"津公东诉字〔2026〕{uuid.uuid4().int % 100000}号",
            "transferring_agency": "天津市公安局河东分局",
            "transferring_agency_kind": "public_security",
            "procuratorate_unit": HEDONG,
            "district": "河东区",
            "charges": ["盗窃罪"],
            "suspects": [
                {
                    "suspect_id": str(uuid.uuid4()),
                    "name": "王小明",
                    "birth_date": "2010-01-01",
                    "gender": "male",
                    "disabilities": [],
                    "limited_capacity": False,
                    "custody_status": "detained",
                    "place_of_detention_or_residence": "天津市河东区看守所",
                    "contacts": ["022-12345678"],
                    "charges": ["盗窃罪"],
                    "likely_sentence": "one_year_or_less",
                    "pleads_guilty": True,
                    "guardian": {
                        "name": "王大明",
                        "relationship": "父亲",
                        "contact": "13800000000",
                    },
                }
            ],
            "major_and_complex": False,
            "social_impact": False,
            "transfer_kind": "initial",
            "transferred_at": "2026-03-02T09:00:00+08:00",
        }
    )


async def test_the_three_services_under_their_own_principals_take_a_case_through(
    sasl_broker: str, service_settings: Any
) -> None:
    """An agency's transfer on the intake topic → the procuratorate's letter → the aid
    center's LawyerAssigned → the procuratorate's defender and the notifier's delivery and
    clocks: every hop under the ACL set, each service as its own principal."""
    procuratorate_settings = await service_settings(
        ProcuratorateSettings, "sasl_procuratorate", **_as_service(sasl_broker, "procuratorate")
    )
    aid_center_settings = await service_settings(
        AidCenterSettings, "sasl_aid_center", **_as_service(sasl_broker, "aid-center")
    )
    notifier_settings = await service_settings(
        NotifierSettings, "sasl_notifier", **_as_service(sasl_broker, "notifier")
    )
    async with (
        run_service(procuratorate_app(procuratorate_settings), procuratorate_settings) as p,
        run_service(aid_center_app(aid_center_settings), aid_center_settings) as a,
        run_service(notifier_app(notifier_settings), notifier_settings) as n,
    ):
        for service in (p, a, n):
            assert service.runtime.consumer is not None
            await service.runtime.consumer.started.wait()
            ready = await service.client.get("/ready")
            assert ready.status_code == 200, ready.text
        p.client.headers.update(
            bearer(procuratorate_settings, Role.PROCURATORATE_STAFF, agency=HEDONG)
        )
        a.client.headers.update(bearer(aid_center_settings, Role.AID_CENTER_STAFF, agency=CENTER))
        n.client.headers.update(operator(notifier_settings))
        await _roster(a)

        transfer = _minor_transferred()
        envelope = Envelope.for_event(transfer, case_id=uuid.uuid4(), producer="tj-psb-hedong")
        await _write_envelope(_as(sasl_broker, "tj-psb-hedong"), envelope)
        case_id, suspect_id = envelope.case_id, transfer.suspects[0].suspect_id

        async def received() -> bool:
            return (await p.client.get(f"/cases/{case_id}")).status_code == 200

        await eventually(received, timeout=60, what="the agency's transfer to become a case")
        suspect_url = f"/cases/{case_id}/suspects/{suspect_id}"
        notified = await p.client.post(
            f"{suspect_url}/rights-notification",
            json={
                "informed": [
                    {"role": "suspect", "name": "王小明"},
                    {"role": "guardian", "name": "王大明"},
                ],
            },
        )
        assert notified.status_code == 200, notified.text
        decision = await p.client.post(
            f"{suspect_url}/defense-decision",
            json={
                "choice": "no_counsel",
                "materials": ["起诉意见书"],
                "case_handler": {"name": "李检察官", "contact": "022-87654321"},
            },
        )
        assert decision.status_code == 200, decision.text

        async def appointed() -> Any:
            got = (await p.client.get(f"/cases/{case_id}")).json()["suspects"][0]
            return got["defense_status"] == "appointed_on_notice" and got

        await eventually(appointed, timeout=60, what="the appointment to reach the procuratorate")
        assert (await appointed())["current_defender"]["name"] == "赵律师"

        async def lawyer_told() -> bool:
            log = (await n.client.get(f"/cases/{case_id}/deliveries")).json()
            return any(
                d["about_event_type"] == "LawyerAssigned"
                and d["recipient_role"] == "lawyer"
                and d["status"] == "delivered"
                for d in log.get("items", [])
            )

        await eventually(lawyer_told, timeout=60, what="the notifier to tell the lawyer")
        board = (await n.client.get("/clocks", params={"case_id": str(case_id)})).json()["items"]
        assert "review_period" in {clock["kind"] for clock in board}

        async def clocks_published() -> bool:
            # The notifier's own events (its clocks) left through its relay under its ACLs.
            relay = n.runtime.relay
            return relay is not None and relay.failing_since is None and await _sent(n) > 0

        await eventually(clocks_published, timeout=60, what="the notifier's events to leave")
        for service in (p, a, n):
            assert service.runtime.consumer is not None
            assert service.runtime.consumer.stats.applied > 0
            # Only the plain bytes the ACL tests above wrote on these topics: none of the
            # case's events was refused on the way.
            letters = await service.client.get(
                "/ops/dead-letters", headers=operator(service.settings)
            )
            assert {letter["error_kind"] for letter in letters.json()["items"]} <= {
                "contract_violation"
            }
            assert all(letter["event_id"] is None for letter in letters.json()["items"]), (
                letters.text
            )


async def _sent(service: Any) -> int:
    outbox_table = service.runtime.definition.tables.messaging.outbox
    async with service.runtime.sessions() as session:
        found = await session.scalar(
            sa.select(sa.func.count())
            .select_from(outbox_table)
            .where(outbox_table.c.published_at.is_not(None))
        )
        return int(found or 0)


async def _write_envelope(connection: KafkaConnection, envelope: Envelope) -> None:
    producer = AIOKafkaProducer(**connection.options(), request_timeout_ms=15000)
    await producer.start()
    try:
        await asyncio.wait_for(
            producer.send_and_wait(
                topics.INTAKE_CASE_TRANSFERS, envelope.to_bytes(), key=envelope.key
            ),
            timeout=30,
        )
    finally:
        await producer.stop()


async def test_a_service_whose_topics_are_not_provisioned_says_so_and_is_not_ready(
    sasl_broker: str, service_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Under the ACLs a service may not create topics: one the administrator did not provision
    is an ERROR naming it and the command, and /ready is 503 naming it, not a crash."""
    settings = await service_settings(
        ProcuratorateSettings,
        "sasl_unprovisioned",
        **{
            **_as_service(sasl_broker, "procuratorate"),
            "topic_notifier": "notifier.not-provisioned",
            "consumer_group": "procuratorate",
        },
    )
    with caplog.at_level(logging.ERROR, logger="service_runtime.app"):
        async with run_service(procuratorate_app(settings), settings) as running:
            ready = await running.client.get("/ready")
            assert ready.status_code == 503, ready.text
            assert ready.json()["checks"]["topics"] == (
                "missing: notifier.not-provisioned, notifier.not-provisioned.dlq"
            )
            assert (await running.client.get("/health")).status_code == 200
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(
        "notifier.not-provisioned" in message and "defense_messaging.topics provision" in message
        for message in errors
    ), errors


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
