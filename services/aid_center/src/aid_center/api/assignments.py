"""Assignments (指派): who defends whom, replacement, conflicts reported by firms, the lawyer's
activity log and the center's quality reviews (Measures Art. 5, 7, 9, 13, 14)."""

from __future__ import annotations

import uuid
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
from aid_center.appointing import ACTIVE, appoint, now
from aid_center.db.tables import activities, assignments, conflict_reports, quality_reviews
from aid_center.domain.quality import meeting_overdue, service_standard_checklist
from aid_center.settings import AidCenterSettings
from defense_schemas.events.aid_center import (
    ConflictReported,
    LawyerActivityLogged,
    QualityReviewRecorded,
)
from defense_schemas.vocabulary import (
    ActivityKind,
    ConflictKind,
    QualityMeasure,
    QualityRating,
    ReplacementReason,
)
from legal_calendar import legal_date
from service_runtime.api_types import ApiDate
from service_runtime.deps import RuntimeDep, SessionDep
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES, Conflict, InvalidInput, NotFound

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
    status: str = Field(description="active or ended.")
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


async def _assignment(session: SessionDep, assignment_id: UUID) -> dict[str, Any]:
    row = (
        (
            await session.execute(
                sa.select(assignments).where(assignments.c.assignment_id == assignment_id)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("assignment", assignment_id)
    return dict(row)


@router.get("", response_model=list[AssignmentOut], summary="List assignments")
async def list_assignments(
    session: SessionDep,
    principal: StaffOrLawyer,
    suspect_id: Annotated[UUID | None, Query()] = None,
    case_id: Annotated[UUID | None, Query()] = None,
    lawyer_id: Annotated[UUID | None, Query()] = None,
    status: Annotated[str | None, Query(description="active or ended")] = None,
) -> list[AssignmentOut]:
    # A lawyer sees their own only; staff their center's.
    query = (
        sa.select(assignments).where(assignments_of(principal)).order_by(assignments.c.assigned_at)
    )
    for column, value in (
        (assignments.c.suspect_id, suspect_id),
        (assignments.c.case_id, case_id),
        (assignments.c.lawyer_id, lawyer_id),
        (assignments.c.status, status),
    ):
        if value is not None:
            query = query.where(column == value)
    rows = (await session.execute(query)).mappings()
    return [AssignmentOut.model_validate(dict(r)) for r in rows]


@router.get(
    "/overdue-meetings",
    dependencies=[STAFF],
    response_model=list[OverdueMeeting],
    summary="Active assignments whose lawyer has not met the suspect N days after assignment",
)
async def overdue_meetings(
    session: SessionDep,
    staff: Staff,
    runtime: RuntimeDep,
    as_of: Annotated[
        ApiDate | None,
        Query(description="The legal date to judge on (default: today, Asia/Shanghai)."),
    ] = None,
) -> list[OverdueMeeting]:
    settings = runtime.settings
    assert isinstance(settings, AidCenterSettings)
    met = sa.exists().where(
        activities.c.assignment_id == assignments.c.assignment_id,
        activities.c.kind == ActivityKind.MEETING.value,
    )
    rows = await session.execute(
        sa.select(assignments, met.label("met")).where(
            assignments.c.status == ACTIVE, assignment_in_center(center_of(staff))
        )
    )
    today = as_of or legal_date(now())
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
    return flagged


@router.get(
    "/{assignment_id}",
    response_model=AssignmentOut,
    summary="One assignment",
    dependencies=[OWN_ASSIGNMENT],
)
async def get_assignment(assignment_id: UUID, session: SessionDep) -> AssignmentOut:
    return AssignmentOut.model_validate(await _assignment(session, assignment_id))


async def _active(session: SessionDep, assignment_id: UUID) -> dict[str, Any]:
    row = await _assignment(session, assignment_id)
    if row["status"] != ACTIVE:
        raise Conflict(f"assignment {assignment_id} has ended", field="assignment_id")
    return row


@router.post(
    "/{assignment_id}/replacement",
    dependencies=[STAFF, OWN_ASSIGNMENT],
    response_model=ReplacementOut,
    summary="Replace the appointed lawyer (another lawyer; Measures Art. 5, 14)",
)
async def replace(
    assignment_id: UUID, body: ReplacementIn, session: SessionDep, runtime: RuntimeDep
) -> ReplacementOut:
    current = await _active(session, assignment_id)
    if current["notice_id"] is None and current["application_id"] is None:
        raise Conflict(
            "the assignment has neither notice nor application to reassign", field="assignment_id"
        )
    outcome = await appoint(
        session,
        runtime,
        current["notice_id"],
        application_id=current["application_id"],
        caused_by=None,
        replacing=current,
        replacement_reason=body.reason,
        detail=body.detail,
        manual_lawyer_id=body.lawyer_id,
        manual_reason=body.detail,
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
async def report_conflict(
    assignment_id: UUID, body: ConflictIn, session: SessionDep, runtime: RuntimeDep
) -> ConflictOut:
    current = await _active(session, assignment_id)
    if current["notice_id"] is None and current["application_id"] is None:
        raise Conflict(
            "the assignment has neither notice nor application to reassign", field="assignment_id"
        )
    if body.kind is ConflictKind.CO_SUSPECT_SAME_FIRM and not body.conflicting_suspect_ids:
        raise InvalidInput(
            "name the co-suspects the firm already defends", field="conflicting_suspect_ids"
        )
    at = now()
    report_id = uuid.uuid4()
    await session.execute(
        sa.insert(conflict_reports).values(
            report_id=report_id,
            assignment_id=assignment_id,
            suspect_id=current["suspect_id"],
            firm_id=current["firm_id"],
            kind=body.kind.value,
            conflicting_suspect_ids=[str(s) for s in body.conflicting_suspect_ids],
            detail=body.detail,
            reported_at=at,
        )
    )
    reported = await runtime.publisher.publish(
        session,
        ConflictReported(
            assignment_id=assignment_id,
            suspect_id=current["suspect_id"],
            lawyer_id=current["lawyer_id"],
            firm_id=current["firm_id"],
            kind=body.kind,
            conflicting_suspect_ids=tuple(dict.fromkeys(body.conflicting_suspect_ids)),
            reported_at=at,
            detail=body.detail,
        ),
        case_id=current["case_id"],
    )
    # The conflict report is now on record, so the engine excludes the whole firm.
    outcome = await appoint(
        session,
        runtime,
        current["notice_id"],
        application_id=current["application_id"],
        caused_by=reported,
        replacing=current,
        replacement_reason=ReplacementReason.CONFLICT_OF_INTEREST,
        detail=body.detail,
    )
    await session.execute(
        sa.update(conflict_reports)
        .where(conflict_reports.c.report_id == report_id)
        .values(replacement_assignment_id=outcome.assignment_id)
    )
    return ConflictOut(
        report_id=report_id,
        previous_assignment_id=assignment_id,
        assignment_id=outcome.assignment_id,
        decision=outcome.decision.explanation(),
    )


@router.post(
    "/{assignment_id}/activities",
    dependencies=[OWN_ASSIGNMENT],
    status_code=201,
    response_model=ActivityOut,
    summary="Log the lawyer's work: meeting, file review, investigation, written opinion",
)
async def log_activity(
    assignment_id: UUID, body: ActivityIn, session: SessionDep, runtime: RuntimeDep
) -> ActivityOut:
    current = await _assignment(session, assignment_id)
    today = legal_date(now())
    if body.performed_on > today:
        raise InvalidInput("work cannot be logged for a future day", field="performed_on")
    if body.performed_on < legal_date(current["assigned_at"]):
        raise InvalidInput("the work predates the assignment", field="performed_on")
    if current["ended_at"] is not None and body.performed_on > legal_date(current["ended_at"]):
        raise Conflict("the assignment had ended by that day", field="performed_on")
    activity_id = uuid.uuid4()
    await session.execute(
        sa.insert(activities).values(
            activity_id=activity_id,
            assignment_id=assignment_id,
            lawyer_id=current["lawyer_id"],
            kind=body.kind.value,
            performed_on=body.performed_on,
            duration_minutes=body.duration_minutes,
            note=body.note,
        )
    )
    await runtime.publisher.publish(
        session,
        LawyerActivityLogged(
            activity_id=activity_id,
            assignment_id=assignment_id,
            suspect_id=current["suspect_id"],
            lawyer_id=current["lawyer_id"],
            kind=body.kind,
            performed_on=body.performed_on,
            duration_minutes=body.duration_minutes,
            note=body.note,
        ),
        case_id=current["case_id"],
    )
    row = (
        (
            await session.execute(
                sa.select(activities).where(activities.c.activity_id == activity_id)
            )
        )
        .mappings()
        .one()
    )
    return ActivityOut.model_validate(dict(row))


@router.get(
    "/{assignment_id}/activities",
    response_model=list[ActivityOut],
    summary="The lawyer's work",
    dependencies=[OWN_ASSIGNMENT],
)
async def list_activities(assignment_id: UUID, session: SessionDep) -> list[ActivityOut]:
    await _assignment(session, assignment_id)
    rows = await session.execute(
        sa.select(activities)
        .where(activities.c.assignment_id == assignment_id)
        .order_by(activities.c.performed_on, activities.c.logged_at)
    )
    return [ActivityOut.model_validate(dict(r)) for r in rows.mappings()]


@router.post(
    "/{assignment_id}/quality-reviews",
    dependencies=[STAFF, OWN_ASSIGNMENT],
    status_code=201,
    response_model=QualityReviewOut,
    summary="Record a quality review (Measures Art. 14) with the service-standard checklist",
)
async def review_quality(
    assignment_id: UUID, body: QualityReviewIn, session: SessionDep, runtime: RuntimeDep
) -> QualityReviewOut:
    current = await _assignment(session, assignment_id)
    if len(set(body.measures)) != len(body.measures):
        raise InvalidInput("each measure once", field="measures")
    kinds = await session.scalars(
        sa.select(activities.c.kind).where(activities.c.assignment_id == assignment_id)
    )
    checklist = service_standard_checklist(ActivityKind(k) for k in kinds)
    review_id = uuid.uuid4()
    at = now()
    await session.execute(
        sa.insert(quality_reviews).values(
            review_id=review_id,
            assignment_id=assignment_id,
            measures=[m.value for m in body.measures],
            rating=body.rating.value,
            checklist=checklist.as_json(),
            service_standard_met=checklist.met,
            reviewer=body.reviewer,
            findings=body.findings,
            reviewed_at=at,
        )
    )
    await runtime.publisher.publish(
        session,
        QualityReviewRecorded(
            review_id=review_id,
            assignment_id=assignment_id,
            suspect_id=current["suspect_id"],
            lawyer_id=current["lawyer_id"],
            measures=tuple(body.measures),
            rating=body.rating,
            service_standard_met=checklist.met,
            reviewer=body.reviewer,
            reviewed_at=at,
            findings=body.findings,
        ),
        case_id=current["case_id"],
    )
    return QualityReviewOut(
        review_id=review_id,
        assignment_id=assignment_id,
        checklist=checklist.as_json(),
        service_standard_met=checklist.met,
        reviewed_at=at,
        **body.model_dump(),
    )


@router.get(
    "/{assignment_id}/quality-reviews",
    dependencies=[STAFF, OWN_ASSIGNMENT],
    response_model=list[QualityReviewOut],
    summary="Quality reviews of an assignment",
)
async def list_quality_reviews(assignment_id: UUID, session: SessionDep) -> list[QualityReviewOut]:
    await _assignment(session, assignment_id)
    rows = await session.execute(
        sa.select(quality_reviews)
        .where(quality_reviews.c.assignment_id == assignment_id)
        .order_by(quality_reviews.c.reviewed_at)
    )
    return [QualityReviewOut.model_validate(dict(r)) for r in rows.mappings()]
