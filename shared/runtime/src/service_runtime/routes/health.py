"""Liveness and readiness: /health says the process answers, /ready that it can do its work."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from service_runtime.deps import RuntimeDep

router = APIRouter(tags=["health"])

CHECK_TIMEOUT_SECONDS = 3.0


@router.get("/health", summary="The process is alive")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/ready",
    summary="Database and Kafka reachable, background loops running",
    responses={503: {"description": "A dependency is unreachable; `checks` says which"}},
)
async def ready(runtime: RuntimeDep) -> JSONResponse:
    checks = {
        "database": await _check(_database(runtime)),
        "kafka": await _check(runtime.producer.client.fetch_all_metadata()),
        "background": "ok" if all(not task.done() for task in runtime.tasks) else "stopped",
    }
    ok = all(value == "ok" for value in checks.values())
    return JSONResponse(
        status_code=200 if ok else 503,
        content={"status": "ready" if ok else "unavailable", "checks": checks},
    )


async def _database(runtime: RuntimeDep) -> None:
    async with runtime.engine.connect() as conn:
        await conn.execute(sa.text("SELECT 1"))


async def _check(awaitable: object) -> str:
    try:
        await asyncio.wait_for(awaitable, timeout=CHECK_TIMEOUT_SECONDS)  # type: ignore[arg-type]
    except Exception as exc:
        return f"failed: {type(exc).__name__}"
    return "ok"
