"""``python -m bench.procuratorate_cpu``: the procuratorate's CPU per pipeline request, alone.

One procuratorate on the bench's own database and topics (no aid center, no notifier: nothing
but its own relay and idle consumer runs beside its API) takes N suspects through the three
requests of the pipeline: ``POST /cases``, the rights notification and the decision that sends
the letter, 16 in flight. Its CPU is read from ``/proc/<pid>/stat`` (utime + stime, every
thread) before and after each phase, once its relay has put everything on the broker, and
printed as CPU ms per request, with the load average: on a shared machine wall-clock figures
swing, CPU time per request much less. Then ``/ready`` is probed one call at a time (its CPU
per probe: an orchestrator and a load balancer each probe every few seconds). ``--profile FILE``
attaches py-spy to the service for the measured phases and prints where the time went.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bench.infra import ROOT, Endpoints, Sandbox, end_offsets
from bench.memory import service_pid
from bench.platform import BenchPlatform, service, topic_names
from bench.profiles import summarise
from bench.workload import case_body, decide_without_counsel, post_once, run_workers

CONCURRENCY = 16
PIPELINE_STEPS = ("post_cases", "rights_notification", "decision_sending_letter")
_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of every thread of ``pid`` (fields 14 and 15 of /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


async def _relayed(platform: BenchPlatform, at_least: int, timeout: float = 120) -> None:
    """Until the procuratorate's topic holds ``at_least`` records: the relay's work is done."""
    topic = platform.topics["topic_procuratorate"]
    deadline = time.monotonic() + timeout
    while True:
        ends = await end_offsets(platform.sandbox.endpoints.kafka, [topic])
        if sum(ends.values()) >= at_least:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{sum(ends.values())} of {at_least} events relayed")
        await asyncio.sleep(0.2)


async def _topic_records(platform: BenchPlatform) -> int:
    topic = platform.topics["topic_procuratorate"]
    return sum((await end_offsets(platform.sandbox.endpoints.kafka, [topic])).values())


async def _sessions_opened(platform: BenchPlatform) -> int:
    """Connections ever opened to the procuratorate's database (PostgreSQL 14+ counts them)."""
    url = platform.services["procuratorate"].env["PROCURATORATE_DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(platform.sandbox.endpoints.pg_admin_url)
    try:
        value = await admin.fetchval(
            "SELECT sessions FROM pg_stat_database WHERE datname = $1", name
        )
        return int(value or 0)
    finally:
        await admin.close()


async def measure(
    suspects: int, profile: Path | None, warmup: int, ready_probes: int
) -> dict[str, Any]:
    sandbox = Sandbox(Endpoints.from_env(), run_dir=Path())
    sandbox.run_dir = ROOT / ".local" / "bench" / sandbox.prefix
    sandbox.run_dir.mkdir(parents=True, exist_ok=True)
    print(f"bench: run {sandbox.prefix}; logs in {sandbox.run_dir}", file=sys.stderr)
    topics = topic_names(sandbox)
    await sandbox.create_topics(sorted(sandbox.topics))
    process = await service(
        sandbox, "procuratorate", topics, label="procuratorate", profile_dir=None
    )
    platform = BenchPlatform(sandbox=sandbox, topics=topics, services={"procuratorate": process})
    spy: subprocess.Popen[bytes] | None = None
    results: dict[str, Any] = {}
    try:
        process.start()
        await process.wait_ready()
        pid = service_pid(process)
        assert pid is not None
        async with platform.client("procuratorate") as client:
            staged: list[tuple[str, str]] = []

            async def receive() -> None:
                suspect_id = uuid.uuid4()
                received = datetime.now(UTC) - timedelta(hours=1)
                answer = await post_once(client, "/cases", case_body(suspect_id, received))
                staged.append((answer.json()["case_id"], str(suspect_id)))

            async def notify(case_id: str, suspect_id: str) -> None:
                await post_once(
                    client,
                    f"/cases/{case_id}/suspects/{suspect_id}/rights-notification",
                    {
                        "informed": [
                            {"role": "suspect", "name": "王小明"},
                            {"role": "guardian", "name": "王大明"},
                        ],
                        "notified_at": (datetime.now(UTC) - timedelta(minutes=30)).isoformat(),
                    },
                )

            async def decide(case_id: str, suspect_id: str) -> None:
                await decide_without_counsel(client, case_id, suspect_id)

            async def phase(name: str, work: Any, items: list[Any] | int) -> None:
                nonlocal staged
                before_records = await _topic_records(platform)
                queue = list(items) if isinstance(items, list) else [None] * items
                count = len(queue)
                sessions_before = await _sessions_opened(platform)
                cpu_before = cpu_seconds(pid)
                started = time.perf_counter()
                pending = iter(queue)

                async def one() -> None:
                    item = next(pending)
                    await (work(*item) if item is not None else work())

                await run_workers(count, CONCURRENCY, one)
                answered = time.perf_counter() - started
                # Each request publishes at least one event: wait for the relay's share too.
                await _relayed(platform, before_records + count)
                await asyncio.sleep(0.5)  # the relay's last pass and its commit
                cpu = cpu_seconds(pid) - cpu_before
                if name:
                    results[name] = {
                        "requests": count,
                        "cpu_ms_per_request": round(1000 * cpu / count, 2),
                        "requests_per_s": round(count / answered, 1),
                        "events": await _topic_records(platform) - before_records,
                        "connections_opened": await _sessions_opened(platform) - sessions_before,
                    }
                    print(f"bench: {name} {json.dumps(results[name])}", file=sys.stderr)

            # Warm up (imports, caches, connection pools) unmeasured.
            await phase("", receive, warmup)
            warm = list(staged)
            await phase("", notify, warm)
            await phase("", decide, warm)
            staged = []
            if profile is not None:
                py_spy = Path(sys.executable).with_name("py-spy")
                spy = subprocess.Popen(  # noqa: ASYNC220 - started once, not awaited
                    [
                        str(py_spy),
                        "record",
                        "--rate",
                        "200",
                        "--format",
                        "raw",
                        "--output",
                        str(profile),
                        "--pid",
                        str(pid),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                await asyncio.sleep(1.0)
            await phase("post_cases", receive, suspects)
            cases = list(staged)
            await phase("rights_notification", notify, cases)
            await phase("decision_sending_letter", decide, cases)

            async def probe() -> None:
                answer = await client.get("/ready")
                if answer.status_code != 200:
                    raise RuntimeError(f"/ready: {answer.status_code} {answer.text}")

            cpu_before = cpu_seconds(pid)
            for _ in range(ready_probes):
                await probe()
            results["ready_probe"] = {
                "requests": ready_probes,
                "cpu_ms_per_request": round(
                    1000 * (cpu_seconds(pid) - cpu_before) / ready_probes, 2
                ),
            }
        pipeline = [results[k] for k in PIPELINE_STEPS]
        total = sum(r["cpu_ms_per_request"] * r["requests"] for r in pipeline)
        requests = sum(r["requests"] for r in pipeline)
        results["all"] = {
            "requests": requests,
            "cpu_ms_per_request": round(total / requests, 2),
        }
    finally:
        if spy is not None:
            spy.send_signal(2)
            spy.wait(timeout=60)
        await process.stop()
        await sandbox.cleanup()
    results["load_avg_1m"] = round(os.getloadavg()[0], 2)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.procuratorate_cpu", description=__doc__)
    parser.add_argument("--suspects", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument(
        "--ready-probes", type=int, default=50, help="then GET /ready this many times, one by one"
    )
    parser.add_argument(
        "--profile", type=Path, help="py-spy raw profile of the measured phases to this file"
    )
    args = parser.parse_args()
    results = asyncio.run(measure(args.suspects, args.profile, args.warmup, args.ready_probes))
    print(json.dumps({"measure": "procuratorate_cpu", **results}, ensure_ascii=False))
    if args.profile and args.profile.exists():
        print(summarise(args.profile, top=40), file=sys.stderr)


if __name__ == "__main__":
    main()
