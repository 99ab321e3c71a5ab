"""Notices of defense received (通知辩护公函): their check, clock and aid state, and staff's
assignment (automatic retry, or a lawyer chosen by hand)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from aid_center.api.access import NOTICE_OF_CENTER, STAFF, Staff, center_of
from aid_center.domain.commands import AssignRequest
from aid_center.domain.status import NoticeStatus
from aid_center.unit_of_work import UnitOfWorkDep
from aid_center.use_cases import notices as use_cases
from aid_center.use_cases.assignments import assign_request
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES
from service_runtime.paging import Page, Paging

router = APIRouter(
    prefix="/notices",
    tags=["notices"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    dependencies=[STAFF],
)

_LAWYER_ID = "8d7f2a51-6c3b-4e0a-b1d2-3c4e5f607182"
_DECISION: JsonDict = {
    "chosen_lawyer_id": _LAWYER_ID,
    "reasons": ["juvenile specialist for a minor (Measures Art. 12)"],
    "unmet_wishes": [],
    "failure": None,
    "continued_from_previous_stage": False,
    "passed_over": [],
}


class NoticeOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "notice_id": "7d6c5b4a-3928-4170-b6c5-d4e3f2a1b0c9",
                    "case_id": "6c5b4a39-2817-4f06-a5b4-c3d2e1f0a9b8",
                    "suspect_id": "3f9a6e21-7b4c-4d5e-8f60-718293a4b5c6",
                    "suspect_name": "张小明",
                    "document_number": "津河东检〔2026〕12号",
                    "procuratorate_unit": "天津市河东区人民检察院",
                    "district": "河东区",
                    "status": "assigned",
                    "grounds": ["minor"],
                    "materials": ["起诉意见书", "犯罪嫌疑人身份证明"],
                    "missing_items": [],
                    "missing_materials": [],
                    "wishes": {"lawyer_gender": "female", "language": "普通话"},
                    "received_at": "2026-03-02T09:30:00+08:00",
                    "accepted_at": "2026-03-02T09:30:05+08:00",
                    "assignment_due_on": "2026-03-05",
                    "assignment_due_provisional": False,
                    "assignment_missing_years": [],
                    "assignment_started_at": "2026-03-02T09:30:00+08:00",
                    "unassignable_reason": None,
                    "last_decision": _DECISION,
                    "closed_reason": None,
                    "closed_detail": None,
                    "closed_at": None,
                }
            ]
        }
    )

    notice_id: UUID
    case_id: UUID
    suspect_id: UUID
    suspect_name: str
    document_number: str
    procuratorate_unit: str
    district: str | None
    status: NoticeStatus = Field(
        description="supplement_requested, accepted, assigned, unassignable, "
        "awaiting_reappointment (an allowed refusal ended the lawyer's appointment; the "
        "procuratorate's written request for another is due) or closed."
    )
    grounds: list[str]
    materials: list[str]
    missing_items: list[str]
    missing_materials: list[str]
    wishes: dict[str, Any] | None
    received_at: datetime
    accepted_at: datetime | None
    assignment_due_on: date | None = Field(
        description="Last day to assign a lawyer: 3 days from receipt (Measures Art. 4)."
    )
    assignment_due_provisional: bool = Field(
        description="The due date rests on a year without an official calendar; it is "
        "recounted when that year is loaded."
    )
    assignment_missing_years: list[int] = Field(
        description="The years without an official calendar the due date was guessed for."
    )
    assignment_started_at: datetime | None = Field(
        description="When the period started: the letter's receipt, or the supplement that "
        "completed it (legal_calendar.deadlines.ASSIGNMENT)."
    )
    unassignable_reason: str | None
    last_decision: dict[str, Any] | None = Field(
        description="The engine's last explanation: chosen, passed over and why."
    )
    closed_reason: str | None = Field(
        description="Why the aid ended (a termination reason), also when no lawyer was assigned."
    )
    closed_detail: str | None
    closed_at: datetime | None


class AssignIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"lawyer_id": _LAWYER_ID, "reason": "该律师熟悉未成年人案件，且曾会见该犯罪嫌疑人"}
            ]
        }
    )

    lawyer_id: UUID | None = Field(
        default=None, description="Staff's choice; omitted runs the assignment engine again."
    )
    reason: str | None = Field(
        default=None, min_length=1, max_length=1000, description="Why staff chose this lawyer."
    )


class AssignOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"assignment_id": "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a00", "decision": _DECISION}
            ]
        }
    )

    assignment_id: UUID | None
    decision: dict[str, Any]


@router.get(
    "",
    response_model=Page[NoticeOut],
    summary="List notices (e.g. status=unassignable), by receipt (received_at, notice_id)",
)
async def list_notices(
    uow: UnitOfWorkDep,
    staff: Staff,
    paging: Paging,
    status: Annotated[NoticeStatus | None, Query(description="Filter by status.")] = None,
    case_id: Annotated[UUID | None, Query()] = None,
) -> Page[NoticeOut]:
    rows = await use_cases.notices(
        uow, center_of(staff), status=status, case_id=case_id, page=paging
    )
    return paging.page([NoticeOut.model_validate(row) for row in rows])


@router.get(
    "/{notice_id}",
    response_model=NoticeOut,
    summary="One notice",
    dependencies=[NOTICE_OF_CENTER],
)
async def get_notice(notice_id: UUID, uow: UnitOfWorkDep) -> NoticeOut:
    return NoticeOut.model_validate(await use_cases.notice(uow, notice_id))


@router.post(
    "/{notice_id}/assignment",
    response_model=AssignOut,
    summary="Assign a lawyer to an accepted or unassignable notice (engine, or staff's choice)",
    dependencies=[NOTICE_OF_CENTER],
    description="A lawyer chosen by staff may exceed roster limits (capacity, district), which "
    "the decision records as waived; the law's rules are never waived: a firm defending a "
    "co-suspect of the case (Measures Art. 13), LAL Art. 26 experience, leave → 409.",
)
async def assign(notice_id: UUID, body: AssignIn, uow: UnitOfWorkDep) -> AssignOut:
    outcome = await assign_request(
        uow, AssignRequest(notice_id=notice_id, lawyer_id=body.lawyer_id, reason=body.reason)
    )
    return AssignOut(assignment_id=outcome.assignment_id, decision=outcome.decision.explanation())
