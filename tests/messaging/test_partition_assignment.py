"""A case's partitions of every consumed topic are read by one member of the group.

The events of a case are keyed by its id, so they sit in the same partition number of each
topic; two members applying one case's events of two topics at once would break their causal
order (defense_messaging.assignment)."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any, cast

import pytest
from aiokafka import TopicPartition
from aiokafka.coordinator.protocol import ConsumerProtocolMemberMetadata
from hypothesis import given
from hypothesis import strategies as st

from defense_messaging.assignment import CoPartitionedAssignor
from defense_messaging.consumer import EventConsumer, PerEventHandlers
from defense_messaging.kafka_client import KafkaConnection
from defense_messaging.topics import ensure_topics
from tests.infrastructure import Endpoints, eventually, session_name

# --- the rule, without a broker ---------------------------------------------------------


class _Cluster:
    """The part of aiokafka's ClusterMetadata an assignor reads."""

    def __init__(self, counts: dict[str, int]) -> None:
        self._counts = counts

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        count = self._counts.get(topic)
        return None if count is None else set(range(count))


def _assign(counts: dict[str, int], members: dict[str, list[str]]) -> dict[str, set[tuple]]:
    """member → the (topic, partition) pairs it reads."""
    assigned = CoPartitionedAssignor.assign(
        cast(Any, _Cluster(counts)),
        {m: ConsumerProtocolMemberMetadata(0, topics, b"") for m, topics in members.items()},
    )
    return {
        member: {(topic, p) for topic, partitions in a.assignment for p in partitions}
        for member, a in assigned.items()
    }


@given(
    members=st.integers(min_value=1, max_value=8),
    topics=st.integers(min_value=1, max_value=3),
    partitions=st.integers(min_value=1, max_value=16),
)
def test_each_partition_number_of_every_topic_goes_to_one_member(
    members: int, topics: int, partitions: int
) -> None:
    names = [f"topic-{t}" for t in range(topics)]
    result = _assign(
        dict.fromkeys(names, partitions), {f"member-{m}": names for m in range(members)}
    )
    readers: dict[tuple[str, int], list[str]] = defaultdict(list)
    for member, pairs in result.items():
        for pair in pairs:
            readers[pair].append(member)
    assert sorted(readers) == sorted((t, p) for t in names for p in range(partitions))
    assert all(len(r) == 1 for r in readers.values()), "every partition read exactly once"
    for number in range(partitions):
        assert len({readers[(t, number)][0] for t in names}) == 1, f"number {number} split"
    numbers = [len({p for _, p in pairs}) for pairs in result.values()]
    assert max(numbers) - min(numbers) <= 1, "the numbers are shared out evenly"


def test_topics_of_unequal_counts_all_go_to_one_member(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="defense_messaging.assignment"):
        result = _assign({"a": 3, "b": 4}, {"m1": ["a", "b"], "m2": ["a", "b"]})
    assert result["m1"] == {("a", p) for p in range(3)} | {("b", p) for p in range(4)}
    assert result["m2"] == set()
    assert "unequal partition counts (a 3, b 4)" in caplog.text


def test_members_reading_different_topics_still_read_each_partition_once() -> None:
    result = _assign({"a": 4, "b": 4}, {"m1": ["a", "b"], "m2": ["a"]})
    assert result["m1"] == {("a", 0), ("a", 1), ("b", 0), ("b", 1), ("b", 2), ("b", 3)}
    assert result["m2"] == {("a", 2), ("a", 3)}


# --- the service's consumer on the broker -----------------------------------------------


def _member(infra: Endpoints, group: str, topics: list[str]) -> EventConsumer:
    """A member as a service runs it; no event reaches it, so it needs no database."""
    unused = cast(Any, None)
    return EventConsumer(
        group_id=group,
        topics=topics,
        connection=KafkaConnection(infra.kafka_bootstrap),
        sessions=unused,
        tables=unused,
        outbox=unused,
        handlers=PerEventHandlers({}),
        client_timeout=20,
    )


def _assignment(member: EventConsumer) -> set[TopicPartition]:
    client = member._consumer
    return set(client.assignment()) if client is not None else set()


async def test_two_members_of_a_group_each_read_both_topics_of_their_partition_numbers(
    infra: Endpoints,
) -> None:
    # Three partitions each: round-robin over the six gives a0 a2 b1 to one member and a1 b0 b2
    # to the other, splitting every number.
    base = session_name("copartitioned")
    procuratorate, aid_center = f"{base}.procuratorate.events", f"{base}.aid-center.events"
    first, second = await _two_members(infra, {procuratorate: 3, aid_center: 3})
    for assigned in (first, second):
        numbers = {tp.partition for tp in assigned}
        assert assigned == {
            TopicPartition(t, n) for t in (procuratorate, aid_center) for n in numbers
        }


async def test_a_group_over_topics_of_unequal_counts_reads_them_in_one_member(
    infra: Endpoints, caplog: pytest.LogCaptureFixture
) -> None:
    base = session_name("unequal")
    counts = {f"{base}.procuratorate.events": 2, f"{base}.aid-center.events": 3}
    with caplog.at_level(logging.ERROR):
        first, second = await _two_members(infra, counts)
    assert {len(first), len(second)} == {0, 5}, "one member reads all five partitions"
    said = [r.getMessage() for r in caplog.records if r.name == "defense_messaging.consumer"]
    assert any("unequal partition counts" in line for line in said), "said at start"


async def _two_members(
    infra: Endpoints, counts: dict[str, int]
) -> tuple[set[TopicPartition], set[TopicPartition]]:
    """What each of two members of a new group over ``counts`` reads once the second has
    joined the first (the rebalance done: both in its generation, every partition held)."""
    topics = sorted(counts)
    await ensure_topics(KafkaConnection(infra.kafka_bootstrap), counts)
    group = session_name("assignment")
    members = [_member(infra, group, topics) for _ in range(2)]
    tasks = [asyncio.create_task(members[0].run())]
    every = {TopicPartition(t, p) for t, count in counts.items() for p in range(count)}

    async def first_holds_all() -> bool:
        return _assignment(members[0]) == every

    try:
        await eventually(first_holds_all, timeout=60, what="the first member to join")
        generation = members[0]._consumer._coordinator.generation  # type: ignore[union-attr]
        tasks.append(asyncio.create_task(members[1].run()))

        async def rebalanced() -> bool:
            coordinator = members[0]._consumer._coordinator  # type: ignore[union-attr]
            joined = members[1]._consumer is not None and members[1]._consumer._coordinator
            return (
                members[1].started.is_set()
                and coordinator.generation > generation
                and bool(joined)
                and joined.generation == coordinator.generation  # type: ignore[union-attr]
                and _assignment(members[0]) | _assignment(members[1]) == every
            )

        await eventually(rebalanced, timeout=60, what="the second member to join")
        return _assignment(members[0]), _assignment(members[1])
    finally:
        for member in members:
            member.stop()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=60)
