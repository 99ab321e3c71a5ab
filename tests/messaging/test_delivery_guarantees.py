"""The delivery guarantees, proven against the real broker and PostgreSQL (README: "Delivery
guarantees"): outbox survives a relay crash, inbox applies once, poison goes to the DLQ and the
consumer keeps going, per-case order holds, dead letters can be replayed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer

from defense_messaging import Outbox, OutboxRelay
from defense_messaging.topics import ensure_topics
from defense_schemas import Envelope, dead_letter_topic
from defense_schemas.examples import EXAMPLES, example_envelope
from defense_schemas.topics import Producer
from service_runtime.app import build_app
from service_runtime.database import create_engine, session_factory
from service_runtime.migrations import upgrade_to_head
from tests.infrastructure import (
    RunningService,
    eventually,
    operator,
    own_topics,
    read_topic,
    run_service,
)
from tests.messaging import probe
from tests.messaging.probe import ProbeSettings, applied, decision, platform

pytestmark = pytest.mark.integration


def _own_topics(label: str) -> dict[str, str]:
    """Topics of this test alone, so no other test's traffic mixes in."""
    return own_topics(f"probe-{label}")


@pytest.fixture
async def probe_settings(service_settings: Any, request: pytest.FixtureRequest) -> ProbeSettings:
    settings: ProbeSettings = await service_settings(
        ProbeSettings, "probe", **_own_topics(request.node.name[:20].lower().replace("_", "-"))
    )
    return settings


@pytest.fixture
async def running_probe(probe_settings: ProbeSettings) -> AsyncIterator[RunningService]:
    probe.behaviour.bug_fixed = False
    app = build_app(probe.definition(), probe_settings)
    async with run_service(app, probe_settings) as running:
        assert running.runtime.consumer is not None
        await running.runtime.consumer.started.wait()
        yield running


