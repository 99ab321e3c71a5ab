"""Operators' view of the deliveries the notifier holds: an aid-center event whose messages wait
for a fact of the procuratorate's topic (the case's ``CaseReceived``, or the letter's
``DefenseNoticeSent``). A row that stays means that fact never came: the operator's to chase.
Operators only, like every ``/ops`` route; the held envelope (personal data) is not shown."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from notifier.api.access import UnitOfWorkDep
from notifier.db.tables import clocks, held_deliveries
from service_runtime.app import Runtime
from service_runtime.errors import AUTH_RESPONSES
from service_runtime.paging import Page, Paging
from service_runtime.security.deps import require_roles
from service_runtime.security.principal import Role

router = APIRouter(
    prefix="/ops",
    tags=["operations"],
    dependencies=[require_roles(Role.OPERATOR)],
    responses=AUTH_RESPONSES,
)


class HeldDeliveryView(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "6b8d0f2a-4c6e-4f1a-9b3d-5e7f9a1c3e5a",
                    "case_id": "3f6c2a1e-8b4d-4c2a-9e1f-5a7b9c0d1e2f",
                    "waits_for": "notice",
                    "held_at": "2026-03-06T11:20:03+08:00",
                    "age_seconds": 4.2,
                }
            ]
        }
    )

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
    summary="Deliveries held for a fact not yet known, oldest first (held_at, event_id), with "
    "their age",
    response_model=Page[HeldDeliveryView],
)
async def list_held(
    uow: UnitOfWorkDep,
    paging: Paging,
    waits_for: Literal["case", "notice"] | None = None,
) -> Page[HeldDeliveryView]:
    query = sa.select(
        held_deliveries.c.event_id,
        held_deliveries.c.case_id,
        held_deliveries.c.waits_for,
        held_deliveries.c.held_at,
        _AGE.label("age_seconds"),
    )
    if waits_for is not None:
        query = query.where(held_deliveries.c.waits_for == waits_for)
    order = [held_deliveries.c.held_at, held_deliveries.c.event_id]
    rows = await paging.fetch(uow.session, query, order)
    return paging.page([HeldDeliveryView.model_validate(dict(row._mapping)) for row in rows])


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


async def refresh_deadline_gauges(runtime: Runtime) -> None:
    """``defense_deadline_clocks{agency,kind,state}``: the open clocks per responsible unit and
    kind, as the deadline board shows them — ``open`` (not yet warned), ``approaching`` (the
    warning went out) or ``breached`` (past due and still not met)."""
    state = sa.case(
        (clocks.c.breached_at.is_not(None), "breached"),
        (clocks.c.approaching_sent_at.is_not(None), "approaching"),
        else_="open",
    ).label("state")
    agency = sa.func.coalesce(clocks.c.agency, "").label("agency")
    async with runtime.engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(agency, clocks.c.kind, state, sa.func.count())
                .where(clocks.c.status == "open")
                .group_by(agency, clocks.c.kind, state)
            )
        ).all()
        provisional = await conn.scalar(
            sa.select(sa.func.count()).where(
                clocks.c.status == "open", clocks.c.provisional.is_(True)
            )
        )
    gauge = runtime.metrics.gauge(
        "deadline_clocks",
        "Open statutory clocks by responsible unit, kind and state (open, approaching, breached)",
        ("agency", "kind", "state"),
    )
    # Replaced whole: a unit whose clocks all closed leaves no stale series behind.
    gauge.clear()
    for unit, kind, clock_state, count in rows:
        gauge.labels(unit, kind, clock_state).set(count)
    runtime.metrics.gauge(
        "deadline_clocks_provisional",
        "Open clocks whose due day was counted without the legal calendar of its year "
        "(load that year at the procuratorate: PUT /ops/calendar/{year} there)",
    ).set(provisional or 0)


async def refresh_metrics(runtime: Runtime) -> None:
    await refresh_held_gauges(runtime)
    await refresh_deadline_gauges(runtime)
