"""The whole workflow, measured: sustained suspects/s, and notice-to-assignment latency."""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter

import httpx
from aiokafka.admin import AIOKafkaAdminClient

from bench.cpu import CpuMeter
from bench.infra import end_offsets
from bench.observer import Observer
from bench.platform import BenchPlatform
from bench.stats import percentiles
from bench.workload import decide_without_counsel, receive_and_notify, run_workers, whole_workflow

CONCURRENCY = 16  # requests in flight: enough to keep the procuratorate's API busy


async def full_speed(
    platform: BenchPlatform, observer: Observer, suspects: int
) -> dict[str, object]:
    """N suspects from case received to the lawyer told, as fast as the platform goes."""
    records_before = sum(observer.records.values())
    complete_before = observer.complete
    started = time.perf_counter()
    async with platform.client("procuratorate") as procuratorate:
        ids = await run_workers(suspects, CONCURRENCY, lambda: whole_workflow(procuratorate))
    submitted = time.perf_counter()
    finished = await observer.wait_complete(set(ids), timeout=600)
    await asyncio.sleep(0)  # let the last events of the batch land in the counters
    elapsed = finished - started
    events = sum(observer.records.values()) - records_before
    assert observer.complete - complete_before >= suspects
    return {
        "suspects": suspects,
        "seconds": round(elapsed, 3),
        "submit_seconds": round(submitted - started, 3),
        "suspects_per_s": round(suspects / elapsed, 2),
        "events": events,
        "events_per_suspect": round(events / suspects, 1),
        "events_per_s": round(events / elapsed, 1),
        "http_requests_per_s": round(3 * suspects / (submitted - started), 1),
    }


async def wait_quiet(platform: BenchPlatform, timeout: float = 300) -> None:
    """Until every service's consumer has caught up with everything published so far."""
    admin = AIOKafkaAdminClient(bootstrap_servers=platform.sandbox.endpoints.kafka)
    await admin.start()
    try:
        deadline = time.monotonic() + timeout
        while True:
            ends = await end_offsets(platform.sandbox.endpoints.kafka, platform.workflow_topics)
            behind = 0
            for name in platform.services:
                group = platform.sandbox.group(name)
                committed = await admin.list_consumer_group_offsets(group)
                for tp, meta in committed.items():
                    behind += max(ends.get(tp, 0) - meta.offset, 0)
            if behind == 0:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"consumers still {behind} behind")
            await asyncio.sleep(0.5)
    finally:
        await admin.close()


async def fixed_rate(
    platform: BenchPlatform,
    observer: Observer,
    *,
    rate: float,
    seconds: float,
    cpu: CpuMeter | None = None,
) -> dict[str, object]:
    """Notices offered open-loop at ``rate``/s; latency from DefenseNoticeSent (its occurred_at,
    stamped in the procuratorate's transaction) to LawyerAssigned readable on the broker.

    The suspects are staged first (case received, rights notified) so the offered load is the
    notice step itself; open loop, so a slow platform shows as latency, not as a lower rate.
    """
    count = int(rate * seconds)
    async with platform.client("procuratorate") as procuratorate:
        print(f"bench: staging {count} suspects for the fixed-rate run", file=sys.stderr)
        staged = await run_workers(count, CONCURRENCY, lambda: receive_and_notify(procuratorate))
        await wait_quiet(platform)
        print(f"bench: offering {rate:g} notices/s for {seconds:g} s", file=sys.stderr)
        late = 0
        # A request the platform fails (a dropped connection, a 5xx) is a result of the offered
        # rate, not the end of the run: it is counted, its suspect left out of the latencies.
        failed: dict[str, str] = {}
        if cpu:
            cpu.start()
        start = time.perf_counter()

        async def offer(index: int, case_id: str, suspect_id: str) -> None:
            nonlocal late
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.05:
                late += 1
            try:
                await decide_without_counsel(procuratorate, case_id, suspect_id)
            except (httpx.HTTPError, RuntimeError) as error:
                failed[suspect_id] = type(error).__name__

        await asyncio.gather(
            *(offer(i, case_id, suspect_id) for i, (case_id, suspect_id) in enumerate(staged))
        )
        offered_for = time.perf_counter() - start
    ids = {suspect_id for _, suspect_id in staged} - failed.keys()
    await observer.wait_complete(ids, timeout=600)
    # From the first offer until the last assignment is seen and the platform quiet again: the
    # CPU the offered notices cost every process.
    await wait_quiet(platform)
    spent = cpu.stop(per=count, unit="notice") if cpu else None
    latencies, publishing, assigning = [], [], []
    for suspect_id in ids:
        m = observer.milestones(suspect_id)
        assert None not in (m.notice_sent_at, m.notice_seen, m.assigned_seen)
        latencies.append(m.assigned_seen - m.notice_sent_at)  # type: ignore[operator]
        publishing.append(m.notice_seen - m.notice_sent_at)  # type: ignore[operator]
        assigning.append(m.assigned_seen - m.notice_seen)  # type: ignore[operator]
    # Where the time goes: the procuratorate's commit and relay (letter stamped → on the
    # broker), then the aid center (letter on the broker → assignment on the broker).
    split = {
        f"{part}_{key}": value
        for part, values in (("notice_published", publishing), ("assignment", assigning))
        for key, value in percentiles(values).items()
        if key in ("p50_ms", "p99_ms")
    }
    return {
        "suspects": count,
        "offered_per_s": rate,
        "achieved_offer_per_s": round(count / offered_for, 1),
        "requests_started_late": late,
        "requests_failed": len(failed),
        "failures": dict(Counter(failed.values())),
        **percentiles(latencies),
        **split,
        **({"cpu": spent} if spent else {}),
    }
