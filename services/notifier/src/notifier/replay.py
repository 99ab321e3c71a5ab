"""Replaying history: what a rebuilt projection must not do again.

A rebuild applies the topics from their beginning to a fresh database. The original run already
sent the messages and published the clock events of everything up to the moment the rebuild
started, so up to there the rebuild only records: delivery jobs are stored ``skipped`` (not
sent) and the clock events are not queued in the outbox. From the recorded end on it is the
live service again.

Where "there" is: ``NOTIFIER_REPLAY_UNTIL``, the end offsets of the consumed topics taken when
the rebuild starts (``python -m notifier.replay_until`` prints them), e.g.
``{"procuratorate.events": [120, 98, 143, 101, 77, 130], "aid-center.events": [...]}`` — one
end offset per partition, in partition order. An event is replayed when its record lies before
its partition's end. Offsets, not a time: they say exactly which records the original run had
in front of it, whatever the clocks of the three services said.

Everything the projection creates has an id derived from the event that caused it
(``notifier.domain.ids``), so the rebuilt rows carry the ids the original run published: the
procuratorate's clock board and the rebuilt notifier agree on which clock is which, and an event
published again by accident has the id its consumers' inboxes already hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from service_runtime.app import Runtime

REPLAYED_REASON = "replayed: the original run delivered the messages of this event"


@dataclass(frozen=True)
class ReplayBoundary:
    """The end offsets a rebuild replays up to: topic → end offset of each partition."""

    ends: Mapping[str, Sequence[int]]

    def replayed(self, topic: str, partition: int, offset: int) -> bool:
        ends = self.ends.get(topic)
        return ends is not None and 0 <= partition < len(ends) and offset < ends[partition]

    def reached(self, applied_up_to: Mapping[tuple[str, int], int]) -> bool:
        """Whether every partition's last record before its end is applied (``applied_up_to``:
        the highest offset applied per (topic, partition))."""
        return all(
            applied_up_to.get((topic, partition), -1) >= end - 1
            for topic, ends in self.ends.items()
            for partition, end in enumerate(ends)
            if end > 0
        )


async def replayed_events(
    session: AsyncSession,
    inbox: sa.Table,
    consumer: str,
    boundary: ReplayBoundary,
    event_ids: Iterable[UUID],
) -> set[UUID]:
    """Which of the transaction's events lie before the boundary. Their positions are those the
    consumer recorded in the inbox, in this same transaction."""
    ids = list(event_ids)
    if not ids:
        return set()
    rows = await session.execute(
        sa.select(inbox.c.event_id, inbox.c.topic, inbox.c.partition, inbox.c.offset).where(
            inbox.c.consumer == consumer, inbox.c.event_id.in_(ids)
        )
    )
    return {
        event_id
        for event_id, topic, partition, offset in rows
        if boundary.replayed(topic, partition, offset)
    }


async def replay_reached(
    session: AsyncSession, inbox: sa.Table, consumer: str, boundary: ReplayBoundary
) -> bool:
    """Whether the consumer has applied every record before the boundary."""
    rows: Any = await session.execute(
        sa.select(inbox.c.topic, inbox.c.partition, sa.func.max(inbox.c.offset))
        .where(inbox.c.consumer == consumer, inbox.c.topic.in_(list(boundary.ends)))
        .group_by(inbox.c.topic, inbox.c.partition)
    )
    return boundary.reached({(topic, partition): top for topic, partition, top in rows})


async def replay_over(runtime: Runtime) -> bool:
    """Whether this instance is past its rebuild's replay (or is no rebuild). The workers that
    act on their own time (the deadline scanner, the calendar recount) publish nothing before:
    the original run sent those alerts and recounts already, and until then the rebuilt board
    is not the cases' current state (a clock looks open whose stop is still to be replayed)."""
    settings: Any = runtime.settings
    boundary: ReplayBoundary | None = settings.replay_boundary()
    if boundary is None:
        return True
    async with runtime.sessions() as session:
        return await replay_reached(
            session,
            runtime.definition.tables.messaging.inbox,
            settings.consumer_group or runtime.definition.name,
            boundary,
        )
