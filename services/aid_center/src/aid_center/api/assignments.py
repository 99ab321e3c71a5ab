"""Assignments (指派): who defends whom, replacement, conflicts reported by firms, the lawyer's
activity log and the center's quality reviews (Measures Art. 5, 7, 9, 13, 14)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from aid_center.api.access import (
    OWN_ASSIGNMENT,
    STAFF,
    STAFF_OR_LAWYER,
    Staff,
    StaffOrLawyer,
    center_of,
    lawyer_uuid,
)
from aid_center.domain.commands import (
    AssignmentsQuery,
    LogActivity,
    ReplaceLawyer,
    ReportConflict,
    ReviewQuality,
)
from aid_center.domain.status import AssignmentStatus
from aid_center.unit_of_work import UnitOfWorkDep
from aid_center.use_cases import assignments as use_cases
from defense_schemas.vocabulary import (
    ActivityKind,
    ConflictKind,
    QualityMeasure,
    QualityRating,
    ReplacementReason,
)
from service_runtime.api_types import ApiDate
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES
from service_runtime.paging import Page, Paging
from service_runtime.security.principal import Principal

# Staff and lawyers pass the router; each route narrows it (lawyers: their own work only).
router = APIRouter(
    prefix="/assignments",
    tags=["assignments"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    dependencies=[STAFF_OR_LAWYER],
)

_ASSIGNMENT_ID = "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a00"
_SUSPECT_ID = "3f9a6e21-7b4c-4d5e-8f60-718293a4b5c6"
_LAWYER_ID = "8d7f2a51-6c3b-4e0a-b1d2-3c4e5f607182"
_DECISION: JsonDict = {
    "chosen_lawyer_id": _LAWYER_ID,
    "reasons": ["juvenile specialist for a minor (Measures Art. 12)"],
    "unmet_wishes": [],
    "failure": None,
    "continued_from_previous_stage": False,
    "passed_over": [
        {
            "lawyer_id": "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a",
            "name": "李建国",
            "reasons": ["insufficient_experience"],
            "explanation": "2 years of criminal practice; a possible life or death sentence "
            "needs 3+ (LAL Art. 26)",
        }
    ],
}
_REPLACEMENT: JsonDict = {
    "previous_assignment_id": _ASSIGNMENT_ID,
    "assignment_id": "1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9",
    "decision": {**_DECISION, "reasons": ["the firm reported a conflict; another firm's lawyer"]},
}
_ACTIVITY: JsonDict = {
    "kind": "meeting",
    "performed_on": "2026-03-05",
    "duration_minutes": 90,
    "note": "在天津市河东区看守所会见犯罪嫌疑人张小明，告知诉讼权利",
}
_QUALITY_REVIEW: JsonDict = {
    "measures": ["court_attendance", "file_inspection"],
    "rating": "satisfactory",
    "reviewer": "赵敏",
    "findings": "会见及时，辩护意见书面提交",
}


class AssignmentOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "assignment_id": _ASSIGNMENT_ID,
                    "case_id": "6c5b4a39-2817-4f06-a5b4-c3d2e1f0a9b8",
                    "suspect_id": _SUSPECT_ID,
                    "notice_id": "7d6c5b4a-3928-4170-b6c5-d4e3f2a1b0c9",
                    "application_id": None,
                    "lawyer_id": _LAWYER_ID,
                    "firm_id": "5b0e7c3e-2f0a-4d47-9d0e-6f1f3b1c2a01",
                    "status": "active",
                    "manual": False,
                    "continued_from_previous_stage": False,
                    "previous_assignment_id": None,
                    "decision": _DECISION,
                    "assigned_at": "2026-03-03T10:00:00+08:00",
                    "ended_at": None,
                    "end_reason": None,
                    "end_detail": None,
                    "stage_outcome": None,
                    "trial_court": None,
                    "handed_over_at": None,
                }
            ]
        }
    )

    assignment_id: UUID
    case_id: UUID
    suspect_id: UUID
    notice_id: UUID | None
    application_id: UUID | None = Field(description="The application, when on application.")
    lawyer_id: UUID
    firm_id: UUID
    status: AssignmentStatus = Field(description="active or ended.")
    manual: bool
    continued_from_previous_stage: bool
    previous_assignment_id: UUID | None
    decision: dict[str, Any] = Field(
        description="Why this lawyer; who was passed over and why. A lawyer reading their own "
        "assignment gets `passed_over` empty: it names colleagues and their leave or caseload."
    )
    assigned_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    end_detail: str | None
    stage_outcome: str | None = Field(
        description="At indictment (StageHandedOver): continues_to_trial or ended_at_indictment."
    )
    trial_court: str | None = Field(description="The court the case went to, when handed over.")
    handed_over_at: datetime | None


class ReplacementIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reason": "quality_concern",
                    "lawyer_id": "1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f0",
                    "detail": "质量评估不合格：未按规定会见犯罪嫌疑人",
                }
            ]
        }
    )

    reason: ReplacementReason
    lawyer_id: UUID | None = Field(default=None, description="Staff's choice, else the engine.")
    detail: str | None = Field(default=None, min_length=1, max_length=4000)


class ReplacementOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_REPLACEMENT]})

    previous_assignment_id: UUID
    assignment_id: UUID | None = Field(description="None when nobody could be assigned.")
    decision: dict[str, Any]


class ConflictIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "co_suspect_same_firm",
                    "conflicting_suspect_ids": ["4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d"],
                    "detail": "本所已接受同案犯罪嫌疑人刘强的委托",
                }
            ]
        }
    )

    kind: ConflictKind
    conflicting_suspect_ids: list[UUID] = Field(default_factory=list)
    detail: str | None = Field(default=None, min_length=1, max_length=4000)


class ConflictOut(ReplacementOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{**_REPLACEMENT, "report_id": "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"}]
        }
    )

    report_id: UUID


class ActivityIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_ACTIVITY]})

    kind: ActivityKind
    performed_on: ApiDate
    duration_minutes: int | None = Field(default=None, ge=1, le=1440)
    note: str | None = Field(default=None, min_length=1, max_length=4000)


class ActivityOut(ActivityIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_ACTIVITY,
                    "activity_id": "3d4e5f6a-7b8c-4d9e-8f01-2a3b4c5d6e7f",
                    "assignment_id": _ASSIGNMENT_ID,
                    "lawyer_id": _LAWYER_ID,
                    "logged_at": "2026-03-05T17:40:00+08:00",
                }
            ]
        }
    )

    activity_id: UUID
    assignment_id: UUID
    lawyer_id: UUID
    logged_at: datetime


class QualityReviewIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_QUALITY_REVIEW]})

    measures: list[QualityMeasure] = Field(
        min_length=1,
        description="Art. 14 measures used: court attendance, file inspection, "
        "the judicial organ's opinion, a follow-up visit.",
    )
    rating: QualityRating
    reviewer: str = Field(min_length=1, max_length=100)
    findings: str | None = Field(default=None, min_length=1, max_length=4000)


class QualityReviewOut(QualityReviewIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_QUALITY_REVIEW,
                    "review_id": "4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b",
                    "assignment_id": _ASSIGNMENT_ID,
                    "checklist": {
                        "meeting": True,
                        "file_review": True,
                        "investigation": True,
                        "written_opinion": True,
                    },
                    "service_standard_met": True,
                    "reviewed_at": "2026-05-20T15:00:00+08:00",
                }
            ]
        }
    )

    review_id: UUID
    assignment_id: UUID
    checklist: dict[str, bool] = Field(description="The national service standard's acts.")
    service_standard_met: bool
    reviewed_at: datetime


class OverdueMeeting(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "assignment_id": _ASSIGNMENT_ID,
                    "suspect_id": _SUSPECT_ID,
                    "lawyer_id": _LAWYER_ID,
                    "assigned_on": "2026-03-03",
                    "days_since_assignment": 7,
                }
            ]
        }
    )

    assignment_id: UUID
    suspect_id: UUID
    lawyer_id: UUID
    assigned_on: date
    days_since_assignment: int


@router.get(
    "",
    response_model=Page[AssignmentOut],
    summary="List assignments, by assignment time (assigned_at, assignment_id)",
)
async def list_assignments(
    uow: UnitOfWorkDep,
    principal: StaffOrLawyer,
    paging: Paging,
    suspect_id: Annotated[UUID | None, Query()] = None,
    case_id: Annotated[UUID | None, Query()] = None,
    lawyer_id: Annotated[UUID | None, Query()] = None,
    status: Annotated[AssignmentStatus | None, Query(description="active or ended")] = None,
) -> Page[AssignmentOut]:
    # A lawyer sees their own only; staff their center's.
    own = lawyer_uuid(principal)
    wanted = AssignmentsQuery(
        center=center_of(principal) if own is None else None,
        own_lawyer_id=own,
        suspect_id=suspect_id,
        case_id=case_id,
        lawyer_id=lawyer_id,
        status=status,
    )
    rows = await use_cases.assignments_where(uow, wanted, paging)
    return paging.page([assignment_seen_by(principal, row) for row in rows])


@router.get(
    "/overdue-meetings",
    dependencies=[STAFF],
    response_model=Page[OverdueMeeting],
    summary="Active assignments whose lawyer has not met the suspect N days after assignment",
)
async def overdue_meetings(
    uow: UnitOfWorkDep,
    staff: Staff,
    paging: Paging,
    as_of: Annotated[
        ApiDate | None,
        Query(description="The legal date to judge on (default: today, Asia/Shanghai)."),
    ] = None,
) -> Page[OverdueMeeting]:
    rows = await use_cases.overdue_meetings(uow, center_of(staff), as_of=as_of, page=paging)
    return paging.page([OverdueMeeting.model_validate(row) for row in rows])


@router.get(
    "/{assignment_id}",
    response_model=AssignmentOut,
    summary="One assignment",
    dependencies=[OWN_ASSIGNMENT],
)
async def get_assignment(
    assignment_id: UUID, uow: UnitOfWorkDep, principal: StaffOrLawyer
) -> AssignmentOut:
    return assignment_seen_by(principal, await use_cases.assignment_of(uow, assignment_id))


def assignment_seen_by(principal: Principal, row: Any) -> AssignmentOut:
    """An assignment as its reader may see it: the engine's whole explanation for staff; for
    the lawyer, why they were chosen but not the colleagues passed over (their names, leave and
    caseload are the center's personnel records, not the appointed lawyer's to read)."""
    assignment = AssignmentOut.model_validate(row)
    if lawyer_uuid(principal) is None:
        return assignment
    return assignment.model_copy(update={"decision": {**assignment.decision, "passed_over": []}})


@router.post(
    "/{assignment_id}/replacement",
    dependencies=[STAFF, OWN_ASSIGNMENT],
    response_model=ReplacementOut,
    summary="Replace the appointed lawyer (another lawyer; Measures Art. 5, 14)",
)
async def replace(assignment_id: UUID, body: ReplacementIn, uow: UnitOfWorkDep) -> ReplacementOut:
    outcome = await use_cases.replace_lawyer(
        uow,
        ReplaceLawyer(
            assignment_id=assignment_id,
            reason=body.reason,
            lawyer_id=body.lawyer_id,
            detail=body.detail,
        ),
    )
    return ReplacementOut(
        previous_assignment_id=assignment_id,
        assignment_id=outcome.assignment_id,
        decision=outcome.decision.explanation(),
    )


@router.post(
    "/{assignment_id}/conflicts",
    dependencies=[STAFF, OWN_ASSIGNMENT],
    status_code=201,
    response_model=ConflictOut,
    summary="A law firm reports a conflict of interest → reassignment to ANOTHER firm",
    description="Measures Art. 13: the firm's conflict check found a conflict; the center "
    "reassigns the suspect to a lawyer of another firm (LawyerReplaced), or records the suspect "
    "as unassignable (AssignmentFailed).",
)
async def report_conflict(assignment_id: UUID, body: ConflictIn, uow: UnitOfWorkDep) -> ConflictOut:
    outcome = await use_cases.report_conflict(
        uow,
        ReportConflict(
            assignment_id=assignment_id,
            kind=body.kind,
            conflicting_suspect_ids=tuple(body.conflicting_suspect_ids),
            detail=body.detail,
        ),
    )
    return ConflictOut(
        report_id=outcome.report_id,
        previous_assignment_id=assignment_id,
        assignment_id=outcome.appointment.assignment_id,
        decision=outcome.appointment.decision.explanation(),
    )


@router.post(
    "/{assignment_id}/activities",
    dependencies=[OWN_ASSIGNMENT],
    status_code=201,
    response_model=ActivityOut,
    summary="Log the lawyer's work: meeting, file review, investigation, written opinion",
)
async def log_activity(assignment_id: UUID, body: ActivityIn, uow: UnitOfWorkDep) -> ActivityOut:
    row = await use_cases.log_activity(
        uow,
        LogActivity(
            assignment_id=assignment_id,
            kind=body.kind,
            performed_on=body.performed_on,
            duration_minutes=body.duration_minutes,
            note=body.note,
        ),
    )
    return ActivityOut.model_validate(row)


@router.get(
    "/{assignment_id}/activities",
    response_model=Page[ActivityOut],
    summary="The lawyer's work, by day performed (performed_on, logged_at, activity_id)",
    dependencies=[OWN_ASSIGNMENT],
)
async def list_activities(
    assignment_id: UUID, uow: UnitOfWorkDep, paging: Paging
) -> Page[ActivityOut]:
    rows = await use_cases.activities(uow, assignment_id, paging)
    return paging.page([ActivityOut.model_validate(row) for row in rows])


@router.post(
    "/{assignment_id}/quality-reviews",
    dependencies=[STAFF, OWN_ASSIGNMENT],
    status_code=201,
    response_model=QualityReviewOut,
    summary="Record a quality review (Measures Art. 14) with the service-standard checklist",
)
async def review_quality(
    assignment_id: UUID, body: QualityReviewIn, uow: UnitOfWorkDep
) -> QualityReviewOut:
    review = await use_cases.review_quality(
        uow,
        ReviewQuality(
            assignment_id=assignment_id,
            measures=tuple(body.measures),
            rating=body.rating,
            reviewer=body.reviewer,
            findings=body.findings,
        ),
    )
    return QualityReviewOut(
        review_id=review.review_id,
        assignment_id=assignment_id,
        checklist=review.checklist.as_json(),
        service_standard_met=review.checklist.met,
        reviewed_at=review.reviewed_at,
        **body.model_dump(),
    )


@router.get(
    "/{assignment_id}/quality-reviews",
    dependencies=[STAFF, OWN_ASSIGNMENT],
    response_model=Page[QualityReviewOut],
    summary="Quality reviews of an assignment, by review time (reviewed_at, review_id)",
)
async def list_quality_reviews(
    assignment_id: UUID, uow: UnitOfWorkDep, paging: Paging
) -> Page[QualityReviewOut]:
    rows = await use_cases.quality_reviews(uow, assignment_id, paging)
    return paging.page([QualityReviewOut.model_validate(row) for row in rows])
