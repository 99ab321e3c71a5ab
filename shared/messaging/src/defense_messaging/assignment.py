"""Which member of a consumer group reads which partitions: a case's partitions together.

Every platform event is keyed by its case id (``Envelope.key``) and placed by the producer's
default partitioner (murmur2 of the key modulo the partition count), so in topics of equal
partition count a case's events sit in the same partition *number* of each. A service that
consumes two topics (the notifier reads ``procuratorate.events`` and ``aid-center.events``)
must apply one case's events from both in one member, one transaction after another: two
members applying them at once read each other's half-written state (a ``NoticeAccepted``
applied beside the letter's transaction opens an assignment clock that nothing closes).

aiokafka's default, round-robin over all topic-partitions, gives partition 3 of one topic and
partition 3 of the other to different members as soon as the count per topic is odd or the
group has more than two members. :class:`CoPartitionedAssignor` gives every member a range of
partition *numbers* and all the topics' partitions of those numbers. When the topics' counts
differ a case's partition numbers differ too, and no split keeps its events together: then one
member gets everything (correct, without the parallelism) and the assignment says so at ERROR
until an administrator provisions the topics alike (``python -m defense_messaging.topics
provision``).

The group's members agree on an assignor by name when they join: a member with another one
(an older release's round-robin) cannot join a group of this one, so a change of assignor
replaces the group's members together rather than one by one.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Iterable, Mapping

from aiokafka.cluster import ClusterMetadata
from aiokafka.coordinator.assignors.abstract import AbstractPartitionAssignor
from aiokafka.coordinator.protocol import (
    ConsumerProtocolMemberAssignment,
    ConsumerProtocolMemberMetadata,
)

log = logging.getLogger(__name__)


def partition_counts(cluster: ClusterMetadata, topics: Iterable[str]) -> dict[str, int]:
    """Each topic's partition count as the metadata has it (topics it does not know left out)."""
    counts = {}
    for topic in topics:
        partitions = cluster.partitions_for_topic(topic)
        if partitions:
            counts[topic] = len(partitions)
    return counts


def unequal_counts(counts: Mapping[str, int]) -> str | None:
    """Why ``counts`` cannot be split by partition number, or None when they can."""
    if len(set(counts.values())) <= 1:
        return None
    said = ", ".join(f"{topic} {count}" for topic, count in sorted(counts.items()))
    return (
        f"the consumed topics have unequal partition counts ({said}): a case's events are not "
        "in the same partition number of each, so one member of the group applies them all; "
        "provision the topics with equal counts (python -m defense_messaging.topics provision)"
    )


def number_ranges(members: list[str], partitions: int) -> dict[str, range]:
    """Partition numbers ``0..partitions-1`` cut into one contiguous range per member (sorted
    ids, the first ones one longer when it does not divide), as Kafka's range assignor does."""
    each, extra = divmod(partitions, len(members))
    ranges, start = {}, 0
    for index, member in enumerate(sorted(members)):
        length = each + (1 if index < extra else 0)
        ranges[member] = range(start, start + length)
        start += length
    return ranges


class CoPartitionedAssignor(AbstractPartitionAssignor):
    """Equal partition numbers of every subscribed topic go to one member."""

    name = "copartitioned"
    version = 0

    @classmethod
    def assign(
        cls,
        cluster: ClusterMetadata,
        members: Mapping[str, ConsumerProtocolMemberMetadata],
    ) -> dict[str, ConsumerProtocolMemberAssignment]:
        subscribers: dict[str, list[str]] = collections.defaultdict(list)
        for member, metadata in members.items():
            for topic in metadata.subscription:
                subscribers[topic].append(member)
        counts = partition_counts(cluster, subscribers)
        assignment: dict[str, dict[str, list[int]]] = collections.defaultdict(dict)
        reason = unequal_counts(counts)
        if reason is not None:
            log.error("%s", reason)
        for topic, readers in subscribers.items():
            if topic not in counts:
                continue  # no metadata yet: the next rebalance, once it has, assigns it
            if reason is not None:
                # Nothing keeps a case's partitions together but one member reading them all.
                assignment[min(readers)][topic] = list(range(counts[topic]))
                continue
            # The same members and the same count for every topic give every topic the same
            # cut; a group mixing subscriptions (a release adding a topic, rolled out member
            # by member) still reads each partition once.
            for member, numbers in number_ranges(readers, counts[topic]).items():
                if numbers:
                    assignment[member][topic] = list(numbers)
        return {
            member: ConsumerProtocolMemberAssignment(
                cls.version, sorted(assignment[member].items()), b""
            )
            for member in members
        }

    @classmethod
    def metadata(cls, topics: Iterable[str]) -> ConsumerProtocolMemberMetadata:
        return ConsumerProtocolMemberMetadata(cls.version, list(topics), b"")

    @classmethod
    def on_assignment(cls, assignment: ConsumerProtocolMemberAssignment) -> None:
        pass
