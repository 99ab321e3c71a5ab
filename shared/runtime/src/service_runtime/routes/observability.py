"""Operators' view of the pipeline: consumer lag (JSON) and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from service_runtime.deps import RuntimeDep
from service_runtime.errors import AUTH_RESPONSES
from service_runtime.observability import PartitionLag, consumer_lag
from service_runtime.security.deps import require_roles
from service_runtime.security.principal import Role

router = APIRouter(tags=["operations"])


class PartitionLagView(BaseModel):
    group: str
    topic: str
    partition: int
    committed_offset: int | None
    end_offset: int
    lag: int


async def _lag(runtime: RuntimeDep) -> list[PartitionLag]:
    if runtime.consumer is None:
        return []
    lags = await consumer_lag(
        runtime.settings.kafka, runtime.consumer.group_id, runtime.consumer.topics
    )
    runtime.metrics.record_lag(lags)
    return lags


@router.get(
    "/ops/lag",
    summary="Per consumer group, topic and partition: committed offset, end offset, lag",
    dependencies=[require_roles(Role.OPERATOR)],
    responses=AUTH_RESPONSES,
)
async def get_lag(runtime: RuntimeDep) -> list[PartitionLagView]:
    return [PartitionLagView(**vars(item)) for item in await _lag(runtime)]


# Open like /health and /ready: scraped by Prometheus from inside the network, no case data.
@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(runtime: RuntimeDep) -> Response:
    await runtime.metrics.refresh_outbox(runtime.engine, runtime.tables)
    if runtime.definition.refresh_metrics is not None:
        await runtime.definition.refresh_metrics(runtime)
    try:
        await _lag(runtime)
    except Exception:
        pass
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)
