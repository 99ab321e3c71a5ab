"""The commands of a suspect's defense path: what a member of staff asks the procuratorate to do,
named in the imperative. A route builds one from the request; a use case in ``workflow/`` takes
the unit of work and the command. An instant left ``None`` is "now" by the unit of work's clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from defense_schemas.events.common import Applicant, Officer, RetainedCounsel
from defense_schemas.vocabulary import (
    DefenseChoice,
    EconomicTestExemption,
    NoticeItem,
    PersonRole,
    ProceduralDecisionKind,
    RefusalOutcome,
)


@dataclass(frozen=True)
class ApplicationForm:
    """The application form forwarded with an application for legal aid (LAL Art. 41-42):
    the center needs it to assess hardship and to tell the applicant its decision."""

    applicant: Applicant
    economic_hardship_statement: str | None = None
    exemption_grounds: tuple[EconomicTestExemption, ...] = ()
    materials: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordDecision:
    """The suspect's decision about a defender (记录在案; Measures Art. 3, 15)."""

    case_id: UUID
    suspect_id: UUID
    choice: DefenseChoice
    decided_by: PersonRole = PersonRole.SUSPECT
    note: str | None = None
    case_handler: Officer | None = None
    materials: tuple[str, ...] = ()
    decided_at: datetime | None = None
    application: ApplicationForm | None = None


@dataclass(frozen=True)
class SupplementNotice:
    """Supplement a letter at the aid center's request (Art. 3)."""

    case_id: UUID
    notice_id: UUID
    items: tuple[NoticeItem, ...]
    added_materials: tuple[str, ...] = ()
    supplemented_at: datetime | None = None


@dataclass(frozen=True)
class RuleRefusal:
    """Rule on the suspect's refusal of the appointed lawyer (Art. 5)."""

    case_id: UUID
    suspect_id: UUID
    assignment_id: UUID
    refusal_reason: str
    outcome: RefusalOutcome
    explanation: str | None = None


@dataclass(frozen=True)
class RequestReappointment:
    """Ask the center in writing to appoint another lawyer (另行指派, Art. 5)."""

    case_id: UUID
    suspect_id: UUID
    assignment_id: UUID


@dataclass(frozen=True)
class PermitSelfDefense:
    """Permit the suspect to defend themselves (Art. 5)."""

    case_id: UUID
    suspect_id: UUID
    statement: str


@dataclass(frozen=True)
class RetainCounsel:
    """Counsel retained by the suspect, or by relatives or a guardian with the suspect's own
    acceptance (Art. 6)."""

    case_id: UUID
    suspect_id: UUID
    counsel: RetainedCounsel
    retained_by: PersonRole = PersonRole.SUSPECT
    suspect_accepts: bool | None = None
    lawyer_id: UUID | None = None
    """The counsel's lawyer account, when staff link one: it reads the suspect's case."""


@dataclass(frozen=True)
class DismissCounsel:
    """The suspect dismissed retained counsel (Art. 6)."""

    case_id: UUID
    suspect_id: UUID
    retention_id: UUID
    note: str | None = None


@dataclass(frozen=True)
class CorrectFacts:
    """A fact about a suspect came to light: store it and reassess the whole case."""

    case_id: UUID
    suspect_id: UUID
    changes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DecideProcedure:
    """A procedural decision (Art. 10; CPL Art. 172, 175)."""

    case_id: UUID
    kind: ProceduralDecisionKind
    suspect_ids: tuple[UUID, ...] | None = None
    document_number: str | None = None
    receiving_unit: str | None = None
    court: str | None = None
    note: str | None = None
    decided_at: datetime | None = None
