"""Case subsidies (办案补贴, notice §四: 及时足额): standards loaded by staff, a claim opened
when a lawyer's work on the stage ends, the closing materials (结案材料) submitted by the
lawyer, staff's check against the service standard (notice §五, the activity log) and the
quality review, the approval (full, or reduced with the reason) and the payment (late or
short flagged). The rules are ``domain/subsidies.py``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from aid_center.domain.errors import NotKnown, RuleViolation, StateConflict
from aid_center.domain.quality import service_standard_checklist
from aid_center.domain.subsidies import (
    REVIEW_STAGE,
    ApprovedClaim,
    Granularity,
    PeriodBasis,
    SubsidyStandard,
    SubsidyStatistics,
    approval_refusal,
    case_kind_of,
    in_period,
    overdue,
    overlap,
    payment_due,
    payment_flags,
    standard_for,
    subsidy_statistics,
)
from aid_center.unit_of_work import AidCenterUnitOfWork
from defense_schemas import Envelope
from defense_schemas.events.aid_center import SubsidyApproved, SubsidyClaimed, SubsidyPaid
from defense_schemas.vocabulary import ActivityKind, CaseKind
from legal_calendar import legal_date
from service_runtime.paging import PageRequest

OPEN, SUBMITTED, APPROVED, PAID = "open", "submitted", "approved", "paid"


@dataclass(frozen=True)
class PutStandard:
    standard_id: UUID
    region: str
    stage: str
    case_kind: CaseKind
    valid_from: date
    valid_to: date | None
    amount_fen: int
    note: str | None = None


@dataclass(frozen=True)
class SubmitMaterials:
    claim_id: UUID
    materials: tuple[str, ...]


@dataclass(frozen=True)
class ApproveSubsidy:
    claim_id: UUID
    approved_amount_fen: int | None = None
    reduction_reason: str | None = None


@dataclass(frozen=True)
class RecordPayment:
    claim_id: UUID
    amount_fen: int
    paid_on: date
    reference: str


def _standard(row: dict[str, Any]) -> SubsidyStandard:
    return SubsidyStandard(
        standard_id=row["standard_id"],
        region=row["region"],
        stage=row["stage"],
        case_kind=CaseKind(row["case_kind"]),
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
        amount_fen=row["amount_fen"],
    )


async def put_standard(uow: AidCenterUnitOfWork, command: PutStandard) -> dict[str, Any]:
    """Load or correct a standard (no release needed). Refused when its period would give a
    day two amounts for the same region, stage and kind."""
    if command.valid_to is not None and command.valid_to < command.valid_from:
        raise RuleViolation("valid_to is before valid_from", field="valid_to")
    await uow.aid.lock_subsidy_standards()
    new = SubsidyStandard(
        command.standard_id,
        command.region,
        command.stage,
        command.case_kind,
        command.valid_from,
        command.valid_to,
        command.amount_fen,
    )
    for row in await uow.aid.list_subsidy_standards():
        other = _standard(row)
        if other.standard_id != new.standard_id and overlap(new, other):
            raise StateConflict(
                f"standard {other.standard_id} is in force on some of these days for the same "
                "region, stage and kind: end it first",
                field="valid_from",
            )
    values = {
        "standard_id": command.standard_id,
        "region": command.region,
        "stage": command.stage,
        "case_kind": command.case_kind.value,
        "valid_from": command.valid_from,
        "valid_to": command.valid_to,
        "amount_fen": command.amount_fen,
        "note": command.note,
        "updated_at": uow.now(),
    }
    await uow.aid.put_subsidy_standard(values)
    return values


async def _standard_on(
    uow: AidCenterUnitOfWork, district: str | None, case_kind: CaseKind, on: date
) -> SubsidyStandard | None:
    standards = [_standard(r) for r in await uow.aid.list_subsidy_standards()]
    return standard_for(
        standards,
        district=district,
        city=uow.settings.subsidy_city,
        stage=REVIEW_STAGE,
        case_kind=case_kind,
        on=on,
    )


async def open_claim(
    uow: AidCenterUnitOfWork, assignment_id: UUID, *, at: datetime, caused_by: Envelope | None
) -> UUID | None:
    """The lawyer's work on the stage ended (the assignment ended, or it was handed over to the
    trial stage): a claim at the standard in force that day. One claim per assignment."""
    context = await uow.aid.claim_context(assignment_id)
    if context is None or context["addressee_center"] is None:
        return None
    case_kind = case_kind_of(context["likely_sentence"])
    standard = await _standard_on(uow, context["district"], case_kind, legal_date(at))
    claim_id = uuid.uuid4()
    stored = await uow.aid.store_claim(
        {
            "claim_id": claim_id,
            "assignment_id": assignment_id,
            "case_id": context["case_id"],
            "suspect_id": context["suspect_id"],
            "lawyer_id": context["lawyer_id"],
            "firm_id": context["firm_id"],
            "addressee_center": context["addressee_center"],
            "district": context["district"],
            "stage": REVIEW_STAGE,
            "case_kind": case_kind.value,
            "standard_id": standard.standard_id if standard else None,
            "standard_amount_fen": standard.amount_fen if standard else None,
            "opened_at": at,
            "status": OPEN,
        }
    )
    if not stored:
        return None
    await uow.publish(
        SubsidyClaimed(
            claim_id=claim_id,
            assignment_id=assignment_id,
            suspect_id=context["suspect_id"],
            lawyer_id=context["lawyer_id"],
            firm_id=context["firm_id"],
            stage=REVIEW_STAGE,
            case_kind=case_kind,
            standard_amount_fen=standard.amount_fen if standard else None,
            opened_at=at,
        ),
        case_id=context["case_id"],
        caused_by=caused_by,
    )
    return claim_id


async def _held(uow: AidCenterUnitOfWork, claim_id: UUID) -> dict[str, Any]:
    claim = await uow.aid.claim(claim_id, for_update=True)
    if claim is None:
        raise NotKnown("subsidy claim", claim_id)
    return claim


def _expect(claim: dict[str, Any], status: str, doing: str) -> None:
    if claim["status"] != status:
        raise StateConflict(f"the claim is {claim['status']}: cannot {doing}", field="status")


async def submit_materials(uow: AidCenterUnitOfWork, command: SubmitMaterials) -> dict[str, Any]:
    """The lawyer hands in the closing materials (结案材料)."""
    claim = await _held(uow, command.claim_id)
    _expect(claim, OPEN, "submit materials")
    return await uow.aid.update_claim(
        command.claim_id,
        {
            "materials": list(command.materials),
            "materials_submitted_at": uow.now(),
            "status": SUBMITTED,
        },
    )


async def approve(uow: AidCenterUnitOfWork, command: ApproveSubsidy) -> dict[str, Any]:
    """Staff check the work against the service standard (the activity log) and the quality
    review, and approve the standard's amount, or less with the reason. Payment is due
    ``AID_CENTER_SUBSIDY_PAYMENT_DAYS`` after the approval."""
    claim = await _held(uow, command.claim_id)
    _expect(claim, SUBMITTED, "approve")
    standard_fen = claim["standard_amount_fen"]
    standard_id = claim["standard_id"]
    if standard_fen is None:
        # None was in force when the claim opened; one loaded since for that day counts.
        standard = await _standard_on(
            uow, claim["district"], CaseKind(claim["case_kind"]), legal_date(claim["opened_at"])
        )
        if standard is None:
            raise StateConflict(
                "no subsidy standard is in force for this claim's district, stage and kind: "
                "load one (PUT /subsidy-standards/{id})",
                field="standard_amount_fen",
            )
        standard_fen, standard_id = standard.amount_fen, standard.standard_id
    approved_fen = (
        command.approved_amount_fen if command.approved_amount_fen is not None else standard_fen
    )
    refused = approval_refusal(
        standard_fen=standard_fen,
        approved_fen=approved_fen,
        reduction_reason=command.reduction_reason,
    )
    if refused is not None:
        raise RuleViolation(refused[1], field=refused[0])
    kinds = [ActivityKind(k) for k in await uow.aid.activity_kinds(claim["assignment_id"])]
    checklist = service_standard_checklist(kinds)
    at = uow.now()
    due = payment_due(at, uow.settings.subsidy_payment_days, uow.calendar)
    due_on = due.due_on
    reason = command.reduction_reason if approved_fen < standard_fen else None
    written = await uow.aid.update_claim(
        command.claim_id,
        {
            "standard_id": standard_id,
            "standard_amount_fen": standard_fen,
            "checklist": checklist.as_json(),
            "service_standard_met": checklist.met,
            "quality_rating": await uow.aid.latest_quality_rating(claim["assignment_id"]),
            "approved_amount_fen": approved_fen,
            "reduction_reason": reason,
            "approved_at": at,
            "payment_due_on": due_on,
            "payment_days": uow.settings.subsidy_payment_days,
            "payment_due_provisional": due.provisional,
            "payment_due_missing_years": list(due.missing_years),
            "status": APPROVED,
        },
    )
    await uow.publish(
        SubsidyApproved(
            claim_id=command.claim_id,
            lawyer_id=claim["lawyer_id"],
            approved_amount_fen=approved_fen,
            standard_amount_fen=standard_fen,
            reduction_reason=reason,
            approved_at=at,
            payment_due_on=due_on,
            suspect_id=claim["suspect_id"],
            payment_due_provisional=due.provisional,
            payment_due_missing_years=due.missing_years,
        ),
        case_id=claim["case_id"],
        caused_by=None,
    )
    return written


async def record_payment(uow: AidCenterUnitOfWork, command: RecordPayment) -> dict[str, Any]:
    """The payment (date, amount, reference); flagged late after the day due, short below
    the amount approved."""
    claim = await _held(uow, command.claim_id)
    _expect(claim, APPROVED, "record a payment")
    if command.paid_on < legal_date(claim["approved_at"]):
        raise RuleViolation("paid before it was approved", field="paid_on")
    late, short = payment_flags(
        approved_fen=claim["approved_amount_fen"],
        due_on=claim["payment_due_on"],
        paid_fen=command.amount_fen,
        paid_on=command.paid_on,
    )
    written = await uow.aid.update_claim(
        command.claim_id,
        {
            "paid_amount_fen": command.amount_fen,
            "paid_on": command.paid_on,
            "payment_reference": command.reference,
            "paid_late": late,
            "paid_short": short,
            "status": PAID,
        },
    )
    await uow.publish(
        SubsidyPaid(
            claim_id=command.claim_id,
            lawyer_id=claim["lawyer_id"],
            paid_amount_fen=command.amount_fen,
            paid_on=command.paid_on,
            reference=command.reference,
            payment_due_on=claim["payment_due_on"],
            late=late,
            short=short,
        ),
        case_id=claim["case_id"],
        caused_by=None,
    )
    return written


async def claim_of(uow: AidCenterUnitOfWork, claim_id: UUID) -> dict[str, Any]:
    claim = await uow.aid.claim(claim_id)
    if claim is None:
        raise NotKnown("subsidy claim", claim_id)
    return claim


async def standards(
    uow: AidCenterUnitOfWork, page: PageRequest | None = None
) -> list[dict[str, Any]]:
    """Every standard, by region, stage, kind and start."""
    return await uow.aid.list_subsidy_standards(page)


async def claims(
    uow: AidCenterUnitOfWork,
    *,
    center: str | None,
    lawyer_id: UUID | None = None,
    status: str | None = None,
    page: PageRequest | None = None,
) -> list[dict[str, Any]]:
    """Claims by opening (opened_at, claim_id), each with ``overdue``: approved, unpaid and
    past the day due (on today's legal date)."""
    today = legal_date(uow.now())
    rows = await uow.aid.list_claims(center=center, lawyer_id=lawyer_id, status=status, page=page)
    return [
        row | {"overdue": overdue(row["payment_due_on"], row["paid_on"], today)} for row in rows
    ]


@dataclass(frozen=True)
class FinanceQuery:
    """The finance office's selection: a center's approved claims whose day (by ``basis``)
    falls in ``start``..``end``, of one firm or all."""

    center: str
    basis: PeriodBasis = PeriodBasis.APPROVAL
    granularity: Granularity = Granularity.MONTH
    start: date | None = None
    end: date | None = None
    firm_id: UUID | None = None


@dataclass(frozen=True)
class FinanceReport:
    statistics: SubsidyStatistics
    claims: list[dict[str, Any]]
    """Every claim selected, approved or not (a claim not approved yet has no day by either
    basis: it is listed only when no period is asked for)."""
    lawyers: dict[UUID, tuple[str, str]]
    """lawyer → (name, firm's name)"""
    firms: dict[UUID, str]


def _approved(row: dict[str, Any]) -> ApprovedClaim | None:
    if row["approved_at"] is None:
        return None
    return ApprovedClaim(
        claim_id=row["claim_id"],
        lawyer_id=row["lawyer_id"],
        firm_id=row["firm_id"],
        approved_fen=row["approved_amount_fen"],
        approved_on=legal_date(row["approved_at"]),
        due_on=row["payment_due_on"],
        paid_fen=row["paid_amount_fen"],
        paid_on=row["paid_on"],
    )


async def finance_report(uow: AidCenterUnitOfWork, query: FinanceQuery) -> FinanceReport:
    """Owed, paid, late and short, in total, per lawyer, per firm and per period, with the
    claims they count (notice §四: 及时足额)."""
    today = legal_date(uow.now())
    rows = await uow.aid.finance_claims(center=query.center, firm_id=query.firm_id)
    period_asked = query.start is not None or query.end is not None
    selected: list[dict[str, Any]] = []
    counted: list[ApprovedClaim] = []
    for row in rows:
        approved = _approved(row)
        if approved is not None and in_period(approved, query.basis, query.start, query.end):
            counted.append(approved)
        elif approved is not None or period_asked:
            continue
        selected.append(row | {"overdue": overdue(row["payment_due_on"], row["paid_on"], today)})
    return FinanceReport(
        statistics=subsidy_statistics(
            counted, today=today, basis=query.basis, granularity=query.granularity
        ),
        claims=selected,
        lawyers={r["lawyer_id"]: (r["lawyer_name"] or "", r["firm_name"] or "") for r in rows},
        firms={r["firm_id"]: r["firm_name"] or "" for r in rows},
    )
