"""Changes to an appointment the procuratorate decides: each event is the command of one use
case (``use_cases/aid_changes.py``), run at the event's time."""

from __future__ import annotations

from aid_center.unit_of_work import AidCenterUnitOfWork
from aid_center.use_cases import aid_changes
from defense_schemas import Envelope
from defense_schemas.events.procuratorate import (
    EligibilityAssessed,
    LawyerRefusalRuled,
    PrivateCounselRetained,
    ReappointmentRequested,
    SelfDefensePermitted,
)


async def on_reappointment_requested(
    uow: AidCenterUnitOfWork, envelope: Envelope, event: ReappointmentRequested
) -> None:
    await aid_changes.reappoint(
        uow, event, case_id=envelope.case_id, caused_by=envelope, at=envelope.occurred_at
    )


async def on_lawyer_refusal_ruled(
    uow: AidCenterUnitOfWork, envelope: Envelope, event: LawyerRefusalRuled
) -> None:
    await aid_changes.rule_refusal(
        uow, event, case_id=envelope.case_id, caused_by=envelope, at=envelope.occurred_at
    )


async def on_self_defense_permitted(
    uow: AidCenterUnitOfWork, envelope: Envelope, event: SelfDefensePermitted
) -> None:
    await aid_changes.end_on_self_defense(
        uow, event, case_id=envelope.case_id, caused_by=envelope, at=envelope.occurred_at
    )


async def on_private_counsel_retained(
    uow: AidCenterUnitOfWork, envelope: Envelope, event: PrivateCounselRetained
) -> None:
    await aid_changes.end_on_counsel_retained(
        uow, event, case_id=envelope.case_id, caused_by=envelope, at=envelope.occurred_at
    )


async def on_eligibility_assessed(
    uow: AidCenterUnitOfWork, envelope: Envelope, event: EligibilityAssessed
) -> None:
    await aid_changes.reassess(
        uow, event, case_id=envelope.case_id, caused_by=envelope, at=envelope.occurred_at
    )
