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
import os
import re
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench.infra import ROOT, ServiceProcess, end_offsets, service_env
from bench.memory import reading
from bench.platform import BenchPlatform, service

_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


async def rebuild_notifier(
    platform: BenchPlatform, profile_dir: Path | None, *, events: int, processes: int = 1
) -> dict[str, object]:
    """``processes``: that many notifiers replay in one consumer group on the one database
    (a case's partitions of both topics go to one of them: defense_messaging.assignment); the
    time runs from the first one's ``/ready``, the others' start and the group's rebalances
    included."""
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
    # Started once the first has migrated the database (they would wait on its lock).
    others = [
        ServiceProcess(
            name="notifier",
            env={**process.env, "DEFENSE_REPLICA_ID": f"notifier-rebuild-{n}"},
            log_path=process.log_path.with_name(f"notifier_rebuild-{n}.log"),
            profile_path=(
                process.profile_path.with_name(f"notifier_rebuild-{n}.txt")
                if process.profile_path
                else None
            ),
        )
        for n in range(2, processes + 1)
    ]
    try:
        process.start()
        await process.wait_ready()
        ready = time.perf_counter()
        for other in others:
            other.start()
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
        for stopping in (*others, process):
            await stopping.stop()
    elapsed = done - ready
    return {
        "service": "notifier",
        "processes": processes,
        "events": replayed,
        "history_copies": copies,
        "seconds": round(elapsed, 3),
        "seconds_from_launch": round(done - process.started_at, 3),
        "events_per_s": round(replayed / elapsed, 1),
        "rss_mib": memory,
    }


STAFF_TABLES = (
    "law_firms",
    "lawyers",
    "lawyer_leaves",
    "previous_stage_lawyers",
    "work_stations",
    "duty_shifts",
    "subsidy_standards",
    "termination_reports",
)
"""What the aid center's staff typed: restored from a backup before its rebuild (the aid
center's README, "Rebuilding the projection")."""

_ROSTER_IDS = (
    "SELECT lawyer_id FROM lawyers UNION SELECT firm_id FROM law_firms "
    "UNION SELECT station_id FROM work_stations UNION SELECT shift_id FROM duty_shifts"
)


async def rebuild_aid_center(
    platform: BenchPlatform, profile_dir: Path | None, *, events: int
) -> dict[str, object]:
    """The aid center's projection rebuilt on a fresh database (``python -m aid_center.replay``):
    the staff's tables copied from the bench's aid center as a backup would restore them, then
    the procuratorate's topic and the center's own replayed, deciding and publishing nothing.

    The history is made longer as for the notifier, but the roster's ids (lawyers, firms,
    stations, shifts) stay as they are in every copy: the copies' appointments name the
    restored roster. Measured inside the replay process (its own clock, from its first record to
    its last commit), with the process's CPU time and peak RSS."""
    sandbox = platform.sandbox
    original = platform.services["aid_center"].env["AID_CENTER_DATABASE_URL"]
    source = await asyncpg.connect(_libpq(original))
    try:
        roster = {str(row[0]).encode() for row in await source.fetch(_ROSTER_IDS)}
    finally:
        await source.close()
    sources = [platform.topics["topic_procuratorate"], platform.topics["topic_aid_center"]]
    replay = {
        "topic_procuratorate": sandbox.topic("aid-rebuild.procuratorate.events"),
        "topic_aid_center": sandbox.topic("aid-rebuild.aid-center.events"),
    }
    await sandbox.create_topics(sorted(replay.values()))
    copies = await _amplify(
        sandbox.endpoints.kafka, sources, list(replay.values()), events, keep=frozenset(roster)
    )
    ends = await end_offsets(sandbox.endpoints.kafka, list(replay.values()))
    env = {
        "DEFENSE_ENV": "development",
        **os.environ,
        **service_env(
            "aid_center",
            database_url=await sandbox.database("aid_center_rebuild"),
            topics={**platform.topics, **replay},
            group=sandbox.group("aid_center_rebuild"),
            kafka=sandbox.endpoints.kafka,
        ),
        "AID_CENTER_REPLAY_UNTIL": json.dumps(replay_until(ends)),
    }
    log_path = sandbox.run_dir / "aid_center_rebuild.log"
    await _run([sys.executable, "-m", "aid_center", "migrate"], env, log_path)
    await _copy_tables(original, env["AID_CENTER_DATABASE_URL"], STAFF_TABLES)
    command = [sys.executable, "-m", "aid_center.replay"]
    if profile_dir is not None:
        py_spy = Path(sys.executable).with_name("py-spy")
        output = profile_dir / "aid_center_rebuild.txt"
        command = [str(py_spy), "record", "--rate", "200", "--format", "raw", "--output",
                   str(output), "--", *command]  # fmt: skip
    started = time.perf_counter()
    out = await _run(command, env, log_path)
    launched = time.perf_counter() - started
    # Its report is its last JSON line (py-spy, under --profile, writes lines of its own).
    report = json.loads(next(line for line in reversed(out.splitlines()) if line.startswith("{")))
    replayed = sum(ends.values())
    return {
        "service": "aid_center",
        "events": replayed,
        "applied": report["applied"],
        "skipped": report["skipped"],
        "history_copies": copies,
        "seconds": report["seconds"],
        "seconds_from_launch": round(launched, 3),
        "events_per_s": round(replayed / report["seconds"], 1),
        "cpu_seconds": report["cpu_seconds"],
        "cpu_us_per_event": round(report["cpu_seconds"] / replayed * 1e6, 1),
        "rss_mib": {"peak_mib": report["peak_rss_mib"]},
    }


