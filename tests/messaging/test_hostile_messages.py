"""One Kafka message must not stop a service (README: "Delivery guarantees"), on the real broker
and PostgreSQL: any bytes as key, value or headers are applied or dead-lettered; a dead letter
too large to publish whole goes out truncated and marked; an outbox row the broker refuses for
good is parked and the rows behind it go on; a dead or stuck loop fails ``/health``."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import logging
import os
import random
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, MessageSizeTooLargeError

from defense_messaging import Outbox, OutboxRelay
from defense_messaging.consumer import EventConsumer, PerEventHandlers
from defense_messaging.dead_letters import opened_error, opened_value
from defense_messaging.relay import TransientSendFailure
from defense_messaging.topics import ensure_topics
from defense_schemas import Envelope, dead_letter_topic
from defense_schemas.events.procuratorate import DefenseDecisionRecorded
from defense_schemas.topics import Producer, TopicPolicy
from service_runtime.app import build_app
from service_runtime.database import create_engine, session_factory
from service_runtime.migrations import upgrade_to_head
from tests.infrastructure import RunningService, eventually, operator, read_topic, run_service
from tests.messaging import probe
from tests.messaging.probe import ProbeSettings, applied, platform
from tests.messaging.test_delivery_guarantees import _envelope, _own_topics

pytestmark = pytest.mark.integration

dead = platform.messaging.dead_letters
outbox = platform.messaging.outbox


@pytest.fixture
async def running_probe(
    service_settings: Any, request: pytest.FixtureRequest
) -> AsyncIterator[RunningService]:
    label = request.node.name[5:25].lower().replace("_", "-")
    settings: ProbeSettings = await service_settings(ProbeSettings, "hostile", **_own_topics(label))
    probe.behaviour.bug_fixed = False
    async with run_service(build_app(probe.definition(), settings), settings) as running:
        assert running.runtime.consumer is not None
        await running.runtime.consumer.started.wait()
        yield running


async def _send(
    settings: ProbeSettings,
    topic: str,
    messages: list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]],
    **producer_options: Any,
) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, **producer_options
    )
    await producer.start()
    try:
        for key, value, headers in messages:
            await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


async def _count(service: RunningService, table: sa.Table, *where: Any) -> int:
    async with service.runtime.sessions() as session:
        found = await session.scalar(sa.select(sa.func.count()).select_from(table).where(*where))
        return int(found or 0)


async def _applied(service: RunningService, envelope: Envelope) -> bool:
    return await _count(service, applied, applied.c.event_id == envelope.event_id) == 1


async def _filed(service: RunningService, count: int) -> bool:
    return await _count(service, dead) >= count


def _alive(service: RunningService) -> None:
    assert service.runtime.tasks, "the service runs its loops"
    for task in service.runtime.tasks:
        assert not task.done(), f"{task.get_name()} ended"


async def test_a_nul_byte_in_the_key_is_dead_lettered_and_the_consumer_keeps_going(
    running_probe: RunningService,
) -> None:
    settings = running_probe.settings
    topic = settings.topic_procuratorate
    good = _envelope("after the NUL key")
    nul_key = b"case\x00\xff\xfe"
    await _send(
        settings,
        topic,
        [
            (nul_key, b'{"not": "an envelope\x00"}', [("h\x00", b"\x00\xff")]),
            (good.key, good.to_bytes(), []),
        ],
    )
    await eventually(lambda: _applied(running_probe, good), what="the event after the NUL key")
    # The two keys may fall on different partitions: the dead letter may come second.
    await eventually(lambda: _filed(running_probe, 1), what="the dead letter")
    _alive(running_probe)
    async with running_probe.runtime.sessions() as session:
        row = (await session.execute(sa.select(dead))).mappings().one()
        # Stored sealed (it may carry anyone's data); opened, the bytes as they came.
        key, value, error = row["key"], opened_value(session, row), opened_error(session, row)
    assert key == nul_key, "the table keeps the key's bytes as they came"
    assert value == b'{"not": "an envelope\x00"}'
    assert "\x00" not in error
    records = await read_topic(
        settings.kafka_bootstrap_servers, dead_letter_topic(topic), until=lambda r: len(r) >= 1
    )
    assert records[0].key == nul_key
    client = running_probe.client
    listed = (await client.get("/ops/dead-letters", headers=operator(settings))).json()["items"]
    assert listed[0]["key"] == "case\x00\\xff\\xfe"


async def test_a_compressed_message_over_1_mib_is_dead_lettered_and_its_copy_truncated(
    running_probe: RunningService,
) -> None:
    settings = running_probe.settings
    topic = settings.topic_procuratorate
    bomb = b'{"padding": "' + b"A" * (2 * 1024 * 1024) + b'"}'
    assert len(gzip.compress(bomb)) < 100_000, "small on the wire, over 1 MiB unpacked"
    good = _envelope("after the bomb")
    await _send(
        settings,
        topic,
        [(b"bomb", bomb, []), (good.key, good.to_bytes(), [])],
        compression_type="gzip",
        max_request_size=4 * 1024 * 1024,
    )
    await eventually(lambda: _applied(running_probe, good), what="the event after the bomb")
    await eventually(lambda: _filed(running_probe, 1), what="the bomb's dead letter")
    async with running_probe.runtime.sessions() as session:
        letter = (await session.execute(sa.select(dead))).mappings().one()
        original = opened_value(session, letter)
    assert original == bomb, "the table keeps the whole original (sealed)"
    assert letter["error_kind"] == "inbound_refused"

    records = await read_topic(
        settings.kafka_bootstrap_servers, dead_letter_topic(topic), until=lambda r: len(r) >= 1
    )
    headers = {name: raw.decode() for name, raw in records[0].headers}
    assert headers["dlq.truncated"] == "true"
    assert headers["dlq.original_value_bytes"] == str(len(bomb))
    assert headers["dlq.dead_letter_id"] == str(letter["id"])
    assert bomb.startswith(records[0].value) and len(records[0].value) < len(bomb)

    # The relay is not blocked: an event written after the dead letter is published and applied.
    later = await _publish_decision(running_probe, "after the dead letter's copy")
    await eventually(lambda: _applied_id(running_probe, later), what="an event after the copy")
    _alive(running_probe)


async def _publish_decision(service: RunningService, note: str) -> uuid.UUID:
    async with service.runtime.sessions() as session, session.begin():
        envelope = await service.runtime.publisher.publish(
            session, probe.decision(note), case_id=uuid.uuid4()
        )
    return envelope.event_id


async def _applied_id(service: RunningService, event_id: uuid.UUID) -> bool:
    return await _count(service, applied, applied.c.event_id == event_id) == 1


async def test_an_outbox_row_the_broker_refuses_is_parked_and_the_rows_behind_it_go_on(
    running_probe: RunningService, caplog: pytest.LogCaptureFixture
) -> None:
    settings = running_probe.settings
    runtime = running_probe.runtime
    caplog.set_level(logging.ERROR, logger="defense_messaging.relay")
    same_case = uuid.uuid4()
    async with runtime.sessions() as session, session.begin():
        # Random bytes do not compress: over the producer's 1 MiB request limit whatever happens.
        await runtime.outbox.add_raw(
            session,
            topic=settings.topic_notifier,
            key=str(same_case),
            value=os.urandom(2 * 1024 * 1024),
        )
        behind = await runtime.publisher.publish(
            session, probe.decision("behind the huge row"), case_id=same_case
        )
    await eventually(lambda: _applied_id(running_probe, behind.event_id), what="the row behind")

    ops = operator(settings)
    parked = (await running_probe.client.get("/ops/outbox/parked", headers=ops)).json()["items"]
    assert len(parked) == 1
    assert parked[0]["topic"] == settings.topic_notifier
    assert parked[0]["size_bytes"] == 2 * 1024 * 1024
    assert "MessageSizeTooLarge" in parked[0]["last_error"]
    metrics = (await running_probe.client.get("/metrics")).text
    assert "defense_outbox_parked_total 1.0" in metrics
    assert "defense_outbox_parked_rows 1.0" in metrics
    assert any("parked" in record.getMessage() for record in caplog.records)
    assert (await running_probe.client.get("/health")).status_code == 200


async def test_a_few_hundred_arbitrary_messages_are_dead_lettered_and_a_valid_one_applied(
    running_probe: RunningService,
) -> None:
    settings = running_probe.settings
    topic = settings.topic_procuratorate
    rng = random.Random(20261130)

    def blob(limit: int) -> bytes:
        size = rng.choice([0, 1, 2, 16, 200, limit])
        return bytes(rng.getrandbits(8) for _ in range(size))

    bad: list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]] = []
    for number in range(300):
        valid = _envelope(f"mutant {number}").to_bytes()  # an event id of its own
        kind = number % 5
        if kind == 0:
            value = blob(4000)
        elif kind == 1:  # a valid envelope with a few bytes changed or cut
            at = rng.randrange(len(valid))
            value = valid[:at] + bytes([rng.getrandbits(8)]) + valid[at + 2 :]
            if value == valid:
                value = value[:-1]
        elif kind == 2:
            value = b'{"event_id": "\x00' + blob(50) + b'"}'
        elif kind == 3:
            value = None  # a tombstone
        else:
            value = valid[: rng.randrange(len(valid))]
        key = None if number % 7 == 0 and value is not None else blob(300)
        headers = [(f"h{rng.getrandbits(8)}\x00", blob(100)) for _ in range(rng.randrange(3))]
        bad.append((key, value, headers))
    good = _envelope("after 300 arbitrary messages")
    await _send(settings, topic, [*bad, (good.key, good.to_bytes(), [])])

    await eventually(lambda: _applied(running_probe, good), timeout=90, what="the valid event")

    async def all_handled() -> bool:
        # A mutation that still decodes is an event like any other; everything else is filed.
        filed = await _count(running_probe, dead)
        decoded = await _count(running_probe, applied) - 1
        return filed + decoded == len(bad)

    # The messages are spread over partitions: the valid one's may be done before the rest.
    await eventually(all_handled, timeout=90, what="every arbitrary message handled")
    assert await _count(running_probe, dead) >= len(bad) - 10
    _alive(running_probe)

    async def dlq_copies_published() -> bool:
        pending = await _count(running_probe, outbox, outbox.c.published_at.is_(None))
        return pending == 0

    await eventually(dlq_copies_published, timeout=60, what="every dead letter's copy published")
    assert await _count(running_probe, outbox, outbox.c.parked_at.is_not(None)) == 0
    assert (await running_probe.client.get("/health")).status_code == 200


async def test_health_fails_when_the_consumer_loop_died(
    running_probe: RunningService, caplog: pytest.LogCaptureFixture
) -> None:
    consumer = running_probe.runtime.consumer
    assert consumer is not None
    assert (await running_probe.client.get("/health")).status_code == 200

    async def broken_poll() -> None:
        raise RuntimeError("a bug in the loop")

    consumer._poll_once = broken_poll  # type: ignore[method-assign]
    task = next(t for t in running_probe.runtime.tasks if t.get_name().endswith("-consumer"))
    with caplog.at_level(logging.ERROR):
        await eventually(lambda: _done(task), what="the consumer loop to end")
        await asyncio.sleep(0)  # the done callback runs on the next turn of the loop
    assert any(
        record.levelno == logging.ERROR and "consumer" in record.getMessage()
        for record in caplog.records
    )
    health = await running_probe.client.get("/health")
    assert health.status_code == 503
    assert health.json()["checks"]["consumer"] == "dead"
    assert health.json()["checks"]["relay"] == "ok"


async def _done(task: asyncio.Task[None]) -> bool:
    return task.done()


async def test_health_fails_when_a_loop_is_stuck(running_probe: RunningService) -> None:
    relay = running_probe.runtime.relay
    assert relay is not None
    stall = running_probe.settings.liveness_stall_seconds
    # As if the relay had hung on a call since long before the threshold.
    relay.last_progress = time.monotonic() - stall - 60
    relay.stop()  # and no longer goes round to refresh it
    health = await running_probe.client.get("/health")
    assert health.status_code == 503
    assert health.json()["checks"]["relay"].startswith(("stuck", "dead"))


async def test_a_consumer_whose_group_generation_went_stale_keeps_consuming(
    running_probe: RunningService,
) -> None:
    """A member that stops polling past ``max.poll.interval.ms`` is dropped from its group (as
    a process paused by SIGSTOP is), and another member takes its partition: its next commit is
    refused. The loop re-joins and re-reads from the committed offsets; the inbox skips what it
    had applied, and what comes next is applied."""
    runtime = running_probe.runtime
    settings = running_probe.settings
    topic = f"{settings.topic_procuratorate}.stale"
    group = f"{settings.consumer_group}-stale"
    seen: list[uuid.UUID] = []
    release = asyncio.Event()
    stalled = asyncio.Event()

    async def handler(session: Any, envelope: Envelope, event: DefenseDecisionRecorded) -> None:
        if event.note == "stall" and not stalled.is_set():
            stalled.set()
            await release.wait()  # the pause, past the 2 s poll interval below
        seen.append(envelope.event_id)

    connection = settings.kafka
    consumer = EventConsumer(
        group_id=group,
        topics=[topic],
        connection=type(connection)(
            bootstrap_servers=connection.bootstrap_servers,
            extra={"heartbeat_interval_ms": 500},
        ),
        max_poll_interval_ms=2000,
        sessions=runtime.sessions,
        tables=runtime.tables,
        outbox=runtime.outbox,
        handlers=PerEventHandlers({DefenseDecisionRecorded: handler}),
        topic_policies={topic: TopicPolicy(Producer.PROCURATORATE)},
        client_timeout=10,
    )
    await ensure_topics(connection, {topic: 1})
    first, second = _envelope("stall"), _envelope("after the stall")
    await _send(settings, topic, [(first.key, first.to_bytes(), [])])
    task = asyncio.create_task(consumer.run())
    other = AIOKafkaConsumer(
        topic,
        group_id=group,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_auto_commit=False,
        auto_offset_reset="latest",
    )
    try:
        await asyncio.wait_for(stalled.wait(), timeout=60)
        coordinator = consumer._consumer._coordinator  # type: ignore[union-attr]
        await eventually(
            lambda: _left_group(coordinator), timeout=30, what="the paused member to be dropped"
        )
        await other.start()  # takes the partition while the first member is away
        await eventually(lambda: _assigned(other), timeout=30, what="the other member to join")
        release.set()  # the paused member wakes up and commits with its stale generation
        await eventually(lambda: _commit_refused(consumer), timeout=30, what="the refusal")
        await other.stop()  # the partition comes back to the first member
        await _send(settings, topic, [(second.key, second.to_bytes(), [])])
        await eventually(
            lambda: _has(seen, second.event_id), timeout=60, what="the event after the stall"
        )
        # The handler runs inside the transaction; the counters move after its commit.
        await eventually(lambda: _stat(consumer, "applied", 2), what="the counters")
        assert not task.done(), "the loop survived the refused commit"
        assert seen.count(first.event_id) == 1, "applied once, whatever was read again"
        assert consumer.stats.duplicates >= 1, "the stalled batch was read again and skipped"
    finally:
        release.set()
        consumer.stop()
        await asyncio.wait_for(task, timeout=30)
        with contextlib.suppress(Exception):
            await other.stop()


async def test_the_consumer_takes_its_max_poll_interval_from_the_settings(
    service_settings: Any,
) -> None:
    settings: ProbeSettings = await service_settings(
        ProbeSettings, "poll-interval", consumer_max_poll_interval_ms=7000, **_own_topics("poll")
    )
    async with run_service(build_app(probe.definition(), settings), settings) as running:
        consumer = running.runtime.consumer
        assert consumer is not None
        await consumer.started.wait()
        client = consumer._consumer
        assert client is not None
        assert client._coordinator._max_poll_interval == 7.0  # type: ignore[union-attr]


async def _left_group(coordinator: Any) -> bool:
    return bool(coordinator.generation < 0)


async def _assigned(consumer: AIOKafkaConsumer) -> bool:
    await consumer.getmany(timeout_ms=100)
    return bool(consumer.assignment())


async def _commit_refused(consumer: EventConsumer) -> bool:
    return consumer.stats.commits_refused >= 1


async def _stat(consumer: EventConsumer, name: str, value: int) -> bool:
    return getattr(consumer.stats, name) >= value


async def _has(seen: list[uuid.UUID], event_id: uuid.UUID) -> bool:
    return event_id in seen


class FlakyProducer:
    """Stands for the idempotent producer: the first send of ``flaky`` fails as with the broker
    away, and so does every later send of the same partition (key) until the next batch, as the
    producer's per-partition sequence does; ``huge`` is refused for good before sending."""

    def __init__(self) -> None:
        self.wire: list[bytes] = []
        self.failed_once = False
        self.broken_keys: set[bytes] = set()

    async def send(self, topic: str, *, value: bytes, key: bytes, headers: Any) -> Any:
        if value == b"huge":
            raise MessageSizeTooLargeError("too large")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if (value == b"flaky" and not self.failed_once) or key in self.broken_keys:
            self.failed_once = True
            self.broken_keys.add(key)
            future.set_exception(KafkaConnectionError("broker away"))
        else:
            self.wire.append(value)
            future.set_result(None)
        return future


