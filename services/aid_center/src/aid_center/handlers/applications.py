"""Legal-aid applications forwarded by the procuratorate (转交申请 → 申请指派): stored and
appointed at once by the same engine and rules as a notice (``use_cases/intake.py``)."""

from __future__ import annotations

from aid_center.unit_of_work import AidCenterUnitOfWork
from aid_center.use_cases.intake import receive_application
from defense_schemas import Envelope
from defense_schemas.events.procuratorate import LegalAidApplicationForwarded


async def on_application_forwarded(
    uow: AidCenterUnitOfWork, envelope: Envelope, event: LegalAidApplicationForwarded
) -> None:
    await receive_application(
        uow, event, case_id=envelope.case_id, caused_by=envelope, at=envelope.occurred_at
    )
