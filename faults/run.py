"""One run of one scenario: a fresh corner of the suite's stack, the load, the fault, the wait
for quiescence, and the oracle's verdict."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.infra import Sandbox, ServiceProcess
from bench.observer import Observer
from bench.platform import SERVICES, BenchPlatform, start_platform
from bench.workload import build_roster, run_workers
from faults.load import Load
from faults.oracle import Verdict, judge
from faults.stack import Stack
from service_runtime.security.principal import Principal, Role
from service_runtime.security.tokens import issue_token

CONCURRENCY = 8  # requests in flight: a steady load that a 2-core machine keeps up with
# Low, so that a stall of half a minute is one past it: the stalled-consumer scenario then
# shows a member thrown out for not polling coming back (the default is 5 minutes).
MAX_POLL_INTERVAL_MS = 20_000
SERVICE_SETTINGS = {"CONSUMER_MAX_POLL_INTERVAL_MS": str(MAX_POLL_INTERVAL_MS)}
# A second process of each service starts while the first three and the broker(s) are busy: on
# a loaded 2-core machine its imports alone took over two minutes.
REPLICA_READY_TIMEOUT = 300.0
OPERATOR = Principal(subject="faults", role=Role.OPERATOR)


@dataclass
class Run:
    """What a scenario's fault gets to act on."""

    stack: Stack
    sandbox: Sandbox
    platform: BenchPlatform
    replicas: dict[str, ServiceProcess]
    say: Callable[[str], None]
    stall_seconds: float
    restart_after: float
    injected: list[tuple[str, int, int]] = field(default_factory=list)  # poison's coordinates
    expected_dead_letters: set[tuple[str, str, int, int]] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)  # what the fault itself saw go wrong

    def process(self, name: str) -> ServiceProcess:
        return self.platform.services[name]

    def operator(self, name: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.process(name).url,
            timeout=30.0,
            headers={"Authorization": f"Bearer {issue_token(OPERATOR)}"},
        )


Fault = Callable[[Run], Awaitable[None]]


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    fault: Fault | None
    replicas: bool = False


