"""SIGTERM under load stops a real service process (each of the three) within Kubernetes' 30 s
grace period, in order: ``/ready`` fails first while the API still answers, the consumer's batch
is finished and its offsets committed, the relay's publish is finished, the process exits 0.
Nothing is lost or done twice: what was applied is exactly what was committed, what the outbox
marks sent is exactly what is on the topic, and a second process takes up the rest."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from aid_center.settings import AidCenterSettings
from defense_schemas import Envelope
from defense_schemas import examples as ex
from defense_schemas.events.intake import CaseTransferred
from defense_schemas.events.procuratorate import CaseReceived
from defense_schemas.vocabulary import ReceiptKind
from notifier.settings import NotifierSettings
from procuratorate.settings import ProcuratorateSettings
from service_runtime.settings import ServiceSettings
from services.aid_center.tests.integration.test_aid_center_flow import new_case, notice_for
from tests.infrastructure import ROOT, own_topics

pytestmark = pytest.mark.integration

GRACE_PERIOD_SECONDS = 30.0  # Kubernetes' default terminationGracePeriodSeconds
DRAIN_SECONDS = 2.0
TRANSFERS = 240
"""Cases in the load: one transfer each for the procuratorate, one case received for the
notifier, and a case received and its letter for the aid center."""
FIRST_APPLIED = 10  # SIGTERM once this many transfers are applied, the rest still to do


def _transfer(index: int) -> list[Envelope]:
    """A case transfer from an agency, the procuratorate's input."""
    event = CaseTransferred.model_validate(
        {
            "transfer_number": f"津公东诉字〔2026〕{index}号",
            "transferring_agency": "天津市公安局河东分局",
            "transferring_agency_kind": "public_security",
            "procuratorate_unit": "天津市河东区人民检察院",
            "district": "河东区",
            "charges": ["盗窃罪"],
            "suspects": [
                {
                    "suspect_id": str(uuid.uuid4()),
                    "name": "张三",
                    "birth_date": "1990-05-01",
                    "gender": "male",
                    "limited_capacity": False,
                    "disabilities": [],
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
            "transferred_at": "2026-03-02T08:00:00+08:00",
        }
    )
    return [Envelope.for_event(event, case_id=uuid.uuid4(), producer="tj-psb-hedong")]


def _case_received(index: int) -> list[Envelope]:
    """A case received by the procuratorate, the aid center's and the notifier's input: each
    one a new case with a new suspect (the notifier opens its clocks and publishes them)."""
    suspect = ex.SUSPECTS[0].model_copy(update={"suspect_id": uuid.uuid4()})
    case = ex.CASE.model_copy(
        update={"transfer_number": f"津公河(刑)移诉字〔2026〕{index}号", "suspects": (suspect,)}
    )
    event = CaseReceived(
        **dict(case),
        receipt_kind=ReceiptKind.TRANSFER,
        received_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
        review_deadline=date(2026, 4, 2),
        pilot_district=True,
        prosecutor=ex.PROSECUTOR,
    )
    return [Envelope.for_event(event, case_id=uuid.uuid4(), producer="procuratorate")]


def _case_and_letter(index: int) -> list[Envelope]:
    """A case received and the letter for its minor: the aid center accepts the notice and,
    with nobody on its roster, publishes what it found (its relay has work)."""
    case_id, received, suspect_ids = new_case()
    letter = notice_for(suspect_ids[1], minor=True)
    return [
        Envelope.for_event(event, case_id=case_id, producer="procuratorate")
        for event in (received, letter)
    ]


@dataclass(frozen=True)
class Subject:
    """One service as this test drives it: what it consumes, what it writes."""

    module: str
    settings_class: type[ServiceSettings]
    consumed: str
    """The settings' attribute naming the topic the load goes to."""
    own: str
    """The settings' attribute naming the topic it writes."""
    load: Callable[[int], list[Envelope]]
    """The events of one case, in order (one key: one partition)."""

    @property
    def per_case(self) -> int:
        return len(self.load(0))

    @property
    def prefix(self) -> str:
        prefix: str = self.settings_class.model_config["env_prefix"]
        return prefix


SUBJECTS = [
    Subject(
        "procuratorate", ProcuratorateSettings, "topic_intake", "topic_procuratorate", _transfer
    ),
    Subject(
        "aid_center", AidCenterSettings, "topic_procuratorate", "topic_aid_center", _case_and_letter
    ),
    Subject("notifier", NotifierSettings, "topic_procuratorate", "topic_notifier", _case_received),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServiceProcess:
    """``python -m <service>`` configured through its environment, as a pod runs it."""

    def __init__(self, subject: Subject, settings: ServiceSettings, log: Path) -> None:
        self.subject = subject
        self.settings = settings
        self.port = _free_port()
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def environment(self) -> dict[str, str]:
        s = self.settings
        values = {
            "DATABASE_URL": str(s.database_url),
            "KAFKA_BOOTSTRAP_SERVERS": s.kafka_bootstrap_servers,
            "TOPIC_INTAKE": s.topic_intake,
            "TOPIC_PROCURATORATE": s.topic_procuratorate,
            "TOPIC_AID_CENTER": s.topic_aid_center,
            "TOPIC_NOTIFIER": s.topic_notifier,
            "TOPIC_PARTITIONS": str(s.topic_partitions),
            "CONSUMER_GROUP": str(s.consumer_group),
            "OUTBOX_POLL_INTERVAL_SECONDS": "0.2",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(self.port),
            "SHUTDOWN_DRAIN_SECONDS": str(DRAIN_SECONDS),
        }
        return {
            **os.environ,
            "DEFENSE_ENV": "development",
            **{f"{self.subject.prefix}{key}": value for key, value in values.items()},
        }

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.subject.module],
                cwd=ROOT,
                env=self.environment(),
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_ready(self, timeout: float = 240.0) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        # /ready checks the database, Kafka and the topics, 3 s each at most: on a loaded
        # machine an answer can take several seconds.
        async with httpx.AsyncClient(base_url=self.url, timeout=15.0) as client:
            while time.monotonic() < deadline:
                assert self.process is not None and self.process.poll() is None, self.output()
                try:
                    response = await client.get("/ready")
                    if response.status_code == 200:
                        return
                    last = response.text
                except httpx.TransportError as exc:
                    last = repr(exc)
                await asyncio.sleep(0.2)
        raise AssertionError(f"not ready in {timeout}s ({last}):\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture(params=SUBJECTS, ids=lambda subject: subject.module)
async def service(
    service_settings: Callable[..., Any], tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[ServiceProcess]:
    subject: Subject = request.param
    label = f"graceful-{subject.module.replace('_', '-')}"
    settings = await service_settings(
        subject.settings_class, label, topic_partitions=4, **own_topics(label)
    )
    running = ServiceProcess(subject, settings, tmp_path / f"{subject.module}.log")
    try:
        yield running
    finally:
        running.kill()


async def _publish(service: ServiceProcess, count: int, published: list[int]) -> None:
    """The load: ``count`` events, a few dozen at a time, for several seconds."""
    settings = service.settings
    topic = getattr(settings, service.subject.consumed)
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=True
    )
    await producer.start()
    try:
        for start in range(0, count, 40):
            sends = []
            for index in range(start, min(start + 40, count)):
                for envelope in service.subject.load(index):
                    sends.append(await producer.send(topic, envelope.to_bytes(), key=envelope.key))
            await asyncio.gather(*sends)
            published.append(min(start + 40, count) - start)
            await asyncio.sleep(0.1)
    finally:
        await producer.stop()


def _database(settings: ServiceSettings) -> str:
    return str(settings.database_url).replace("postgresql+asyncpg://", "postgresql://", 1)


async def _effects(service: ServiceProcess) -> dict[str, int]:
    settings = service.settings
    connection = await asyncpg.connect(_database(settings))
    try:
        row = await connection.fetchrow(
            """
            SELECT (SELECT count(*) FROM inbox WHERE topic = $1) AS applied,
                   (SELECT count(*) FROM cases) AS cases,
                   (SELECT count(*) FROM outbox WHERE published_at IS NOT NULL) AS sent,
                   (SELECT count(*) FROM outbox) AS outbox
            """,
            getattr(settings, service.subject.consumed),
        )
        assert row is not None
        return dict(row)
    finally:
        await connection.close()


async def _committed(service: ServiceProcess) -> int:
    """How many input records the group has committed (offsets start at 0)."""
    settings = service.settings
    consumed = getattr(settings, service.subject.consumed)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(str(settings.consumer_group))
    finally:
        await admin.close()
    return sum(
        meta.offset
        for partition, meta in offsets.items()
        if partition.topic == consumed and meta.offset > 0
    )


async def _on_the_wire(service: ServiceProcess) -> int:
    """How many records the service's own topic holds (no transactions: end offsets count)."""
    settings = service.settings
    own = getattr(settings, service.subject.own)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(own)
        if partitions is None:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(own) or set()
        from aiokafka import TopicPartition

        ends = await consumer.end_offsets([TopicPartition(own, p) for p in partitions])
        return sum(ends.values())
    finally:
        await consumer.stop()


async def _watch_readiness(url: str, seen: list[tuple[float, int | None, str]]) -> None:
    """Polls /ready until the server stops answering: (time, status or None, body)."""
    async with httpx.AsyncClient(base_url=url, timeout=15.0) as client:
        while True:
            try:
                response = await client.get("/ready")
                seen.append((time.monotonic(), response.status_code, response.text))
            except httpx.TimeoutException:
                continue  # a slow answer on a loaded machine, not a closed listener
            except httpx.TransportError:
                seen.append((time.monotonic(), None, ""))
                return
            await asyncio.sleep(0.05)


async def test_sigterm_under_load_stops_in_order_within_the_grace_period(
    service: ServiceProcess,
) -> None:
    began = time.monotonic()
    service.start()
    await service.wait_ready()
    print(f"\nready in {time.monotonic() - began:.1f}s")
    published: list[int] = []
    load = asyncio.create_task(_publish(service, TRANSFERS, published))
    deadline = time.monotonic() + 120
    while (await _effects(service))["applied"] < FIRST_APPLIED:
        assert time.monotonic() < deadline, (await _effects(service), published, load)
        await asyncio.sleep(0.1)
    print(f"\nSIGTERM with {sum(published)} of {TRANSFERS} cases sent")

    seen: list[tuple[float, int | None, str]] = []
    watcher = asyncio.create_task(_watch_readiness(service.url, seen))
    assert service.process is not None
    terminated = time.monotonic()
    service.process.send_signal(signal.SIGTERM)
    code = await asyncio.to_thread(service.process.wait, GRACE_PERIOD_SECONDS)
    stopped_in = time.monotonic() - terminated
    await asyncio.wait_for(watcher, timeout=20)
    await load
    output = service.output()
    assert code == 0, output
    assert stopped_in < GRACE_PERIOD_SECONDS, output
    print(f"\nstopped {stopped_in:.1f}s after SIGTERM (drain {DRAIN_SECONDS}s)")
    print("\n".join(line for line in output.splitlines() if "stopped in" in line))

    # Readiness went first: /ready said 503 "draining" while the API still answered, and the
    # listener closed only after the drain time.
    draining = [at for at, status, body in seen if status == 503 and "draining" in body]
    assert draining, f"/ready never said draining: {seen[:5]}"
    closed = seen[-1][0]
    assert seen[-1][1] is None
    assert closed - terminated >= DRAIN_SECONDS - 0.5, (closed - terminated, seen[-3:])

    # The consumer finished its batch and committed it: the applied are exactly the committed.
    first = await _effects(service)
    assert first["applied"] >= FIRST_APPLIED, first
    print(f"at exit: {first}")
    assert await _committed(service) == first["applied"], (first, output)
    # A case is stored by its first event; the aid center's letter follows it (one partition).
    assert first["cases"] <= first["applied"] <= first["cases"] * service.subject.per_case
    # The relay finished its publish: every row marked sent is on the topic, once.
    assert await _on_the_wire(service) == first["sent"], first

    # The next process takes up the rest; every transfer is applied once, every event sent once.
    service.start()
    await service.wait_ready()
    deadline = time.monotonic() + 180

    async def all_done() -> dict[str, int]:
        effects = await _effects(service)
        return effects

    events = TRANSFERS * service.subject.per_case
    while (now := await all_done())["applied"] < events or now["sent"] < now["outbox"]:
        assert time.monotonic() < deadline, (now, service.output())
        await asyncio.sleep(0.2)
    assert now["cases"] == TRANSFERS and now["applied"] == events, now
    assert await _committed(service) == events
    assert await _on_the_wire(service) == now["sent"] == now["outbox"], now
    assert service.process is not None
    service.process.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(service.process.wait, GRACE_PERIOD_SECONDS) == 0
