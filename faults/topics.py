"""The topics read the way an auditor would: every record from the first offset to the end."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.infra import committed_offsets, end_offsets


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    value: bytes
    headers: dict[str, str]

    def envelope(self) -> dict[str, Any] | None:
        try:
            parsed = json.loads(self.value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) and "event_type" in parsed else None


async def read_all(kafka: str, topics: list[str]) -> list[Record]:
    ends = {tp: end for tp, end in (await end_offsets(kafka, topics)).items() if end > 0}
    if not ends:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    records: list[Record] = []
    try:
        consumer.assign(list(ends))
        await consumer.seek_to_beginning(*ends)
        remaining = dict(ends)
        deadline = time.monotonic() + 120
        while remaining:
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read to the end of {sorted(remaining)}")
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for tp, batch in batches.items():
                for r in batch:
                    headers = {k: v.decode(errors="replace") for k, v in r.headers or ()}
                    records.append(Record(r.topic, r.partition, r.offset, r.value, headers))
                if await consumer.position(tp) >= ends[tp]:
                    remaining.pop(tp, None)
    finally:
        await consumer.stop()
    return records


async def lag(kafka: str, groups: dict[str, list[str]]) -> dict[str, int]:
    """Per consumer group, how many records of its topics it has not committed yet (a partition
    it never committed counts from 0)."""
    result = {}
    for group, topics in groups.items():
        ends = await end_offsets(kafka, topics)
        committed = await committed_offsets(kafka, group)
        result[group] = sum(max(end - committed.get(tp, 0), 0) for tp, end in ends.items())
    return result


def by_partition(records: list[Record]) -> dict[TopicPartition, list[Record]]:
    out: dict[TopicPartition, list[Record]] = {}
    for r in records:
        out.setdefault(TopicPartition(r.topic, r.partition), []).append(r)
    return out
