"""Projection rebuild: the notifier's database dropped and rebuilt by replaying its topics.

The notifier is the service whose whole state is a projection of the other two services'
events (the procuratorate's and the aid center's also hold what their users typed, which no
topic carries). A second notifier process gets a fresh database and a new consumer group on the
same topics; its own output goes to a topic of its own, so the replay does not feed the
platform. Measured from its /ready to its committed offsets reaching the end offsets taken
before it started.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from bench.infra import end_offsets
from bench.platform import BenchPlatform, service


async def rebuild_notifier(platform: BenchPlatform, profile_dir: Path | None) -> dict[str, object]:
    sandbox = platform.sandbox
    consumed = [platform.topics["topic_procuratorate"], platform.topics["topic_aid_center"]]
    ends = await end_offsets(sandbox.endpoints.kafka, consumed)
    events = sum(ends.values())
    topics = {**platform.topics, "topic_notifier": sandbox.topic("rebuild.notifier.events")}
    await sandbox.create_topics([topics["topic_notifier"], f"{topics['topic_notifier']}.dlq"])
    process = await service(
        sandbox,
        "notifier",
        topics,
        label="notifier_rebuild",
        profile_dir=profile_dir,
        extra_env={"NOTIFIER_SMS_FILE_PATH": str(sandbox.run_dir / "sms" / "rebuild-sms.jsonl")},
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
            if time.perf_counter() - ready > 300:
                raise TimeoutError("rebuild not finished after 300 s")
            await asyncio.sleep(0.05)
        done = time.perf_counter()
    finally:
        await admin.close()
        await process.stop()
    elapsed = done - ready
    return {
        "service": "notifier",
        "events": events,
        "seconds": round(elapsed, 3),
        "seconds_from_launch": round(done - process.started_at, 3),
        "events_per_s": round(events / elapsed, 1),
    }
