"""Ending legal aid on the center's decision (终止法律援助决定, LAL Art. 48): staff name the
ground and the reasons; the grounds the procuratorate records (counsel retained, self-defense,
non-prosecution, a change of jurisdiction, the hand-over) come as its events instead."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from aid_center.api.access import OWN_ASSIGNMENT, STAFF
from aid_center.domain.commands import TerminateAid
from aid_center.domain.termination import GROUNDS
from aid_center.unit_of_work import UnitOfWorkDep
from aid_center.use_cases import assignments as assignment_reads
from aid_center.use_cases.terminations import terminate_by_decision
from defense_schemas.vocabulary import TerminationReason
from legal_calendar.deadlines import AfterTermination, letter_after_termination
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES

router = APIRouter(
    prefix="/assignments",
    tags=["assignments"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    dependencies=[STAFF, OWN_ASSIGNMENT],
)


class TerminationIn(BaseModel):
    reason: TerminationReason = Field(
        description="The ground (LAL Art. 48). Staff may decide obtained_by_deception, "
        "facts_concealed, unlawful_use, economic_situation_changed (aid on economic hardship "
        "only), proceedings_ended (a withdrawn case), recipient_request, no_longer_eligible "
        "and other; the rest are the procuratorate's to record (400)."
    )
    detail: str = Field(
        min_length=1,
        max_length=4000,
        description="The decision's reasons (the recipient may object to the justice bureau, "
        "LAL Art. 49).",
    )
    decision_number: str | None = Field(
        default=None, min_length=1, max_length=100, description="The decision's document number."
    )
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reason": "facts_concealed",
                    "detail": "受援人故意隐瞒已委托其他代理人的事实",
                    "decision_number": "津河东援终〔2026〕2号",
                }
            ]
        }
    )


class TerminationOut(BaseModel):
    assignment_id: UUID
    suspect_id: UUID
    reason: TerminationReason
    legal_basis: str = Field(description="Where the law names the ground.")
    detail: str
    decision_number: str | None
    terminated_at: datetime
    letter_after: AfterTermination = Field(
        description="What follows for the suspect: reopens — the procuratorate owes a new "
        "notice-of-defense letter (a new appointment follows) if the suspect is in the "
        "mandatory scope; defended, handed_over, duty_ends — no letter is owed here."
    )
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "assignment_id": "3f1c7e0a-55a1-4c5e-9d51-2a4b8f0c1d11",
                    "suspect_id": "0b7e3a9e-8f0c-4f5a-a2b6-6a9d3e1f7c22",
                    "reason": "facts_concealed",
                    "legal_basis": "LAL Art. 48(2)",
                    "detail": "受援人故意隐瞒已委托其他代理人的事实",
                    "decision_number": "津河东援终〔2026〕2号",
                    "terminated_at": "2026-11-30T09:30:00+08:00",
                    "letter_after": "reopens",
                }
            ]
        }
    )


@router.post(
    "/{assignment_id}/termination",
    response_model=TerminationOut,
    summary="Terminate legal aid on a ground of LAL Art. 48 (终止法律援助)",
    description="The center's decision: the assignment ends, the request closes and "
    "AidTerminated tells the procuratorate and the notifier. A ground the procuratorate "
    "records, or economic_situation_changed for aid that did not depend on the recipient's "
    "means, is a 400 naming `reason`; an assignment already ended is a 409.",
)
async def terminate_aid(
    assignment_id: UUID, body: TerminationIn, uow: UnitOfWorkDep
) -> TerminationOut:
    await terminate_by_decision(
        uow,
        TerminateAid(
            assignment_id=assignment_id,
            reason=body.reason,
            detail=body.detail,
            decision_number=body.decision_number,
        ),
    )
    row = await assignment_reads.assignment_of(uow, assignment_id)
    return TerminationOut(
        assignment_id=assignment_id,
        suspect_id=row["suspect_id"],
        reason=body.reason,
        legal_basis=GROUNDS[body.reason].basis,
        detail=body.detail,
        decision_number=body.decision_number,
        terminated_at=row["ended_at"],
        letter_after=letter_after_termination(body.reason.value),
    )