async def run_scenario(
    stack: Stack,
    scenario: Scenario,
    *,
    suspects: int,
    label: str,
    say: Callable[[str], None],
    stall_seconds: float,
    restart_after: float,
    quiesce_timeout: float,
) -> Verdict:
    prefix = f"f{uuid.uuid4().hex[:8]}"
    sandbox = Sandbox(
        stack.endpoints,
        run_dir=stack.folder / label,
        prefix=prefix,
        replication_factor=stack.replication_factor,
    )
    sandbox.run_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    settings = {
        **SERVICE_SETTINGS,
        "TOPIC_REPLICATION_FACTOR": str(stack.replication_factor),
    }
    platform = await start_platform(sandbox, None, settings)
    run = Run(
        stack=stack,
        sandbox=sandbox,
        platform=platform,
        replicas={},
        say=say,
        stall_seconds=stall_seconds,
        restart_after=restart_after,
    )
    observer = Observer(sandbox.endpoints.kafka, platform.workflow_topics)
    clients: list[httpx.AsyncClient] = []
    load_task: asyncio.Task[list[Any]] | None = None
    try:
        async with platform.client("aid_center") as aid_center:
            await build_roster(aid_center, suspects, exact=True)
        if scenario.replicas:
            for name in SERVICES:
                primary = platform.services[name]
                replica = ServiceProcess(
                    name=name,
                    env={**primary.env, "DEFENSE_REPLICA_ID": f"{name}-2"},
                    log_path=sandbox.run_dir / f"{name}-2.log",
                )
                replica.start()
                run.replicas[name] = replica
            await asyncio.gather(
                *(r.wait_ready(timeout=REPLICA_READY_TIMEOUT) for r in run.replicas.values())
            )
        await observer.start()
        clients = [platform.client("procuratorate")]
        if "procuratorate" in run.replicas:
            clients.append(_client_for(platform, run.replicas["procuratorate"]))
        load = Load(clients, fault_after=max(1, suspects // 3))
        load_task = asyncio.create_task(run_workers(suspects, CONCURRENCY, load.one))
        fault_at: float | None = None
        if scenario.fault is not None:
            # Mid-load: a third of the suspects are in, and the rest of the workflow is busy.
            await asyncio.wait(
                [asyncio.ensure_future(load.fault_time.wait()), load_task],
                return_when=asyncio.FIRST_COMPLETED,
            )
            say(f"{scenario.name}: fault at {load.submitted}/{suspects} submitted")
            fault_at = time.perf_counter()
            await scenario.fault(run)
        await load_task
        loaded = time.perf_counter()
        say(f"{scenario.name}: load in after {loaded - started:.1f}s ({load.resent} resent)")
        quiet_at, stuck = await _quiesce(run, observer, set(load.suspects), quiesce_timeout)
        recover = (quiet_at - (fault_at or loaded)) if quiet_at else None
        verdict = await judge(run, set(load.suspects), observer)
        verdict.scenario = scenario.name
        verdict.suspects_in = suspects
        verdict.recover_s = round(recover, 1) if recover is not None else None
        verdict.seconds = round(time.perf_counter() - started, 1)
        verdict.resent_requests = load.resent
        verdict.problems = run.problems + stuck + verdict.problems
        return verdict
    finally:
        if load_task is not None and not load_task.done():
            load_task.cancel()
            with contextlib.suppress(BaseException):
                await load_task
        for client in clients:
            await client.aclose()
        with contextlib.suppress(Exception):
            await observer.stop()
        for replica in run.replicas.values():
            _resume(replica)
            await replica.stop()
        for process in platform.services.values():
            _resume(process)
        await platform.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(sandbox.cleanup(), timeout=60)


def _client_for(platform: BenchPlatform, process: ServiceProcess) -> httpx.AsyncClient:
    client = platform.client("procuratorate")
    client.base_url = httpx.URL(process.url)
    return client


def _resume(process: ServiceProcess) -> None:
    """A stopped (SIGSTOP) process cannot act on the signal that ends it."""
    if process.process is not None and process.process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.process.send_signal(signal.SIGCONT)


async def _quiesce(
    run: Run, observer: Observer, suspects: set[str], timeout: float
) -> tuple[float | None, list[str]]:
    """Until every suspect's workflow is visible on the topics, every consumer group has
    committed everything, and every outbox is empty; returns when, or None and why not."""
    deadline = time.monotonic() + timeout
    next_word = time.monotonic() + 30
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        complete = sum(observer.milestones(s).complete for s in suspects)
        last = {"complete": complete, **await _backlog(run)}
        if complete == len(suspects) and not any(v for k, v in last.items() if k != "complete"):
            return time.perf_counter(), []
        if time.monotonic() > next_word:
            run.say(f"waiting for quiet: {last} {observer.progress()}")
            next_word += 30
        await asyncio.sleep(0.5)
    return None, [f"not quiet after {timeout:.0f}s: {last} {observer.progress()}"]


async def _backlog(run: Run) -> dict[str, int]:
    """Lag and unpublished outbox rows per service, from its /ops/lag and /metrics."""
    backlog: dict[str, int] = {}
    for name in SERVICES:
        try:
            async with run.operator(name) as client:
                lags = (await client.get("/ops/lag")).raise_for_status().json()["items"]
                metrics = (await client.get("/metrics")).raise_for_status().text
        except (httpx.HTTPError, ValueError):
            backlog[f"{name}_unreachable"] = 1
            continue
        backlog[f"{name}_lag"] = sum(int(row["lag"]) for row in lags)
        backlog[f"{name}_outbox"] = sum(
            int(float(line.split()[-1]))
            for line in metrics.splitlines()
            if line.startswith("defense_outbox_pending_rows")
        )
    return backlog
