"""A test session deletes its own topics at its end, and no one else's:
sessions run side by side on one broker, and a broker that kept every session's topics ran out
of open files."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from defense_schemas import dead_letter_topic
from tests.infrastructure import (
    RUN_ID,
    Endpoints,
    eventually,
    is_session_name,
    own_topics,
    remove_topics,
    session_name,
)


def test_every_name_a_test_takes_is_the_sessions_and_no_other_sessions_name_is() -> None:
    names = [*own_topics("x").values(), session_name("y")]
    names += [dead_letter_topic(name) for name in names]
    names.append(f"t{RUN_ID}.procuratorate.events")  # the session-wide topics of conftest
    assert all(is_session_name(name) for name in names)
    other = uuid.uuid4().hex[:8]
    assert other != RUN_ID
    for name in (*own_topics("x").values(), f"t{RUN_ID}.procuratorate.events"):
        assert not is_session_name(name.replace(RUN_ID, other, 1))
    assert not is_session_name(f"t{RUN_ID}0-x")  # a longer id that starts with this one
    assert not is_session_name("procuratorate.events")


@pytest.mark.integration
async def test_removing_takes_exactly_the_topics_named(infra: Endpoints) -> None:
    base = session_name("removal")
    mine = [f"{base}.events", dead_letter_topic(f"{base}.events")]
    neighbour = f"{base}x.events"  # as another session's: a name that merely starts alike
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(t, 1, 1) for t in (*mine, neighbour)])

        async def created() -> bool:  # a busy broker lists a new topic a moment after creating it
            return {*mine, neighbour} <= set(await admin.list_topics())

        await eventually(created, what="the created topics to reach the broker's metadata")

        removed = await asyncio.to_thread(
            remove_topics,
            infra.kafka_bootstrap,
            lambda name: name.startswith(f"{base}."),
        )

        assert sorted(removed) == sorted(mine)

        async def gone() -> bool:  # the broker deletes a topic's files in the background
            return not set(await admin.list_topics()) & set(mine)

        await eventually(gone, what="the deleted topics to leave the broker's metadata")
        assert neighbour in set(await admin.list_topics())
    finally:
        await asyncio.to_thread(
            remove_topics, infra.kafka_bootstrap, lambda name: name.startswith(f"{base}x")
        )
        await admin.close()
