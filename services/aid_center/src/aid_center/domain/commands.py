"""What staff and lawyers ask of the center over REST, as the use cases take it: plain data,
already parsed and authorised by the route."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from defense_schemas.vocabulary import (
    ActivityKind,
    ConflictKind,
    QualityMeasure,
    QualityRating,
    ReplacementReason,
)


@dataclass(frozen=True)
class AssignRequest:
    """A first assignment for an accepted or unassignable notice or application: the engine
    again, or the lawyer staff chose."""

    notice_id: UUID | None = None
    application_id: UUID | None = None
    lawyer_id: UUID | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ReplaceLawyer:
    assignment_id: UUID
    reason: ReplacementReason
    lawyer_id: UUID | None = None
    detail: str | None = None


@dataclass(frozen=True)
class ReportConflict:
    assignment_id: UUID
    kind: ConflictKind
    conflicting_suspect_ids: tuple[UUID, ...] = ()
    detail: str | None = None


@dataclass(frozen=True)
class LogActivity:
    assignment_id: UUID
    kind: ActivityKind
    performed_on: date
    duration_minutes: int | None = None
    note: str | None = None


@dataclass(frozen=True)
class ReviewQuality:
    assignment_id: UUID
    measures: tuple[QualityMeasure, ...]
    rating: QualityRating
    reviewer: str
    findings: str | None = None


@dataclass(frozen=True)
class RetryDutyRequest:
    request_id: UUID


@dataclass(frozen=True)
class RecordLeave:
    """A lawyer's leave (no appointment while on it)."""

    lawyer_id: UUID
    starts_on: date
    ends_on: date
    reason: str | None = None


@dataclass(frozen=True)
class CancelLeave:
    lawyer_id: UUID
    leave_id: UUID


@dataclass(frozen=True)
class SetPreviousStageLawyer:
    """The lawyer the center appointed for the suspect in the previous stage (continuity,
    Measures Art. 13 ¶1)."""

    suspect_id: UUID
    lawyer_id: UUID
    note: str | None = None
