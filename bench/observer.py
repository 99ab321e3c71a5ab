"""Watches the platform's topics the way a downstream system would, and times each suspect.

No consumer group: it takes every partition of the three services' topics from the start and
notes, per suspect, when each milestone of the workflow became visible on the broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition


@dataclass
class Milestones:
    notice_sent_at: float | None = None  # DefenseNoticeSent's occurred_at (epoch seconds)
    notice_seen: float | None = None  # DefenseNoticeSent readable on the procuratorate's topic
    assigned_seen: float | None = None  # LawyerAssigned readable on the aid center's topic
    projected_seen: float | None = None  # the procuratorate's DefenseStatusChanged → appointed
    delivered_seen: float | None = None  # NotificationDelivered to the lawyer

    @property
    def complete(self) -> bool:
        return None not in (
            self.notice_sent_at,
            self.assigned_seen,
            self.projected_seen,
            self.delivered_seen,
        )


@dataclass
class Observer:
    kafka: str
    topics: list[str]
    suspects: dict[str, Milestones] = field(default_factory=dict)
    records: Counter[str] = field(default_factory=Counter)
    bytes_seen: int = 0
    complete: int = 0
    _consumer: AIOKafkaConsumer | None = None
    _task: asyncio.Task[None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.kafka, enable_auto_commit=False, auto_offset_reset="earliest"
        )
        await self._consumer.start()
        partitions = []
        for topic in self.topics:
            await self._consumer._client.force_metadata_update()
            for p in sorted(self._consumer.partitions_for_topic(topic) or ()):
                partitions.append(TopicPartition(topic, p))
        self._consumer.assign(partitions)
        await self._consumer.seek_to_beginning()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()

    def milestones(self, suspect_id: str) -> Milestones:
        return self.suspects.setdefault(suspect_id, Milestones())

    async def _run(self) -> None:
        assert self._consumer is not None
        while True:
            batches = await self._consumer.getmany(timeout_ms=100, max_records=2000)
            now = time.time()
            for records in batches.values():
                for record in records:
                    self._note(record.value, now)
            if batches:
                self._changed.set()

    def _note(self, value: bytes, now: float) -> None:
        self.bytes_seen += len(value)
        try:
            envelope = json.loads(value)
            kind = envelope["event_type"]
            payload = envelope["payload"]
        except (ValueError, TypeError, KeyError):
            self.records["<not an envelope>"] += 1  # the fault suite's poison, say
            return
        self.records[kind] += 1
        suspect_id = payload.get("suspect_id")
        if suspect_id is None:
            return
        before = self.suspects.get(suspect_id)
        was_complete = before is not None and before.complete
        m = self.milestones(suspect_id)
        if kind == "DefenseNoticeSent":
            m.notice_sent_at = datetime.fromisoformat(envelope["occurred_at"]).timestamp()
            m.notice_seen = m.notice_seen or now
        elif kind == "LawyerAssigned":
            m.assigned_seen = m.assigned_seen or now
        elif kind == "DefenseStatusChanged" and payload.get("status") == "appointed_on_notice":
            m.projected_seen = m.projected_seen or now
        elif (
            kind == "NotificationDelivered"
            and payload.get("about_event_type") == "LawyerAssigned"
            and payload.get("recipient_role") == "lawyer"
        ):
            m.delivered_seen = m.delivered_seen or now
        if m.complete and not was_complete:
            self.complete += 1

    async def wait_complete(self, suspect_ids: set[str] | int, timeout: float) -> float:
        """Until every suspect (or ``suspect_ids`` many) completed; returns when (perf time)."""
        deadline = time.monotonic() + timeout
        while True:
            if isinstance(suspect_ids, int):
                done = self.complete >= suspect_ids
            else:
                done = all(self.milestones(s).complete for s in suspect_ids)
            if done:
                return time.perf_counter()
            if time.monotonic() > deadline:
                raise TimeoutError(f"workflow incomplete after {timeout}s: {self.progress()}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=1.0)

    def progress(self) -> dict[str, int]:
        return {
            "suspects": len(self.suspects),
            "notice_sent": sum(m.notice_sent_at is not None for m in self.suspects.values()),
            "assigned": sum(m.assigned_seen is not None for m in self.suspects.values()),
            "projected": sum(m.projected_seen is not None for m in self.suspects.values()),
            "delivered": sum(m.delivered_seen is not None for m in self.suspects.values()),
            "complete": self.complete,
        }
