"""Staff's and lawyers' commands on requests and assignments: a first assignment by hand or by
the engine again, replacement, a firm's conflict report, the lawyer's activity log and the
center's quality review (Measures Art. 5, 7, 9, 13, 14)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from aid_center.domain.commands import (
    AssignmentsQuery,
    AssignRequest,
    LogActivity,
    ReplaceLawyer,
    ReportConflict,
    ReviewQuality,
)
from aid_center.domain.errors import NotKnown, RuleViolation, StateConflict
from aid_center.domain.quality import Checklist, meeting_overdue, service_standard_checklist
from aid_center.domain.status import FIRST_ASSIGNABLE, AssignmentStatus
from aid_center.unit_of_work import AidCenterUnitOfWork
from aid_center.use_cases.appointing import Appointment, appoint
from defense_schemas.events.aid_center import (
    ConflictReported,
    LawyerActivityLogged,
    QualityReviewRecorded,
)
from defense_schemas.vocabulary import ActivityKind, ConflictKind, ReplacementReason
from legal_calendar import legal_date
from service_runtime.paging import PageRequest


async def assign_request(uow: AidCenterUnitOfWork, command: AssignRequest) -> Appointment:
    """A first assignment for an accepted or unassignable notice or application."""
    request = await uow.aid.find_request(
        notice_id=command.notice_id, application_id=command.application_id
    )
    what = "notice" if command.notice_id is not None else "application"
    if request is None:
        raise NotKnown(what, command.notice_id or command.application_id)
    status = request.row["status"]
    if status not in FIRST_ASSIGNABLE:
        if command.notice_id is not None:
            message = (
                f"notice {command.notice_id} is {status}; only an accepted or unassignable "
                "notice gets a first assignment (replace an assigned lawyer through the "
                "assignment)"
            )
        else:
            message = (
                f"application {command.application_id} is {status}; only an accepted or "
                "unassignable application gets a first assignment"
            )
        raise StateConflict(message, field="status")
    return await appoint(
        uow,
        command.notice_id,
        application_id=command.application_id,
        caused_by=None,
        manual_lawyer_id=command.lawyer_id,
        manual_reason=command.reason,
    )


async def assignment_of(uow: AidCenterUnitOfWork, assignment_id: UUID) -> dict[str, Any]:
    found = await uow.aid.assignment(assignment_id)
    if found is None:
        raise NotKnown("assignment", assignment_id)
    return found


async def _reassignable(uow: AidCenterUnitOfWork, assignment_id: UUID) -> dict[str, Any]:
    current = await assignment_of(uow, assignment_id)
    if current["status"] != AssignmentStatus.ACTIVE:
        raise StateConflict(f"assignment {assignment_id} has ended", field="assignment_id")
    if current["notice_id"] is None and current["application_id"] is None:
        raise StateConflict(
            "the assignment has neither notice nor application to reassign", field="assignment_id"
        )
    return current


async def replace_lawyer(uow: AidCenterUnitOfWork, command: ReplaceLawyer) -> Appointment:
    """Another lawyer for the suspect: staff's choice, or the engine's."""
    current = await _reassignable(uow, command.assignment_id)
    return await appoint(
        uow,
        current["notice_id"],
        application_id=current["application_id"],
        caused_by=None,
        replacing=current,
        replacement_reason=command.reason,
        detail=command.detail,
        manual_lawyer_id=command.lawyer_id,
        manual_reason=command.detail,
    )


@dataclass(frozen=True)
class ConflictOutcome:
    report_id: UUID
    appointment: Appointment


async def report_conflict(uow: AidCenterUnitOfWork, command: ReportConflict) -> ConflictOutcome:
    """Measures Art. 13: the firm found a conflict; the suspect is reassigned to a lawyer of
    another firm (the report on record excludes the whole firm), or becomes unassignable."""
    current = await _reassignable(uow, command.assignment_id)
    if command.kind is ConflictKind.CO_SUSPECT_SAME_FIRM and not command.conflicting_suspect_ids:
        raise RuleViolation(
            "name the co-suspects the firm already defends", field="conflicting_suspect_ids"
        )
    at = uow.now()
    report_id = uuid.uuid4()
    await uow.aid.add_conflict_report(
        {
            "report_id": report_id,
            "assignment_id": command.assignment_id,
            "suspect_id": current["suspect_id"],
            "firm_id": current["firm_id"],
            "kind": command.kind.value,
            "conflicting_suspect_ids": [str(s) for s in command.conflicting_suspect_ids],
            "detail": command.detail,
            "reported_at": at,
        }
    )
    reported = await uow.publish(
        ConflictReported(
            assignment_id=command.assignment_id,
            suspect_id=current["suspect_id"],
            lawyer_id=current["lawyer_id"],
            firm_id=current["firm_id"],
            kind=command.kind,
            conflicting_suspect_ids=tuple(dict.fromkeys(command.conflicting_suspect_ids)),
            reported_at=at,
            detail=command.detail,
        ),
        case_id=current["case_id"],
    )
    appointment = await appoint(
        uow,
        current["notice_id"],
        application_id=current["application_id"],
        caused_by=reported,
        at=at,
        replacing=current,
        replacement_reason=ReplacementReason.CONFLICT_OF_INTEREST,
        detail=command.detail,
    )
    await uow.aid.link_conflict_replacement(report_id, appointment.assignment_id)
    return ConflictOutcome(report_id, appointment)


async def log_activity(uow: AidCenterUnitOfWork, command: LogActivity) -> dict[str, Any]:
    """The lawyer's work on the assignment, on a day within it. Returns the row written."""
    current = await assignment_of(uow, command.assignment_id)
    if command.performed_on > legal_date(uow.now()):
        raise RuleViolation("work cannot be logged for a future day", field="performed_on")
    if command.performed_on < legal_date(current["assigned_at"]):
        raise RuleViolation("the work predates the assignment", field="performed_on")
    if current["ended_at"] is not None and command.performed_on > legal_date(current["ended_at"]):
        raise StateConflict("the assignment had ended by that day", field="performed_on")
    activity_id = uuid.uuid4()
    row = await uow.aid.add_activity(
        {
            "activity_id": activity_id,
            "assignment_id": command.assignment_id,
            "lawyer_id": current["lawyer_id"],
            "kind": command.kind.value,
            "performed_on": command.performed_on,
            "duration_minutes": command.duration_minutes,
            "note": command.note,
        }
    )
    await uow.publish(
        LawyerActivityLogged(
            activity_id=activity_id,
            assignment_id=command.assignment_id,
            suspect_id=current["suspect_id"],
            lawyer_id=current["lawyer_id"],
            kind=command.kind,
            performed_on=command.performed_on,
            duration_minutes=command.duration_minutes,
            note=command.note,
        ),
        case_id=current["case_id"],
    )
    return row