async def _produce(settings: ProbeSettings, topic: str, *messages: tuple[bytes, bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for key, value in messages:
            await producer.send_and_wait(topic, value=value, key=key)
    finally:
        await producer.stop()


def _envelope(note: str, case_id: uuid.UUID | None = None) -> Envelope:
    return Envelope.for_event(
        decision(note), case_id=case_id or uuid.uuid4(), producer="procuratorate"
    )


async def _scalar(service: RunningService, query: sa.Select[Any]) -> Any:
    async with service.runtime.sessions() as session:
        return await session.scalar(query)


async def _count(service: RunningService, table: sa.Table, *where: Any) -> int:
    return int(await _scalar(service, sa.select(sa.func.count()).select_from(table).where(*where)))


async def test_malformed_message_on_each_topic_goes_to_its_dlq_and_the_next_is_applied(
    running_probe: RunningService,
) -> None:
    settings = running_probe.settings
    topics = [
        settings.topic_intake,
        settings.topic_procuratorate,
        settings.topic_aid_center,
        settings.topic_notifier,
    ]
    # After the poison, an event that belongs on each topic (its owner's type and producer).
    owners = [Producer.AGENCY, Producer.PROCURATORATE, Producer.AID_CENTER, Producer.NOTIFIER]
    good = {
        topic: _owned_by(owner).model_copy(update={"event_id": uuid.uuid4()})
        for topic, owner in zip(topics, owners, strict=True)
    }
    for topic in topics:
        await _produce(
            settings,
            topic,
            (b"case-x", b'{"this is": "not an envelope"'),
            (good[topic].key, good[topic].to_bytes()),
        )

    ids = [envelope.event_id for envelope in good.values()]
    await eventually(
        lambda: _all_applied(running_probe, ids), what="good events after the poison ones"
    )
    for topic in topics:
        records = await read_topic(
            settings.kafka_bootstrap_servers, dead_letter_topic(topic), until=lambda r: len(r) >= 1
        )
        headers = dict(records[0].headers)
        assert records[0].value == b'{"this is": "not an envelope"'
        assert headers["dlq.source_topic"].decode() == topic
        assert headers["dlq.error_kind"] == b"contract_violation"
        assert headers["dlq.consumer"].decode() == settings.consumer_group
        # The reason's kind and fixed words, never the refusal's text (it may quote the input).
        assert headers["dlq.reason"] == b"the message breaks the event contract"
        assert "dlq.error" not in headers
        assert int(headers["dlq.source_offset"]) == 0


def _owned_by(owner: Producer) -> Envelope:
    event = next(event for event in EXAMPLES if event.producer is owner)
    return example_envelope(event)


async def _all_applied(service: RunningService, ids: list[uuid.UUID]) -> bool:
    return await _count(service, applied, applied.c.event_id.in_(ids)) == len(ids)


async def test_the_same_event_delivered_twice_changes_the_projection_once(
    running_probe: RunningService,
) -> None:
    envelope = _envelope("delivered twice")
    message = (envelope.key, envelope.to_bytes())
    await _produce(
        running_probe.settings, running_probe.settings.topic_procuratorate, message, message
    )
    consumer = running_probe.runtime.consumer
    assert consumer is not None
    await eventually(
        lambda: _stat_at_least(running_probe, "duplicates", 1), what="the second delivery"
    )
    assert await _count(running_probe, applied, applied.c.event_id == envelope.event_id) == 1


async def test_events_are_still_applied_after_the_database_dropped_every_connection(
    running_probe: RunningService, infra: Any
) -> None:
    """The pool does not ping before each use (a round trip per transaction): a connection the
    server closed fails once, is retried as transient, and the pool reconnects."""
    settings = running_probe.settings
    first, second = _envelope("before the restart"), _envelope("after the restart")
    await _produce(settings, settings.topic_procuratorate, (first.key, first.to_bytes()))
    await eventually(lambda: _count(running_probe, applied, applied.c.event_id == first.event_id))
    database = str(settings.database_url).rsplit("/", 1)[1]
    admin = await asyncpg.connect(infra.pg_admin_url)
    try:
        closed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1",
            database,
        )
    finally:
        await admin.close()
    assert closed >= 1  # the pool's idle connections, as after a database restart
    await _produce(settings, settings.topic_procuratorate, (second.key, second.to_bytes()))

    async def applied_after_drop() -> bool:
        try:
            return await _count(running_probe, applied, applied.c.event_id == second.event_id) > 0
        except sa.exc.DBAPIError as exc:
            # This read may be the one to meet a dropped connection, as a request would.
            assert exc.connection_invalidated, exc
            return False

    await eventually(applied_after_drop, what="the event after the connections were dropped")
    health = await running_probe.client.get("/ready")
    assert health.status_code == 200, health.text


async def _stat_at_least(service: RunningService, name: str, value: int) -> bool:
    consumer = service.runtime.consumer
    assert consumer is not None
    return getattr(consumer.stats, name) >= value


class RelayKilled(BaseException):
    """Stands for the process dying: not an Exception, so nothing catches it on the way."""


class RelayKilledAfterSending(OutboxRelay):
    async def _mark_published(self, conn: Any, ids: list[int]) -> None:
        raise RelayKilled


async def test_an_event_reaches_kafka_even_when_the_relay_dies_between_send_and_mark(
    probe_settings: ProbeSettings,
) -> None:
    url = str(probe_settings.database_url)
    await upgrade_to_head(probe.definition().migrations_dir, url)
    await ensure_topics(probe_settings.kafka, {probe_settings.topic_procuratorate: 4})
    engine = create_engine(url)
    outbox = Outbox(platform.messaging, channel="outbox_probe")
    envelope = _envelope("survives the relay crash")
    async with session_factory(engine)() as session, session.begin():
        await outbox.add(session, envelope, probe_settings.topic_procuratorate)

    producer = AIOKafkaProducer(
        enable_idempotence=True,
        acks="all",
        bootstrap_servers=probe_settings.kafka_bootstrap_servers,
    )
    await producer.start()
    try:
        dying = RelayKilledAfterSending(engine, producer, platform.messaging, outbox.channel)
        with pytest.raises(RelayKilled):
            await dying.publish_pending()
        async with engine.connect() as conn:
            unpublished = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(platform.messaging.outbox)
                .where(platform.messaging.outbox.c.published_at.is_(None))
            )
        assert unpublished == 1, "a row sent but not marked stays in the outbox"

        healthy = OutboxRelay(engine, producer, platform.messaging, outbox.channel)
        assert await healthy.publish_pending() == 1
        assert await healthy.publish_pending() == 0
    finally:
        await producer.stop()
        await engine.dispose()

    on_the_wire = await read_topic(
        probe_settings.kafka_bootstrap_servers,
        probe_settings.topic_procuratorate,
        until=lambda records: len(records) >= 2,
    )
    assert [record.value for record in on_the_wire] == [envelope.to_bytes()] * 2

    app = build_app(probe.definition(), probe_settings)
    async with run_service(app, probe_settings) as running:
        await eventually(lambda: _stat_at_least(running, "duplicates", 1), what="both copies")
        assert await _count(running, applied, applied.c.event_id == envelope.event_id) == 1