async def _run(command: list[str], env: dict[str, str], log_path: Path) -> str:
    """Run to its end; its stdout, its stderr appended to the log. Fails with the log's tail."""
    process = await asyncio.create_subprocess_exec(
        *command,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        log.write(err)
    if process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command[-3:])} failed:\n{err.decode(errors='replace')[-3000:]}"
        )
    return out.decode()


async def _copy_tables(source_url: str, target_url: str, tables: tuple[str, ...]) -> None:
    source = await asyncpg.connect(_libpq(source_url))
    target = await asyncpg.connect(_libpq(target_url))
    try:
        for table in tables:
            rows = await source.fetch(f"SELECT * FROM {table}")
            if rows:
                await target.copy_records_to_table(
                    table, records=[tuple(row) for row in rows], columns=list(rows[0].keys())
                )
    finally:
        await source.close()
        await target.close()


def _libpq(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def replay_until(ends: dict[TopicPartition, int]) -> dict[str, list[int]]:
    """End offsets as ``NOTIFIER_REPLAY_UNTIL`` takes them: topic → one per partition."""
    topics: dict[str, dict[int, int]] = {}
    for tp, end in ends.items():
        topics.setdefault(tp.topic, {})[tp.partition] = end
    return {
        topic: [by_partition.get(p, 0) for p in range(max(by_partition) + 1)]
        for topic, by_partition in topics.items()
    }


async def _amplify(
    kafka: str,
    sources: list[str],
    targets: list[str],
    events: int,
    *,
    keep: frozenset[bytes] = frozenset(),
) -> int:
    """Copy ``sources`` into ``targets`` until they hold at least ``events`` records; the UUIDs
    in ``keep`` stay the same in every copy."""
    history = {source: await _read_all(kafka, source) for source in sources}
    total = sum(len(records) for records in history.values())
    copies = max(1, math.ceil(events / max(total, 1)))
    producer = AIOKafkaProducer(bootstrap_servers=kafka, enable_idempotence=True, linger_ms=20)
    await producer.start()
    try:
        for copy in range(copies):
            remap = _remapper(copy, keep)
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


def _remapper(
    copy: int, keep: frozenset[bytes] = frozenset()
) -> Callable[[re.Match[bytes]], bytes]:
    """The same UUID always maps to the same new one within a copy: references hold."""
    namespace = uuid.uuid5(uuid.NAMESPACE_OID, f"bench-rebuild-copy-{copy}")

    @functools.cache
    def mapped(original: bytes) -> bytes:
        if original in keep:
            return original
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