@dataclass(frozen=True)
class QualityReview:
    review_id: UUID
    checklist: Checklist
    reviewed_at: Any


async def review_quality(uow: AidCenterUnitOfWork, command: ReviewQuality) -> QualityReview:
    """A quality review (Measures Art. 14) with the national service standard's checklist,
    judged from the lawyer's logged work."""
    current = await assignment_of(uow, command.assignment_id)
    if len(set(command.measures)) != len(command.measures):
        raise RuleViolation("each measure once", field="measures")
    kinds = await uow.aid.activity_kinds(command.assignment_id)
    checklist = service_standard_checklist(ActivityKind(k) for k in kinds)
    review_id = uuid.uuid4()
    at = uow.now()
    await uow.aid.add_quality_review(
        {
            "review_id": review_id,
            "assignment_id": command.assignment_id,
            "measures": [m.value for m in command.measures],
            "rating": command.rating.value,
            "checklist": checklist.as_json(),
            "service_standard_met": checklist.met,
            "reviewer": command.reviewer,
            "findings": command.findings,
            "reviewed_at": at,
        }
    )
    await uow.publish(
        QualityReviewRecorded(
            review_id=review_id,
            assignment_id=command.assignment_id,
            suspect_id=current["suspect_id"],
            lawyer_id=current["lawyer_id"],
            measures=command.measures,
            rating=command.rating,
            service_standard_met=checklist.met,
            reviewer=command.reviewer,
            reviewed_at=at,
            findings=command.findings,
        ),
        case_id=current["case_id"],
    )
    return QualityReview(review_id, checklist, at)


async def assignments_where(
    uow: AidCenterUnitOfWork, wanted: AssignmentsQuery, page: PageRequest | None = None
) -> list[dict[str, Any]]:
    """The assignments ``wanted`` names (a lawyer's own, or a center's), by assignment time
    (assigned_at, assignment_id)."""
    return await uow.aid.assignments_where(wanted, page)


async def overdue_meetings(
    uow: AidCenterUnitOfWork,
    center: str,
    *,
    as_of: date | None = None,
    page: PageRequest | None = None,
) -> list[dict[str, Any]]:
    """The center's active assignments whose lawyer has not met the suspect the settings' days
    after the assignment (Measures Art. 7), judged on the legal date ``as_of`` (default today),
    by assignment day (assigned_on, assignment_id)."""
    today = as_of or legal_date(uow.now())
    flagged = []
    for row in await uow.aid.active_assignments_of_center(center):
        assigned_on = legal_date(row["assigned_at"])
        if meeting_overdue(
            assigned_on,
            today,
            met_suspect=row["met"],
            flag_after_days=uow.settings.meeting_flag_days,
        ):
            flagged.append(
                {
                    "assignment_id": row["assignment_id"],
                    "suspect_id": row["suspect_id"],
                    "lawyer_id": row["lawyer_id"],
                    "assigned_on": assigned_on,
                    "days_since_assignment": (today - assigned_on).days,
                }
            )

    # The flag is judged per day, so the page is cut from the judged list (same keyset).
    def order(item: dict[str, Any]) -> tuple[Any, ...]:
        return (item["assigned_on"], item["assignment_id"])

    if page is None:
        return sorted(flagged, key=order)
    return page.slice(flagged, key=order)


async def activities(
    uow: AidCenterUnitOfWork, assignment_id: UUID, page: PageRequest | None = None
) -> list[dict[str, Any]]:
    """The lawyer's work on the assignment by day performed (performed_on, logged_at,
    activity_id)."""
    await assignment_of(uow, assignment_id)
    return await uow.aid.activities_of(assignment_id, page)


async def quality_reviews(
    uow: AidCenterUnitOfWork, assignment_id: UUID, page: PageRequest | None = None
) -> list[dict[str, Any]]:
    """The assignment's quality reviews by review time (reviewed_at, review_id)."""
    await assignment_of(uow, assignment_id)
    return await uow.aid.quality_reviews_of(assignment_id, page)
