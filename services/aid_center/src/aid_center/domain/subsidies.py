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
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from defense_schemas.vocabulary import CaseKind, SentenceBand
from legal_calendar import Deadline, LegalCalendar
from legal_calendar.deadlines import StatutoryPeriod
from legal_calendar.periods import CalendarDays

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


def payment_period(days: int) -> StatutoryPeriod:
    """The time to pay an approved subsidy, counted like the platform's other periods (the
    approval's day not counted; a last day that is a rest day moves to the next working day,
    on the legal calendar): the notice asks for prompt payment (及时) without a number of
    days, so the number is the local finance rule's (``AID_CENTER_SUBSIDY_PAYMENT_DAYS``)."""
    return StatutoryPeriod(
        name="subsidy_payment",
        period=CalendarDays(days),
        basis=f"notice §四 (及时足额), local rule: within {days} days of the approval",
    )


def payment_due(approved_at: datetime, days: int, calendar: LegalCalendar) -> Deadline:
    """The last day to pay; provisional (naming the years) when the calendar lacks a year the
    count needs, and counted again when that year is loaded (``calendar_recount.py``)."""
    return payment_period(days).due(approved_at, calendar)


def payment_flags(
    *, approved_fen: int, due_on: date, paid_fen: int, paid_on: date
) -> tuple[bool, bool]:
    """(late, short): paid after the day due; paid less than approved."""
    return paid_on > due_on, paid_fen < approved_fen


def overdue(due_on: date | None, paid_on: date | None, today: date) -> bool:
    """Approved, unpaid, and the day due has passed."""
    return due_on is not None and paid_on is None and today > due_on


# --- the finance office's figures -----------------------------------------------------------


class PeriodBasis(StrEnum):
    """Which day puts a claim in a period."""

    APPROVAL = "approval"
    """The day it was approved (what was committed in the period)."""
    PAYMENT = "payment"
    """The day it was paid, or for a claim still owed the day its payment is due (what the
    period's budget pays out, or should have)."""


class Granularity(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


@dataclass(frozen=True)
class ApprovedClaim:
    """An approved claim as the finance office counts it: what was approved, when payment was
    due, and what was paid when."""

    claim_id: UUID
    lawyer_id: UUID
    firm_id: UUID
    approved_fen: int
    approved_on: date
    due_on: date
    paid_fen: int | None = None
    paid_on: date | None = None

    @property
    def paid(self) -> bool:
        return self.paid_on is not None

    def day(self, basis: PeriodBasis) -> date:
        if basis is PeriodBasis.APPROVAL:
            return self.approved_on
        return self.paid_on if self.paid_on is not None else self.due_on


@dataclass(frozen=True)
class SubsidyFigures:
    """Counts and amounts (fen) of a group of approved claims.

    - approved: every approved claim, at the amount approved;
    - owed: approved and not paid yet, at the amount approved; overdue: those of them past
      their day due;
    - paid: paid, at the amount paid; late: paid after the day due (at the amount paid);
    - short: paid less than approved, at the shortfall.
    """

    approved_count: int = 0
    approved_fen: int = 0
    owed_count: int = 0
    owed_fen: int = 0
    overdue_count: int = 0
    overdue_fen: int = 0
    paid_count: int = 0
    paid_fen: int = 0
    late_count: int = 0
    late_fen: int = 0
    short_count: int = 0
    short_fen: int = 0


def subsidy_figures(claims: Iterable[ApprovedClaim], today: date) -> SubsidyFigures:
    counts: dict[str, int] = dict.fromkeys(SubsidyFigures.__dataclass_fields__, 0)

    def add(measure: str, fen: int) -> None:
        counts[f"{measure}_count"] += 1
        counts[f"{measure}_fen"] += fen

    for claim in claims:
        add("approved", claim.approved_fen)
        if claim.paid_on is None or claim.paid_fen is None:
            add("owed", claim.approved_fen)
            if overdue(claim.due_on, None, today):
                add("overdue", claim.approved_fen)
            continue
        add("paid", claim.paid_fen)
        late, short = payment_flags(
            approved_fen=claim.approved_fen,
            due_on=claim.due_on,
            paid_fen=claim.paid_fen,
            paid_on=claim.paid_on,
        )
        if late:
            add("late", claim.paid_fen)
        if short:
            add("short", claim.approved_fen - claim.paid_fen)
    return SubsidyFigures(**counts)


def period_of(day: date, granularity: Granularity) -> str:
    """`2026-03`, `2026-Q1` or `2026`."""
    if granularity is Granularity.YEAR:
        return f"{day.year}"
    if granularity is Granularity.QUARTER:
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


@dataclass(frozen=True)
class SubsidyStatistics:
    total: SubsidyFigures
    by_lawyer: dict[UUID, SubsidyFigures]
    by_firm: dict[UUID, SubsidyFigures]
    by_period: dict[str, SubsidyFigures]
    """Periods in order."""


def in_period(
    claim: ApprovedClaim, basis: PeriodBasis, start: date | None, end: date | None
) -> bool:
    """The claim's day (by ``basis``) falls within ``start``..``end`` (inclusive, open ends)."""
    day = claim.day(basis)
    return (start is None or start <= day) and (end is None or day <= end)


def subsidy_statistics(
    claims: Iterable[ApprovedClaim],
    *,
    today: date,
    basis: PeriodBasis,
    granularity: Granularity,
) -> SubsidyStatistics:
    """The figures in total, per lawyer, per firm and per period (the claim's day by
    ``basis``); each grouping divides the same claims, so its groups add up to the total."""
    chosen = list(claims)
    lawyers: dict[UUID, list[ApprovedClaim]] = {}
    firms: dict[UUID, list[ApprovedClaim]] = {}
    periods: dict[str, list[ApprovedClaim]] = {}
    for claim in chosen:
        lawyers.setdefault(claim.lawyer_id, []).append(claim)
        firms.setdefault(claim.firm_id, []).append(claim)
        periods.setdefault(period_of(claim.day(basis), granularity), []).append(claim)
    return SubsidyStatistics(
        total=subsidy_figures(chosen, today),
        by_lawyer={k: subsidy_figures(v, today) for k, v in lawyers.items()},
        by_firm={k: subsidy_figures(v, today) for k, v in firms.items()},
        by_period={k: subsidy_figures(periods[k], today) for k in sorted(periods)},
    )
