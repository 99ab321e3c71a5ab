"""Projection rebuild: the notifier's database dropped and rebuilt by replaying its topics.

The notifier is the service whose whole state is a projection of the other two services'
events (the procuratorate's and the aid center's also hold what their users typed, which no
topic carries). A second notifier process gets a fresh database and a new consumer group on
replay topics; its own output goes to a topic of its own, so the replay does not feed the
platform, and it is told the replay's end offsets (``NOTIFIER_REPLAY_UNTIL``), so it records the
messages of the replayed events as skipped and publishes no clock event again. Measured from
its /ready to its committed offsets reaching the end offsets taken before it started.

The pipeline's few thousand events would be over before the consumer has warmed up, so the
history is first made longer: the pipeline's own records, copied ``copies`` times with every
UUID in them (case, suspect, event, clock…) mapped to a new one per copy, so each copy is a
consistent set of other cases: the same event mix, contracts and per-case order, at scale.
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench.infra import end_offsets
from bench.memory import reading
from bench.platform import BenchPlatform, service

_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


async def rebuild_notifier(
    platform: BenchPlatform, profile_dir: Path | None, *, events: int
) -> dict[str, object]:
    sandbox = platform.sandbox
    sources = [platform.topics["topic_procuratorate"], platform.topics["topic_aid_center"]]
    replay = {
        "topic_procuratorate": sandbox.topic("rebuild.procuratorate.events"),
        "topic_aid_center": sandbox.topic("rebuild.aid-center.events"),
    }
    await sandbox.create_topics(sorted(replay.values()))
    copies = await _amplify(sandbox.endpoints.kafka, sources, list(replay.values()), events)
    ends = await end_offsets(sandbox.endpoints.kafka, list(replay.values()))
    replayed = sum(ends.values())
    topics = {
        **platform.topics,
        **replay,
        "topic_notifier": sandbox.topic("rebuild.notifier.events"),
    }
    await sandbox.create_topics([topics["topic_notifier"], f"{topics['topic_notifier']}.dlq"])
    process = await service(
        sandbox,
        "notifier",
        topics,
        label="notifier_rebuild",
        profile_dir=profile_dir,
        extra_env={
            "NOTIFIER_SMS_FILE_PATH": str(sandbox.run_dir / "sms" / "rebuild-sms.jsonl"),
            # A rebuild replays what the original run sent: nothing is sent or published again
            # up to the end offsets taken before it started (notifier.replay).
            "NOTIFIER_REPLAY_UNTIL": json.dumps(replay_until(ends)),
        },
    )
    group = sandbox.group("notifier_rebuild")
    admin = AIOKafkaAdminClient(bootstrap_servers=sandbox.endpoints.kafka)
    await admin.start()
    try:
        process.start()
        await process.wait_ready()
        ready = time.perf_counter()
        while True:
            committed = await admin.list_consumer_group_offsets(group)
            if all(
                tp in committed and committed[tp].offset >= end
                for tp, end in ends.items()
                if end > 0
            ):
                break
            if time.perf_counter() - ready > 600:
                raise TimeoutError("rebuild not finished after 600 s")
            await asyncio.sleep(0.05)
        done = time.perf_counter()
        memory = reading(process)
    finally:
        await admin.close()
        await process.stop()
    elapsed = done - ready
    return {
        "service": "notifier",
        "events": replayed,
        "history_copies": copies,
        "seconds": round(elapsed, 3),
        "seconds_from_launch": round(done - process.started_at, 3),
        "events_per_s": round(replayed / elapsed, 1),
        "rss_mib": memory,
    }


def replay_until(ends: dict[TopicPartition, int]) -> dict[str, list[int]]:
    """End offsets as ``NOTIFIER_REPLAY_UNTIL`` takes them: topic → one per partition."""
    topics: dict[str, dict[int, int]] = {}
    for tp, end in ends.items():
        topics.setdefault(tp.topic, {})[tp.partition] = end
    return {
        topic: [by_partition.get(p, 0) for p in range(max(by_partition) + 1)]
        for topic, by_partition in topics.items()
    }


async def _amplify(kafka: str, sources: list[str], targets: list[str], events: int) -> int:
    """Copy ``sources`` into ``targets`` until they hold at least ``events`` records."""
    history = {source: await _read_all(kafka, source) for source in sources}
    total = sum(len(records) for records in history.values())
    copies = max(1, math.ceil(events / max(total, 1)))
    producer = AIOKafkaProducer(bootstrap_servers=kafka, enable_idempotence=True, linger_ms=20)
    await producer.start()
    try:
        for copy in range(copies):
            remap = _remapper(copy)
            for source, target in zip(sources, targets, strict=True):
                for key, value, headers in history[source]:
                    await producer.send(
                        target,
                        value=_UUID.sub(remap, value),
                        key=_UUID.sub(remap, key) if key else key,
                        headers=headers,
                    )
        await producer.flush()
    finally:
        await producer.stop()
    return copies


def _remapper(copy: int) -> Callable[[re.Match[bytes]], bytes]:
    """The same UUID always maps to the same new one within a copy: references hold."""
    namespace = uuid.uuid5(uuid.NAMESPACE_OID, f"bench-rebuild-copy-{copy}")

    @functools.cache
    def mapped(original: bytes) -> bytes:
        return str(uuid.uuid5(namespace, original.decode())).encode()

    return lambda match: mapped(match.group(0))


async def _read_all(
    kafka: str, topic: str
) -> list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]]:
    """Every record of ``topic`` in offset order per partition, partitions one after another
    (the order of one case's events is what matters, and a case lives on one partition)."""
    ends = await end_offsets(kafka, [topic])
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    records = []
    try:
        for tp, end in sorted(ends.items(), key=lambda item: item[0].partition):
            if end == 0:
                continue
            consumer.assign([TopicPartition(tp.topic, tp.partition)])
            await consumer.seek_to_beginning(tp)
            while (await consumer.position(tp)) < end:
                batch = await consumer.getmany(tp, timeout_ms=1000)
                for record in batch.get(tp, []):
                    if record.offset < end:
                        records.append((record.key, record.value, list(record.headers)))
    finally:
        await consumer.stop()
    return records
