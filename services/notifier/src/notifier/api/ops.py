"""Operators' view of the deliveries the notifier holds: an aid-center event whose messages wait
for a fact of the procuratorate's topic (the case's ``CaseReceived``, or the letter's
``DefenseNoticeSent``). A row that stays means that fact never came: the operator's to chase.
Operators only, like every ``/ops`` route; the held envelope (personal data) is not shown."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from notifier.api.access import UnitOfWorkDep
from notifier.db.tables import held_deliveries
from service_runtime.app import Runtime
from service_runtime.errors import AUTH_RESPONSES
from service_runtime.security.deps import require_roles
from service_runtime.security.principal import Role

router = APIRouter(
    prefix="/ops",
    tags=["operations"],
    dependencies=[require_roles(Role.OPERATOR)],
    responses=AUTH_RESPONSES,
)


class HeldDeliveryView(BaseModel):
    event_id: UUID = Field(description="The held event (its messages are planned when released).")
    case_id: UUID
    waits_for: Literal["case", "notice"] = Field(
        description="case: the case's CaseReceived; notice: the suspect's DefenseNoticeSent."
    )
    held_at: datetime
    age_seconds: float = Field(description="How long it has been held.")


_AGE = sa.func.extract("epoch", sa.func.now() - held_deliveries.c.held_at)


@router.get(
    "/held-deliveries",
    summary="Deliveries held for a fact not yet known, oldest first, with their age",
    response_model=list[HeldDeliveryView],
)
async def list_held(
    uow: UnitOfWorkDep,
    waits_for: Literal["case", "notice"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[HeldDeliveryView]:
    query = sa.select(
        held_deliveries.c.event_id,
        held_deliveries.c.case_id,
        held_deliveries.c.waits_for,
        held_deliveries.c.held_at,
        _AGE.label("age_seconds"),
    ).order_by(held_deliveries.c.held_at, held_deliveries.c.event_id)
    if waits_for is not None:
        query = query.where(held_deliveries.c.waits_for == waits_for)
    rows = (await uow.session.execute(query.limit(limit))).mappings()
    return [HeldDeliveryView.model_validate(dict(row)) for row in rows]


async def refresh_held_gauges(runtime: Runtime) -> None:
    """``defense_notifier_held_deliveries`` and ``…_held_delivery_oldest_age_seconds``."""
    async with runtime.engine.connect() as conn:
        count, oldest = (await conn.execute(sa.select(sa.func.count(), sa.func.max(_AGE)))).one()
    runtime.metrics.gauge(
        "notifier_held_deliveries", "Deliveries held for a fact not yet known (see /ops)"
    ).set(count or 0)
    runtime.metrics.gauge(
        "notifier_held_delivery_oldest_age_seconds",
        "Age of the oldest held delivery (0 when none)",
    ).set(float(oldest or 0))
