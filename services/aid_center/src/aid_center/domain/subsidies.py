"""Case subsidies (办案补贴) for legal-aid lawyers, paid promptly and in full (notice §四:
及时足额向法律援助人员发放办案补贴). Pure: the standard that applies, what may be approved, when
payment is due, and whether a payment was late or short.

Standards are data (staff load and correct them without a release): one amount in fen per
region (a district, or the whole city), stage and kind of case, valid from a day until an
optional last day. A district's own standard beats the city's; among those in force the one in
force longest ago yields to the newer one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from defense_schemas.vocabulary import CaseKind, SentenceBand

REVIEW_STAGE = "review_for_prosecution"
"""The stage this platform covers (审查起诉阶段)."""


@dataclass(frozen=True)
class SubsidyStandard:
    standard_id: UUID
    region: str
    stage: str
    case_kind: CaseKind
    valid_from: date
    valid_to: date | None
    amount_fen: int

    def in_force_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def case_kind_of(likely_sentence: str | None) -> CaseKind:
    """A possible life or death sentence is a major case for the standards (LAL Art. 26 asks
    more of its lawyer); any other is ordinary."""
    if likely_sentence == SentenceBand.LIFE_OR_DEATH.value:
        return CaseKind.MAJOR_OR_COMPLEX
    return CaseKind.ORDINARY


def standard_for(
    standards: Iterable[SubsidyStandard],
    *,
    district: str | None,
    city: str,
    stage: str,
    case_kind: CaseKind,
    on: date,
) -> SubsidyStandard | None:
    """The standard in force on ``on`` for the district (else the city), stage and kind."""
    fitting = [
        s for s in standards if s.stage == stage and s.case_kind is case_kind and s.in_force_on(on)
    ]
    for region in (district, city):
        mine = [s for s in fitting if s.region == region]
        if mine:
            return max(mine, key=lambda s: (s.valid_from, str(s.standard_id)))
    return None


def overlap(a: SubsidyStandard, b: SubsidyStandard) -> bool:
    """Two standards for the same region, stage and kind whose periods share a day: one day
    would have two amounts."""
    if (a.region, a.stage, a.case_kind) != (b.region, b.stage, b.case_kind):
        return False
    a_end = a.valid_to or date.max
    b_end = b.valid_to or date.max
    return a.valid_from <= b_end and b.valid_from <= a_end


def approval_refusal(
    *, standard_fen: int, approved_fen: int, reduction_reason: str | None
) -> tuple[str, str] | None:
    """Why an approval is refused (the field at fault and the reason), or None: never more than
    the standard; less only with the reason stated (the lawyer is owed the standard in full
    unless the work fell short)."""
    if approved_fen > standard_fen:
        return "approved_amount_fen", (
            f"{approved_fen} fen is more than the standard's {standard_fen} fen"
        )
    if approved_fen < standard_fen and not reduction_reason:
        return "reduction_reason", "an amount below the standard needs the reason"
    return None


def payment_due(approved_on: date, days: int) -> date:
    """The last day to pay: ``days`` calendar days after the approval's day."""
    return approved_on + timedelta(days=days)


def payment_flags(
    *, approved_fen: int, due_on: date, paid_fen: int, paid_on: date
) -> tuple[bool, bool]:
    """(late, short): paid after the day due; paid less than approved."""
    return paid_on > due_on, paid_fen < approved_fen


def overdue(due_on: date | None, paid_on: date | None, today: date) -> bool:
    """Approved, unpaid, and the day due has passed."""
    return due_on is not None and paid_on is None and today > due_on
