"""Operators' view of the pipeline: consumer lag (JSON) and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict

from service_runtime.deps import RuntimeDep
from service_runtime.errors import AUTH_RESPONSES
from service_runtime.observability import PartitionLag
from service_runtime.paging import Page, Paging
from service_runtime.routes.health import liveness, relay_failing_seconds
from service_runtime.security.deps import require_roles
from service_runtime.security.principal import Role

router = APIRouter(tags=["operations"])


class PartitionLagView(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "group": "notifier",
                    "topic": "aid-center.events",
                    "partition": 0,
                    "committed_offset": 4211,
                    "end_offset": 4214,
                    "lag": 3,
                }
            ]
        }
    )

    group: str
    topic: str
    partition: int
    committed_offset: int | None
    end_offset: int
    lag: int


async def _lag(runtime: RuntimeDep) -> list[PartitionLag]:
    if runtime.lag is None:
        return []
    try:
        return await runtime.lag.read()
    except Exception as exc:
        # Kafka did not answer: an error, not the last reading passed off as current.
        raise HTTPException(503, f"consumer lag unreadable: {type(exc).__name__}") from None


@router.get(
    "/ops/lag",
    summary="Per consumer group, topic and partition (in that order): committed offset, end "
    "offset, lag",
    dependencies=[require_roles(Role.OPERATOR)],
    responses={**AUTH_RESPONSES, 503: {"description": "Kafka did not answer"}},
)
async def get_lag(runtime: RuntimeDep, paging: Paging) -> Page[PartitionLagView]:
    views = [PartitionLagView(**vars(item)) for item in await _lag(runtime)]
    return paging.page(paging.slice(views, key=lambda v: (v.group, v.topic, v.partition)))


# Open like /health and /ready: scraped by Prometheus from inside the network, no case data.
@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(runtime: RuntimeDep) -> Response:
    await runtime.metrics.refresh_outbox(runtime.engine, runtime.tables)
    runtime.metrics.record_liveness(liveness(runtime), relay_failing_seconds(runtime))
    if runtime.definition.refresh_metrics is not None:
        await runtime.definition.refresh_metrics(runtime)
    # Lag is not read here: the runtime's LagMonitor keeps it current in the background, on
    # Kafka clients it keeps open, so a scrape opens no connection.
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)
