"""CaseReceived → the case and its natural-person suspects, as the center needs them."""

from __future__ import annotations

from aid_center.unit_of_work import AidCenterUnitOfWork
from aid_center.use_cases.intake import receive_case
from defense_schemas import Envelope
from defense_schemas.events.procuratorate import CaseReceived


async def on_case_received(
    uow: AidCenterUnitOfWork, envelope: Envelope, event: CaseReceived
) -> None:
    await receive_case(uow, event, case_id=envelope.case_id)
