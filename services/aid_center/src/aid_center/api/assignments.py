"""Assignments (指派): who defends whom, replacement, conflicts reported by firms, the lawyer's
activity log and the center's quality reviews (Measures Art. 5, 7, 9, 13, 14)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from aid_center.api.access import (
    OWN_ASSIGNMENT,
    STAFF,
    STAFF_OR_LAWYER,
    Staff,
    StaffOrLawyer,
    assignment_in_center,
    assignments_of,
    center_of,
)
from aid_center.db.tables import activities, assignments, quality_reviews
from aid_center.domain.commands import LogActivity, ReplaceLawyer, ReportConflict, ReviewQuality
from aid_center.domain.quality import meeting_overdue
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
from legal_calendar import legal_date
from service_runtime.api_types import ApiDate
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES
from service_runtime.paging import Page, Paging

# Staff and lawyers pass the router; each route narrows it (lawyers: their own work only).
router = APIRouter(
    prefix="/assignments",
    tags=["assignments"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    dependencies=[STAFF_OR_LAWYER],
)


class AssignmentOut(BaseModel):
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
    decision: dict[str, Any] = Field(description="Why this lawyer; who was passed over and why.")
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
    reason: ReplacementReason
    lawyer_id: UUID | None = Field(default=None, description="Staff's choice, else the engine.")
    detail: str | None = Field(default=None, min_length=1, max_length=4000)


class ReplacementOut(BaseModel):
    previous_assignment_id: UUID
    assignment_id: UUID | None = Field(description="None when nobody could be assigned.")
    decision: dict[str, Any]


class ConflictIn(BaseModel):
    kind: ConflictKind
    conflicting_suspect_ids: list[UUID] = Field(default_factory=list)
    detail: str | None = Field(default=None, min_length=1, max_length=4000)


class ConflictOut(ReplacementOut):
    report_id: UUID


class ActivityIn(BaseModel):
    kind: ActivityKind
    performed_on: ApiDate
    duration_minutes: int | None = Field(default=None, ge=1, le=1440)
    note: str | None = Field(default=None, min_length=1, max_length=4000)


class ActivityOut(ActivityIn):
    activity_id: UUID
    assignment_id: UUID
    lawyer_id: UUID
    logged_at: datetime


class QualityReviewIn(BaseModel):
    measures: list[QualityMeasure] = Field(
        min_length=1,
        description="Art. 14 measures used: court attendance, file inspection, "
        "the judicial organ's opinion, a follow-up visit.",
    )
    rating: QualityRating
    reviewer: str = Field(min_length=1, max_length=100)
    findings: str | None = Field(default=None, min_length=1, max_length=4000)


class QualityReviewOut(QualityReviewIn):
    review_id: UUID
    assignment_id: UUID
    checklist: dict[str, bool] = Field(description="The national service standard's acts.")
    service_standard_met: bool
    reviewed_at: datetime


class OverdueMeeting(BaseModel):
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
    query = sa.select(assignments).where(assignments_of(principal))
    for column, value in (
        (assignments.c.suspect_id, suspect_id),
        (assignments.c.case_id, case_id),
        (assignments.c.lawyer_id, lawyer_id),
        (assignments.c.status, status),
    ):
        if value is not None:
            query = query.where(column == value)
    order = [assignments.c.assigned_at, assignments.c.assignment_id]
    rows = await paging.fetch(uow.session, query, order)
    return paging.page([AssignmentOut.model_validate(dict(r._mapping)) for r in rows])


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
    settings = uow.settings
    met = sa.exists().where(
        activities.c.assignment_id == assignments.c.assignment_id,
        activities.c.kind == ActivityKind.MEETING.value,
    )
    rows = await uow.session.execute(
        sa.select(assignments, met.label("met")).where(
            assignments.c.status == AssignmentStatus.ACTIVE, assignment_in_center(center_of(staff))
        )
    )
    today = as_of or legal_date(uow.now())
    flagged = []
    for row in rows.mappings():
        assigned_on = legal_date(row["assigned_at"])
        if meeting_overdue(
            assigned_on, today, met_suspect=row["met"], flag_after_days=settings.meeting_flag_days
        ):
            flagged.append(
                OverdueMeeting(
                    assignment_id=row["assignment_id"],
                    suspect_id=row["suspect_id"],
                    lawyer_id=row["lawyer_id"],
                    assigned_on=assigned_on,
                    days_since_assignment=(today - assigned_on).days,
                )
            )
    return paging.page(paging.slice(flagged, key=lambda m: (m.assigned_on, m.assignment_id)))


@router.get(
    "/{assignment_id}",
    response_model=AssignmentOut,
    summary="One assignment",
    dependencies=[OWN_ASSIGNMENT],
)
async def get_assignment(assignment_id: UUID, uow: UnitOfWorkDep) -> AssignmentOut:
    return AssignmentOut.model_validate(await use_cases.assignment_of(uow, assignment_id))


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
    await use_cases.assignment_of(uow, assignment_id)
    rows = await paging.fetch(
        uow.session,
        sa.select(activities).where(activities.c.assignment_id == assignment_id),
        [activities.c.performed_on, activities.c.logged_at, activities.c.activity_id],
    )
    return paging.page([ActivityOut.model_validate(dict(r._mapping)) for r in rows])


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
    await use_cases.assignment_of(uow, assignment_id)
    rows = await paging.fetch(
        uow.session,
        sa.select(quality_reviews).where(quality_reviews.c.assignment_id == assignment_id),
        [quality_reviews.c.reviewed_at, quality_reviews.c.review_id],
    )
    return paging.page([QualityReviewOut.model_validate(dict(r._mapping)) for r in rows])