async def test_per_case_order_holds_for_1000_events_over_several_partitions(
    running_probe: RunningService,
) -> None:
    cases = [uuid.uuid4() for _ in range(25)]
    publisher = running_probe.runtime.publisher
    for batch in range(10):
        async with running_probe.runtime.sessions() as session, session.begin():
            for number in range(batch * 100, batch * 100 + 100):
                await publisher.publish(session, decision(str(number)), case_id=cases[number % 25])

    await eventually(lambda: _has_rows(running_probe, 1000), timeout=60, what="1000 events applied")
    async with running_probe.runtime.sessions() as session:
        rows = (
            await session.execute(
                sa.select(applied.c.case_id, applied.c.note).order_by(applied.c.seq)
            )
        ).all()
    by_case: dict[uuid.UUID, list[int]] = {}
    for case_id, note in rows:
        by_case.setdefault(case_id, []).append(int(note))
    assert set(by_case) == set(cases)
    for numbers in by_case.values():
        assert numbers == sorted(numbers), "a case's events were applied out of order"
        assert len(numbers) == 40
    partitions = {
        record.partition
        for record in await read_topic(
            running_probe.settings.kafka_bootstrap_servers,
            running_probe.settings.topic_procuratorate,
            until=lambda records: len(records) >= 1000,
        )
    }
    assert len(partitions) > 1, "the test must spread cases over several partitions"


async def _has_rows(service: RunningService, count: int) -> bool:
    return await _count(service, applied) >= count


async def test_a_permanent_rejection_is_dead_lettered_at_once(
    running_probe: RunningService,
) -> None:
    envelope = _envelope("reject")
    await _produce(
        running_probe.settings,
        running_probe.settings.topic_procuratorate,
        (envelope.key, envelope.to_bytes()),
    )
    dead = platform.messaging.dead_letters
    await eventually(
        lambda: _has_dead_letter(running_probe, envelope.event_id), what="the dead letter"
    )
    reason = await _scalar(
        running_probe, sa.select(dead.c.error_kind).where(dead.c.event_id == str(envelope.event_id))
    )
    assert reason == "rejected"
    assert await _count(running_probe, applied, applied.c.event_id == envelope.event_id) == 0


async def _has_dead_letter(service: RunningService, event_id: uuid.UUID) -> bool:
    dead = platform.messaging.dead_letters
    return await _count(service, dead, dead.c.event_id == str(event_id)) == 1


async def test_a_transient_failure_is_retried_not_dead_lettered(
    running_probe: RunningService,
) -> None:
    envelope = _envelope("flaky")
    await _produce(
        running_probe.settings,
        running_probe.settings.topic_procuratorate,
        (envelope.key, envelope.to_bytes()),
    )
    await eventually(lambda: _all_applied(running_probe, [envelope.event_id]), what="the retry")
    assert probe.behaviour.flaky_failures[envelope.event_id] == 1
    assert await _count(running_probe, platform.messaging.dead_letters) == 0


async def test_operators_list_and_replay_a_dead_letter_once_its_cause_is_fixed(
    running_probe: RunningService,
) -> None:
    envelope = _envelope("bug")
    await _produce(
        running_probe.settings,
        running_probe.settings.topic_procuratorate,
        (envelope.key, envelope.to_bytes()),
    )
    await eventually(
        lambda: _has_dead_letter(running_probe, envelope.event_id),
        what="the handler bug to be dead-lettered",
    )
    client = running_probe.client
    client.headers.update(operator(running_probe.settings))
    listed = (await client.get("/ops/dead-letters")).json()["items"]
    assert [letter["event_id"] for letter in listed] == [str(envelope.event_id)]
    assert listed[0]["error_kind"] == "handler_error"
    assert "a bug in the handler" in listed[0]["error"]

    probe.behaviour.bug_fixed = True
    replayed = await client.post(f"/ops/dead-letters/{listed[0]['id']}/replay")
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["replayed_at"] is not None
    await eventually(lambda: _all_applied(running_probe, [envelope.event_id]), what="the replay")

    again = await client.post(f"/ops/dead-letters/{listed[0]['id']}/replay")
    assert again.status_code == 409
    assert (await client.post("/ops/dead-letters/999999/replay")).status_code == 404
    assert (await client.get("/ops/dead-letters")).json()["items"] == []
