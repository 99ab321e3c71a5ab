"""DutyLawyerRequested → the duty lawyer on the rota that day (Measures Art. 15)."""

from __future__ import annotations

from aid_center.unit_of_work import AidCenterUnitOfWork
from aid_center.use_cases.duty import receive_duty_request
from defense_schemas import Envelope
from defense_schemas.events.procuratorate import DutyLawyerRequested


async def on_duty_lawyer_requested(
    uow: AidCenterUnitOfWork, envelope: Envelope, event: DutyLawyerRequested
) -> None:
    await receive_duty_request(
        uow,
        {
            "request_id": event.request_id,
            "case_id": envelope.case_id,
            "suspect_id": event.suspect_id,
            "purpose": event.purpose.value,
            "requested_at": event.requested_at,
            "requested_station": event.work_station,
            "note": event.note,
        },
        caused_by=envelope,
        at=envelope.occurred_at,
    )
