"""DutyLawyerRequested → the duty lawyer on the rota that day (Measures Art. 15)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from aid_center.db.tables import duty_requests
from aid_center.duty_rota import DutyRequestStatus, assign_duty_lawyer, request_date
from defense_messaging import Handler
from defense_schemas import Envelope
from defense_schemas.events.procuratorate import DutyLawyerRequested
from service_runtime.app import Runtime


def on_duty_lawyer_requested(runtime: Runtime) -> Handler:
    async def handle(session: AsyncSession, envelope: Envelope, event: DutyLawyerRequested) -> None:
        known = await session.scalar(
            sa.select(duty_requests.c.request_id).where(
                duty_requests.c.request_id == event.request_id
            )
        )
        if known is not None:
            return  # the same request again under another event id
        request: dict[str, Any] = {
            "request_id": event.request_id,
            "case_id": envelope.case_id,
            "suspect_id": event.suspect_id,
            "purpose": event.purpose.value,
            "requested_at": event.requested_at,
            "requested_station": event.work_station,
            "note": event.note,
        }
        await session.execute(
            sa.insert(duty_requests).values(
                **request, status=DutyRequestStatus.UNASSIGNED, decision={}
            )
        )
        await assign_duty_lawyer(
            session,
            runtime,
            request,
            on_date=request_date(event.requested_at),
            caused_by=envelope,
        )

    return handle
