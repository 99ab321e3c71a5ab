"""Duty lawyers (值班律师, Measures Art. 15): reading the day's rota and answering a request.

Runs inside the caller's transaction (the consumer's, or a staff route's); the request's
outcome and ``DutyLawyerAssigned`` are written together (outbox).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from aid_center.appointing import ACTIVE, lawyer_ref, lock_case, now
from aid_center.db.tables import (
    assignments,
    cases,
    duty_requests,
    duty_shifts,
    lawyer_leaves,
    lawyers,
    work_stations,
)
from aid_center.domain.duty import DutyChoice, DutyNeed, DutyShiftView, choose_duty_lawyer
from defense_schemas import Envelope
from defense_schemas.events.aid_center import DutyLawyerAssigned
from defense_schemas.vocabulary import DutyLawyerPurpose, ServiceMode
from legal_calendar import legal_date
from service_runtime.app import Runtime


class DutyRequestStatus:
    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"


async def rota_for(session: AsyncSession, on_date: date) -> list[DutyShiftView]:
    """Every shift of the day, with each lawyer's leave, standing and requests served that day."""
    on_leave = sa.exists().where(
        lawyer_leaves.c.lawyer_id == lawyers.c.lawyer_id,
        lawyer_leaves.c.starts_on <= on_date,
        lawyer_leaves.c.ends_on >= on_date,
    )
    rows = (
        await session.execute(
            sa.select(
                duty_shifts.c.shift_id,
                duty_shifts.c.station_id,
                duty_shifts.c.on_date,
                duty_shifts.c.mode,
                work_stations.c.name.label("station_name"),
                work_stations.c.district.label("station_district"),
                lawyers.c.lawyer_id,
                lawyers.c.name.label("lawyer_name"),
                lawyers.c.license_number,
                lawyers.c.firm_id,
                lawyers.c.active,
                on_leave.label("on_leave"),
            )
            .join(work_stations, work_stations.c.station_id == duty_shifts.c.station_id)
            .join(lawyers, lawyers.c.lawyer_id == duty_shifts.c.lawyer_id)
            .where(duty_shifts.c.on_date == on_date)
        )
    ).all()
    served = Counter(
        (
            await session.scalars(
                sa.select(duty_requests.c.lawyer_id)
                .join(duty_shifts, duty_shifts.c.shift_id == duty_requests.c.shift_id)
                .where(
                    duty_shifts.c.on_date == on_date,
                    duty_requests.c.status == DutyRequestStatus.ASSIGNED,
                )
            )
        ).all()
    )
    return [
        DutyShiftView(
            shift_id=r.shift_id,
            station_id=r.station_id,
            station_name=r.station_name,
            station_district=r.station_district,
            lawyer_id=r.lawyer_id,
            lawyer_name=r.lawyer_name,
            license_number=r.license_number,
            firm_id=r.firm_id,
            on_date=r.on_date,
            mode=ServiceMode(r.mode),
            served_that_day=served[r.lawyer_id],
            on_leave=r.on_leave,
            active=r.active,
        )
        for r in rows
    ]


async def _co_suspect_firms(
    session: AsyncSession, case_id: UUID, suspect_id: UUID
) -> dict[UUID, tuple[UUID, ...]]:
    rows = await session.execute(
        sa.select(assignments.c.firm_id, assignments.c.suspect_id).where(
            assignments.c.case_id == case_id,
            assignments.c.status == ACTIVE,
            assignments.c.suspect_id != suspect_id,
        )
    )
    firms: dict[UUID, tuple[UUID, ...]] = {}
    for firm_id, other in rows:
        firms[firm_id] = (*firms.get(firm_id, ()), other)
    return firms


async def assign_duty_lawyer(
    session: AsyncSession,
    runtime: Runtime,
    request: dict[str, Any],
    *,
    on_date: date,
    caused_by: Envelope | None,
) -> DutyChoice:
    """Choose the duty lawyer for a stored request, record the outcome, emit
    ``DutyLawyerAssigned`` when someone was chosen. Unassigned requests stay visible."""
    await lock_case(session, request["case_id"])
    district = await session.scalar(
        sa.select(cases.c.district).where(cases.c.case_id == request["case_id"])
    )
    need = DutyNeed(
        suspect_id=request["suspect_id"],
        on_date=on_date,
        purpose=DutyLawyerPurpose(request["purpose"]),
        district=district,
        requested_station=request["requested_station"],
        co_suspect_firms=await _co_suspect_firms(
            session, request["case_id"], request["suspect_id"]
        ),
    )
    choice = choose_duty_lawyer(need, await rota_for(session, on_date))
    at = now()
    chosen = choice.chosen
    values: dict[str, Any] = {"decision": choice.explanation(), "updated_at": at}
    if chosen is None:
        assert choice.failure is not None
        values |= {
            "status": DutyRequestStatus.UNASSIGNED,
            "unassigned_reason": choice.failure.value,
        }
    else:
        values |= {
            "status": DutyRequestStatus.ASSIGNED,
            "unassigned_reason": None,
            "shift_id": chosen.shift_id,
            "station_id": chosen.station_id,
            "lawyer_id": chosen.lawyer_id,
            "mode": chosen.mode.value,
            "assigned_at": at,
        }
    await session.execute(
        sa.update(duty_requests)
        .where(duty_requests.c.request_id == request["request_id"])
        .values(**values)
    )
    if chosen is not None:
        await runtime.publisher.publish(
            session,
            DutyLawyerAssigned(
                request_id=request["request_id"],
                suspect_id=request["suspect_id"],
                lawyer=await lawyer_ref(session, chosen.lawyer_id),
                work_station=chosen.station_name,
                mode=chosen.mode,
                assigned_at=at,
            ),
            case_id=request["case_id"],
            caused_by=caused_by,
        )
    return choice


def request_date(requested_at: datetime) -> date:
    """The rota day a request falls on: its legal (Asia/Shanghai) date."""
    return legal_date(requested_at)