async def test_a_transient_failure_parks_nothing_and_keeps_the_keys_order(
    probe_settings_only: ProbeSettings,
) -> None:
    url = str(probe_settings_only.database_url)
    await upgrade_to_head(probe.definition().migrations_dir, url)
    engine = create_engine(url)
    box = Outbox(platform.messaging, channel="outbox_flaky")
    try:
        async with session_factory(engine)() as session, session.begin():
            for value in (b"flaky", b"huge", b"after"):
                await box.add_raw(session, topic="t", key=b"same-case", value=value)
        producer = FlakyProducer()
        relay = OutboxRelay(engine, producer, platform.messaging, box.channel)  # type: ignore[arg-type]
        with pytest.raises(TransientSendFailure):
            await relay.publish_pending()
        async with engine.connect() as conn:
            states = dict(
                (
                    await conn.execute(
                        sa.select(outbox.c.value, outbox.c.parked_at.is_not(None)).where(
                            outbox.c.published_at.is_(None)
                        )
                    )
                ).all()
            )
        assert states == {b"flaky": False, b"huge": True, b"after": False}, (
            "the refused row is parked; the delayed rows stay, none marked sent"
        )
        producer.broken_keys.clear()  # the broker is back
        assert await relay.publish_pending() == 2
        assert producer.wire == [b"flaky", b"after"], "the delayed rows keep their order"
        assert await relay.publish_pending() == 0
    finally:
        await engine.dispose()


