"""Notices of defense received (通知辩护公函): their check, clock and aid state, and staff's
assignment (automatic retry, or a lawyer chosen by hand)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from aid_center.api.access import NOTICE_OF_CENTER, STAFF, Staff, center_of, notice_in_center
from aid_center.db.personal import open_notice
from aid_center.db.tables import notices
from aid_center.domain.commands import AssignRequest
from aid_center.domain.status import NoticeStatus
from aid_center.unit_of_work import UnitOfWorkDep
from aid_center.use_cases.assignments import assign_request
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES, NotFound
from service_runtime.paging import Page, Paging

router = APIRouter(
    prefix="/notices",
    tags=["notices"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    dependencies=[STAFF],
)


class NoticeOut(BaseModel):
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
    lawyer_id: UUID | None = Field(
        default=None, description="Staff's choice; omitted runs the assignment engine again."
    )
    reason: str | None = Field(
        default=None, min_length=1, max_length=1000, description="Why staff chose this lawyer."
    )


class AssignOut(BaseModel):
    assignment_id: UUID | None
    decision: dict[str, Any]


async def _notice(uow: UnitOfWorkDep, notice_id: UUID) -> dict[str, Any]:
    row = await uow.aid.notice(notice_id)
    if row is None:
        raise NotFound("notice", notice_id)
    return open_notice(uow.cipher, row)


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
    query = sa.select(notices).where(notice_in_center(center_of(staff)))
    if status is not None:
        query = query.where(notices.c.status == status)
    if case_id is not None:
        query = query.where(notices.c.case_id == case_id)
    rows = await paging.fetch(uow.session, query, [notices.c.received_at, notices.c.notice_id])
    return paging.page(
        [NoticeOut.model_validate(open_notice(uow.cipher, r._mapping)) for r in rows]
    )


@router.get(
    "/{notice_id}",
    response_model=NoticeOut,
    summary="One notice",
    dependencies=[NOTICE_OF_CENTER],
)
async def get_notice(notice_id: UUID, uow: UnitOfWorkDep) -> NoticeOut:
    return NoticeOut.model_validate(await _notice(uow, notice_id))


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
