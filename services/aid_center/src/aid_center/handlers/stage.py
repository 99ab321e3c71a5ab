"""The end of the review stage for a suspect: non-prosecution (不起诉) and a change of
jurisdiction (改变管辖) end the aid; at indictment (StageHandedOver) the assignment continues
into the trial stage or ends (Measures Art. 10, 13)."""

from __future__ import annotations

import logging

from aid_center.unit_of_work import AidCenterUnitOfWork
from aid_center.use_cases.appointing import record_handover, terminate
from aid_center.use_cases.terminations import end_on_jurisdiction_change
from defense_schemas import Envelope
from defense_schemas.events.procuratorate import ProceduralDecisionMade, StageHandedOver
from defense_schemas.vocabulary import DefenseStatus, ProceduralDecisionKind, TerminationReason

log = logging.getLogger(__name__)

_APPOINTED = {DefenseStatus.APPOINTED_ON_NOTICE, DefenseStatus.APPOINTED_ON_APPLICATION}


async def on_procedural_decision(
    uow: AidCenterUnitOfWork, envelope: Envelope, event: ProceduralDecisionMade
) -> None:
    """Non-prosecution ends the case at this stage, and the aid with it
    (``proceedings_ended``). A change of jurisdiction ends the aid here and keeps the lawyer
    for the hand-over (``use_cases/terminations.py``). A return for supplementary
    investigation or an extension leave the appointment in place (the lawyer is told by the
    procuratorate, Art. 10); indictment is acted on when the case is handed over
    (``StageHandedOver``), which says whether the lawyer continues."""
    if event.kind is ProceduralDecisionKind.JURISDICTION_CHANGE:
        for suspect_id in event.suspect_ids:
            await end_on_jurisdiction_change(
                uow,
                case_id=envelope.case_id,
                suspect_id=suspect_id,
                receiving_unit=event.receiving_unit,
                decision_number=event.document_number,
                caused_by=envelope,
                at=envelope.occurred_at,
            )
        return
    if event.kind is not ProceduralDecisionKind.NON_PROSECUTION:
        return
    for suspect_id in event.suspect_ids:
        await terminate(
            uow,
            case_id=envelope.case_id,
            suspect_id=suspect_id,
            assignment_id=None,
            reason=TerminationReason.PROCEEDINGS_ENDED,
            detail=f"non-prosecution decided{': ' + event.note if event.note else ''}",
            caused_by=envelope,
            at=envelope.occurred_at,
            decision_number=event.document_number,
        )


async def on_stage_handed_over(
    uow: AidCenterUnitOfWork, envelope: Envelope, event: StageHandedOver
) -> None:
    """The hand-over says the suspect's defense status and defender. The assignment continues
    into the trial stage when the suspect is still defended by an appointed lawyer and the
    defender named (if any) is not retained counsel; otherwise it ends (``stage_ended``)."""
    current = await uow.aid.active_assignment(suspect_id=event.suspect_id)
    if current is None:
        log.info("hand-over of suspect %s: no active assignment", event.suspect_id)
        return
    defender = event.defender
    continues = event.defense_status in _APPOINTED and (
        defender is None or defender.retention_id is None
    )
    detail = f"indicted, handed over to {event.court}; defense status {event.defense_status}"
    if (
        defender is not None
        and defender.assignment_id is not None
        and defender.assignment_id != current["assignment_id"]
    ):
        detail += (
            f"; the hand-over names assignment {defender.assignment_id}, "
            f"the active one is {current['assignment_id']}"
        )
    await record_handover(
        uow,
        case_id=envelope.case_id,
        suspect_id=event.suspect_id,
        continues=continues,
        court=event.court,
        handed_over_at=event.handed_over_at,
        detail=detail,
        caused_by=envelope,
        at=envelope.occurred_at,
    )
