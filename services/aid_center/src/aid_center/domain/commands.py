"""What staff and lawyers ask of the center over REST, as the use cases take it: plain data,
already parsed and authorised by the route."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from aid_center.domain.status import AssignmentStatus
from defense_schemas.vocabulary import (
    ActivityKind,
    ConflictKind,
    Gender,
    QualityMeasure,
    QualityRating,
    ReplacementReason,
    ServiceMode,
    TerminationReason,
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


@dataclass(frozen=True)
class AddFirm:
    name: str
    contact: str
    district: str | None = None


@dataclass(frozen=True)
class AddLawyer:
    """A lawyer put on the roster (their caseload is never stored: it is counted)."""

    firm_id: UUID
    name: str
    license_number: str
    contact: str
    gender: Gender
    criminal_practice_years: int
    max_concurrent_cases: int
    specialties: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    active: bool = True


@dataclass(frozen=True)
class UpdateLawyer:
    """The roster fields staff change; those absent from ``changes`` stay."""

    lawyer_id: UUID
    changes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AddWorkStation:
    name: str
    district: str
    host_kind: str
    host_name: str
    contact: str | None = None


@dataclass(frozen=True)
class PutOnRota:
    """A lawyer on a station's duty rota for every day from ``starts_on`` to ``ends_on``."""

    station_id: UUID
    lawyer_id: UUID
    starts_on: date
    ends_on: date
    mode: ServiceMode


@dataclass(frozen=True)
class AssignmentsQuery:
    """Which assignments a list shows: a lawyer's own (``own_lawyer_id``) or those of the
    center a staff member acts for (``center``), narrowed by the filters given."""

    center: str | None = None
    own_lawyer_id: UUID | None = None
    suspect_id: UUID | None = None
    case_id: UUID | None = None
    lawyer_id: UUID | None = None
    status: AssignmentStatus | None = None


@dataclass(frozen=True)
class ReportGround:
    """The appointed lawyer reports a ground for ending aid (LAL Art. 48 ¶2)."""

    assignment_id: UUID
    reason: TerminationReason
    statement: str


@dataclass(frozen=True)
class DecideReport:
    """Staff's decision on a lawyer's report: terminate the aid on its ground, or dismiss it;
    either way with the reasons."""

    report_id: UUID
    terminate: bool
    reasons: str
    decision_number: str | None = None


@dataclass(frozen=True)
class TerminateAid:
    """Staff's decision to end legal aid on a ground of LAL Art. 48 (终止法律援助决定)."""

    assignment_id: UUID
    reason: TerminationReason
    detail: str
    decision_number: str | None = None