@pytest.fixture
async def probe_settings_only(service_settings: Any) -> ProbeSettings:
    settings: ProbeSettings = await service_settings(ProbeSettings, "relay_order")
    return settings


class BrokerAway:
    async def send(self, *args: Any, **kwargs: Any) -> Any:
        raise KafkaConnectionError("broker away")


async def test_ready_fails_while_every_relay_batch_fails_and_recovers_after(
    running_probe: RunningService,
) -> None:
    runtime = running_probe.runtime
    relay = runtime.relay
    assert relay is not None
    real_producer = relay._producer
    relay._producer = BrokerAway()  # type: ignore[assignment]
    try:
        await _publish_decision(running_probe, "while the broker is away")
        await eventually(lambda: _failing(relay), what="the relay's batches to fail")
        assert relay.failing_since is not None
        relay.failing_since -= 60  # as if the outage had lasted a minute
        ready = await running_probe.client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["outbox"].startswith("failing for")
        assert "TransientSendFailure" in ready.json()["checks"]["outbox"]
        # Still alive: a relay that waits for the broker goes round; restarting would not help.
        assert (await running_probe.client.get("/health")).status_code == 200
    finally:
        relay._producer = real_producer
    await eventually(lambda: _recovered(relay), timeout=60, what="the relay to recover")
    assert (await running_probe.client.get("/ready")).status_code == 200


async def _failing(relay: OutboxRelay) -> bool:
    return relay.failing_since is not None


async def _recovered(relay: OutboxRelay) -> bool:
    return relay.failing_since is None
