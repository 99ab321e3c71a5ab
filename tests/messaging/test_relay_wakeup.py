"""The outbox relay is woken by the commit (LISTEN/NOTIFY), not by its poll: a row is on the
broker as soon as its transaction commits. The poll interval here is an hour, so a relay that
waited for its poll would fail these tests by their timeouts."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncEngine

from defense_messaging import Outbox, OutboxRelay
from defense_messaging.topics import ensure_topics
from defense_schemas import Envelope
from service_runtime.database import create_engine, session_factory
from service_runtime.migrations import upgrade_to_head
from tests.infrastructure import eventually, own_topics
from tests.messaging import probe
from tests.messaging.probe import ProbeSettings, decision, platform

pytestmark = pytest.mark.integration

AN_HOUR = 3600.0
CHANNEL = "outbox_wakeup"


class CountingRelay(OutboxRelay):
    """Counts its passes over the outbox; its LISTEN connection waits for ``listen`` to be
    set, so a test can commit while nobody listens."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.passes = 0
        self.listen = asyncio.Event()

    async def publish_pending(self) -> int:
        self.passes += 1
        return await super().publish_pending()

    async def _listen(self) -> None:
        await self.listen.wait()
        await super()._listen()


@pytest.fixture
async def settings(service_settings: Any, request: pytest.FixtureRequest) -> ProbeSettings:
    label = request.node.name[5:25].lower().replace("_", "-")
    made: ProbeSettings = await service_settings(
        ProbeSettings, "wakeup", **own_topics(f"wakeup-{label}")
    )
    return made


@contextlib.asynccontextmanager
async def running_relay(
    settings: ProbeSettings, *, listening: bool
) -> AsyncIterator[tuple[CountingRelay, AsyncEngine]]:
    url = str(settings.database_url)
    await upgrade_to_head(probe.definition().migrations_dir, url)
    await ensure_topics(settings.kafka, {settings.topic_procuratorate: 2})
    engine = create_engine(url)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    relay = CountingRelay(engine, producer, platform.messaging, CHANNEL, poll_interval=AN_HOUR)
    if listening:
        relay.listen.set()
    task = asyncio.create_task(relay.run())
    try:
        yield relay, engine
    finally:
        relay.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=30)
        await producer.stop()
        await engine.dispose()


async def commit_one(engine: AsyncEngine, settings: ProbeSettings) -> None:
    outbox = Outbox(platform.messaging, channel=CHANNEL)
    envelope = Envelope.for_event(
        decision("wake up"), case_id=uuid.uuid4(), producer="procuratorate"
    )
    async with session_factory(engine)() as session, session.begin():
        await outbox.add(session, envelope, settings.topic_procuratorate)


async def all_published(engine: AsyncEngine) -> bool:
    outbox = platform.messaging.outbox
    async with engine.connect() as conn:
        waiting = await conn.scalar(
            sa.select(sa.func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        )
    return waiting == 0


async def listener_connected(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        listeners = await conn.scalar(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
            )
        )
    return bool(listeners)


async def test_a_committed_row_is_published_at_once_not_at_the_next_poll(
    settings: ProbeSettings,
) -> None:
    async with running_relay(settings, listening=True) as (_, engine):
        await eventually(lambda: listener_connected(engine), what="the relay listening")
        await commit_one(engine, settings)
        await eventually(lambda: all_published(engine), timeout=15, what="the row published")


async def test_a_commit_nobody_heard_is_published_once_the_relay_listens(
    settings: ProbeSettings,
) -> None:
    """The relay's first pass ran before its LISTEN connection was up, and a row committed in
    between notified no one: the relay must look again once it listens."""
    async with running_relay(settings, listening=False) as (relay, engine):

        async def first_pass_done() -> bool:
            return relay.passes >= 1

        await eventually(first_pass_done, what="the relay's first pass")
        await commit_one(engine, settings)
        relay.listen.set()
        await eventually(lambda: all_published(engine), timeout=15, what="the row published")
