"""Liveness and readiness: /health says the process is alive and its loops go round (an
orchestrator restarts it otherwise), /ready that it can do its work now."""

from __future__ import annotations

import asyncio
import time

import sqlalchemy as sa
from aiokafka.client import AIOKafkaClient
from aiokafka.cluster import ClusterMetadata
from aiokafka.errors import KafkaConnectionError
from aiokafka.protocol.metadata import MetadataRequest
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from service_runtime.deps import RuntimeDep
from service_runtime.shutdown import ShutdownState

router = APIRouter(tags=["health"])


class ProbeReport(BaseModel):
    """A probe's answer: its verdict and each check's state."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "unavailable", "checks": {"database": "ok", "kafka": "timeout"}}
            ]
        }
    )

    status: str
    checks: dict[str, str]


CHECK_TIMEOUT_SECONDS = 3.0


@router.get(
    "/health",
    summary="The process is alive and its relay and consumer loops go round",
    response_model=ProbeReport,
    responses={
        503: {"description": "A loop died or is stuck; `checks` says which", "model": ProbeReport}
    },
)
async def health(runtime: RuntimeDep) -> JSONResponse:
    checks = liveness(runtime)
    ok = all(value == "ok" for value in checks.values())
    return JSONResponse(
        status_code=200 if ok else 503,
        content={"status": "ok" if ok else "failing", "checks": checks},
    )


def liveness(runtime: RuntimeDep) -> dict[str, str]:
    """No I/O: whether each loop task still runs and went round recently. A loop waiting on a
    dependency (broker or database away) still goes round; one hung on a call, or ended by an
    error, does not."""
    stall = runtime.settings.liveness_stall_seconds
    now = time.monotonic()
    loops = {"relay": runtime.relay, "consumer": runtime.consumer}
    checks: dict[str, str] = {}
    for name, loop in loops.items():
        if loop is None:
            continue
        task = next((t for t in runtime.tasks if t.get_name().endswith(f"-{name}")), None)
        if task is not None and task.done():
            checks[name] = "dead"
        elif now - loop.last_progress > stall:
            checks[name] = f"stuck for {now - loop.last_progress:.0f}s"
        else:
            checks[name] = "ok"
    return checks


@router.get(
    "/ready",
    summary="Database and Kafka reachable, background loops running",
    response_model=ProbeReport,
    responses={
        503: {
            "description": "A dependency is unreachable; `checks` says which",
            "model": ProbeReport,
        }
    },
)
async def ready(runtime: RuntimeDep, request: Request) -> JSONResponse:
    shutdown: ShutdownState = request.app.state.shutdown
    if shutdown.draining:
        # First thing on SIGTERM: the orchestrator stops routing here while requests already
        # routed are still served (service_runtime.shutdown).
        return JSONResponse(
            status_code=503,
            content={"status": "unavailable", "checks": {"shutdown": "draining"}},
        )
    kafka, topics = await _kafka(runtime)
    checks = {
        "database": await _check(_database(runtime)),
        "kafka": kafka,
        "topics": topics,
        "background": "ok" if all(not task.done() for task in runtime.tasks) else "stopped",
        "outbox": _relay_state(runtime),
    }
    ok = all(value == "ok" for value in checks.values())
    runtime.metrics.record_readiness(ok)
    return JSONResponse(
        status_code=200 if ok else 503,
        content={"status": "ready" if ok else "unavailable", "checks": checks},
    )


RELAY_FAILING_SECONDS = 30.0


def relay_failing_seconds(runtime: RuntimeDep) -> float:
    """How long the relay has failed every batch; 0 while it publishes (or waits for work)."""
    relay = runtime.relay
    if relay is None or relay.failing_since is None:
        return 0.0
    return time.monotonic() - relay.failing_since


def _relay_state(runtime: RuntimeDep) -> str:
    """Not ready while the relay has failed every batch for a while: events are not leaving."""
    relay = runtime.relay
    if relay is None or relay.failing_since is None:
        return "ok"
    failing = time.monotonic() - relay.failing_since
    if failing < RELAY_FAILING_SECONDS:
        return "ok"
    return f"failing for {failing:.0f}s: {relay.last_error}"


async def _kafka(runtime: RuntimeDep) -> tuple[str, str]:
    """The broker answers, and every topic the service writes or reads exists (and its
    principal may see it): under ACLs an administrator provisions them, and a service started
    before that is not ready. One metadata request naming the service's own topics: the whole
    cluster's metadata (thousands of topics on a shared broker) cost the service CPU at every
    probe, and a probe comes every few seconds from each orchestrator and load balancer."""
    wanted = sorted(set(runtime.settings.all_topics))
    try:
        present = await asyncio.wait_for(
            topics_present(runtime.producer.client, wanted), timeout=CHECK_TIMEOUT_SECONDS
        )
    except Exception as exc:
        failed = f"failed: {type(exc).__name__}"
        return failed, failed
    missing = [topic for topic in wanted if topic not in present]
    return "ok", f"missing: {', '.join(missing)}" if missing else "ok"


async def topics_present(client: AIOKafkaClient, topics: list[str]) -> set[str]:
    """Which of ``topics`` exist and may be described, asked of one broker. The request must
    not create a missing topic (a broker with ``auto.create.topics.enable`` would, with the
    settings of its defaults rather than the platform's declared ones)."""
    node = client.get_random_node()
    if node is None:
        raise KafkaConnectionError("no broker known")
    response = await client.send(node, MetadataRequest(topics, allow_auto_topic_creation=False))
    metadata = ClusterMetadata()
    metadata.update_metadata(response)
    return set(metadata.topics())


async def _database(runtime: RuntimeDep) -> None:
    async with runtime.engine.connect() as conn:
        await conn.execute(sa.text("SELECT 1"))


async def _check(awaitable: object) -> str:
    try:
        await asyncio.wait_for(awaitable, timeout=CHECK_TIMEOUT_SECONDS)  # type: ignore[arg-type]
    except Exception as exc:
        return f"failed: {type(exc).__name__}"
    return "ok"
