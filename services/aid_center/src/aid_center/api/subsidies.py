"""Case subsidies (办案补贴, notice §四): the standards staff load and correct, and the claims —
the lawyer's closing materials, staff's approval (full, or reduced with the reason) and the
payment (late or short flagged). Amounts are integers in fen."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Self
from uuid import UUID, uuid4

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from aid_center.api.access import (
    STAFF,
    STAFF_OR_LAWYER,
    Staff,
    StaffOrLawyer,
    center_of,
    lawyer_uuid,
)
from aid_center.documents.subsidy_workbook import ClaimLine, subsidy_workbook
from aid_center.domain.subsidies import REVIEW_STAGE, Granularity, PeriodBasis, SubsidyFigures
from aid_center.unit_of_work import UnitOfWorkDep
from aid_center.use_cases import subsidies as use_cases
from defense_schemas.vocabulary import CaseKind
from legal_calendar import legal_date
from official_documents import content_disposition
from service_runtime.api_types import ApiDate
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES, InvalidInput, NotFound
from service_runtime.paging import Page, Paging
from service_runtime.security.principal import Principal

standards_router = APIRouter(
    prefix="/subsidy-standards",
    tags=["subsidies"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    dependencies=[STAFF],
)
claims_router = APIRouter(
    prefix="/subsidy-claims",
    tags=["subsidies"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    dependencies=[STAFF_OR_LAWYER],
)
finance_router = APIRouter(
    prefix="/subsidies",
    tags=["subsidies"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    dependencies=[STAFF],
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_STANDARD: JsonDict = {
    "region": "河东区",
    "stage": REVIEW_STAGE,
    "case_kind": "ordinary",
    "valid_from": "2026-01-01",
    "valid_to": None,
    "amount_fen": 150000,
    "note": "审查起诉阶段刑事辩护",
}
_CLAIM: JsonDict = {
    "claim_id": "0c3a9f1e-5d2b-4e7a-9b1c-2d3e4f5a6b01",
    "assignment_id": "1d4b0a2f-6e3c-4f8b-8c2d-3e4f5a6b7c02",
    "case_id": "2e5c1b3a-7f4d-4a9c-9d3e-4f5a6b7c8d03",
    "suspect_id": "3f6d2c4b-8a5e-4b0d-8e4f-5a6b7c8d9e04",
    "lawyer_id": "4a7e3d5c-9b6f-4c1e-9f5a-6b7c8d9e0f05",
    "firm_id": "5b8f4e6d-0c7a-4d2f-8a6b-7c8d9e0f1a06",
    "addressee_center": "天津市河东区法律援助中心",
    "district": "河东区",
    "stage": REVIEW_STAGE,
    "case_kind": "ordinary",
    "standard_id": "6c9a5f7e-1d8b-4e3a-9b7c-8d9e0f1a2b07",
    "standard_amount_fen": 150000,
    "opened_at": "2026-04-01T10:00:00+08:00",
    "status": "paid",
    "materials": ["结案报告", "书面辩护意见", "会见笔录"],
    "materials_submitted_at": "2026-04-02T10:00:00+08:00",
    "checklist": {
        "meeting": True,
        "file_review": True,
        "investigation": False,
        "written_opinion": True,
    },
    "service_standard_met": False,
    "quality_rating": "needs_improvement",
    "approved_amount_fen": 120000,
    "reduction_reason": "未开展调查取证",
    "approved_at": "2026-04-03T10:00:00+08:00",
    "payment_due_on": "2026-05-03",
    "payment_due_provisional": False,
    "payment_due_missing_years": [],
    "paid_amount_fen": 120000,
    "paid_on": "2026-05-10",
    "payment_reference": "津河东财付〔2026〕88号",
    "paid_late": True,
    "paid_short": False,
    "overdue": False,
}


class StandardIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_STANDARD]})

    region: str = Field(
        min_length=1,
        max_length=50,
        description="A district, or the city (AID_CENTER_SUBSIDY_CITY).",
    )
    stage: str = Field(default=REVIEW_STAGE, min_length=1, max_length=50)
    case_kind: CaseKind
    valid_from: ApiDate
    valid_to: ApiDate | None = Field(default=None, description="The last day; none: open-ended.")
    amount_fen: int = Field(gt=0, le=100_000_000, description="The amount, in fen (integer).")
    note: str | None = Field(default=None, min_length=1, max_length=4000)


class StandardOut(StandardIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_STANDARD,
                    "standard_id": "6c9a5f7e-1d8b-4e3a-9b7c-8d9e0f1a2b07",
                    "updated_at": "2026-01-02T09:00:00+08:00",
                }
            ]
        }
    )

    standard_id: UUID
    updated_at: datetime


class ClaimOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_CLAIM]})

    claim_id: UUID
    assignment_id: UUID
    case_id: UUID
    suspect_id: UUID
    lawyer_id: UUID
    firm_id: UUID
    addressee_center: str
    district: str | None
    stage: str
    case_kind: CaseKind
    standard_id: UUID | None
    standard_amount_fen: int | None = Field(description="None: no standard was in force.")
    opened_at: datetime = Field(description="When the work on the stage ended.")
    status: str = Field(description="open, submitted, approved or paid.")
    materials: list[str] = Field(description="The closing materials (结案材料).")
    materials_submitted_at: datetime | None
    checklist: dict[str, bool] | None = Field(
        description="The service standard (notice §五) as the activity log shows it."
    )
    service_standard_met: bool | None
    quality_rating: str | None = Field(description="The latest quality review's rating.")
    approved_amount_fen: int | None
    reduction_reason: str | None
    approved_at: datetime | None
    payment_due_on: date | None = Field(
        description="The approval's day + AID_CENTER_SUBSIDY_PAYMENT_DAYS, counted on the legal "
        "calendar (a rest day moves to the next working day)."
    )
    payment_due_provisional: bool = Field(
        default=False,
        description="Counted on a guessed calendar (a year without data); counted again when "
        "the year is loaded.",
    )
    payment_due_missing_years: list[int] = Field(
        default_factory=list, description="The years the day due was guessed for."
    )
    paid_amount_fen: int | None
    paid_on: date | None
    payment_reference: str | None
    paid_late: bool | None = Field(description="Paid after the day due.")
    paid_short: bool | None = Field(description="Paid less than approved.")
    overdue: bool = Field(default=False, description="Approved, unpaid, past the day due.")


class MaterialsIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"materials": ["结案报告", "书面辩护意见", "会见笔录"]}]}
    )

    materials: list[str] = Field(min_length=1, max_length=50)


class ApprovalIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"approved_amount_fen": 120000, "reduction_reason": "未开展调查取证"}]
        }
    )

    approved_amount_fen: int | None = Field(
        default=None, ge=0, le=100_000_000, description="Default: the standard's amount."
    )
    reduction_reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=4000,
        description="Required when less than the standard is approved.",
    )


class PaymentIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "amount_fen": 120000,
                    "paid_on": "2026-05-10",
                    "reference": "津河东财付〔2026〕88号",
                }
            ]
        }
    )

    amount_fen: int = Field(ge=0, le=100_000_000)
    paid_on: ApiDate
    reference: str = Field(min_length=1, max_length=100)


@standards_router.post(
    "",
    status_code=201,
    response_model=StandardOut,
    summary="Load a subsidy standard, or correct one (same standard_id)",
    description="Per region (district or city), stage and kind of case, with its validity; "
    "a period overlapping another standard of the same region, stage and kind is a 409.",
)
async def put_standard(
    body: StandardIn,
    uow: UnitOfWorkDep,
    standard_id: Annotated[
        UUID | None, Query(description="The standard to correct; none: a new one.")
    ] = None,
) -> StandardOut:
    written = await use_cases.put_standard(
        uow, use_cases.PutStandard(standard_id=standard_id or uuid4(), **body.model_dump())
    )
    return StandardOut.model_validate(written)


@standards_router.get(
    "",
    response_model=Page[StandardOut],
    summary="List subsidy standards (region, stage, case_kind, valid_from, standard_id)",
    description="Every standard loaded, in force or not: staff check what a day pays.",
)
async def list_standards(uow: UnitOfWorkDep, paging: Paging) -> Page[StandardOut]:
    rows = await use_cases.standards(uow, paging)
    return paging.page([StandardOut.model_validate(r) for r in rows])


def _visible(claim: dict[str, Any], principal: Principal) -> bool:
    lawyer_id = lawyer_uuid(principal)
    if lawyer_id is not None:
        return bool(claim["lawyer_id"] == lawyer_id)
    return bool(claim["addressee_center"] == center_of(principal))


async def _claim(uow: UnitOfWorkDep, claim_id: UUID, principal: Principal) -> dict[str, Any]:
    claim = await use_cases.claim_of(uow, claim_id)
    if not _visible(claim, principal):
        raise NotFound("subsidy claim", claim_id)
    return claim


@claims_router.get(
    "",
    response_model=Page[ClaimOut],
    summary="List subsidy claims, by opening (opened_at, claim_id)",
    description="Staff see their center's; a lawyer their own.",
)
async def list_claims(
    uow: UnitOfWorkDep,
    principal: StaffOrLawyer,
    paging: Paging,
    status: Annotated[str | None, Query(description="open, submitted, approved or paid")] = None,
) -> Page[ClaimOut]:
    lawyer_id = lawyer_uuid(principal)
    rows = await use_cases.claims(
        uow,
        center=None if lawyer_id is not None else center_of(principal),
        lawyer_id=lawyer_id,
        status=status,
        page=paging,
    )
    return paging.page([ClaimOut.model_validate(r) for r in rows])


@claims_router.get(
    "/{claim_id}",
    response_model=ClaimOut,
    summary="One subsidy claim",
    description="Its standard, materials, checklist, approval and payment; a lawyer sees "
    "their own only, staff their center's (another's is a 404).",
)
async def get_claim(claim_id: UUID, uow: UnitOfWorkDep, principal: StaffOrLawyer) -> ClaimOut:
    return ClaimOut.model_validate(await _claim(uow, claim_id, principal))


@claims_router.post(
    "/{claim_id}/materials",
    response_model=ClaimOut,
    summary="Submit the closing materials (结案材料) of a claim",
    description="The lawyer (or staff on their behalf), once, while the claim is open.",
)
async def submit_materials(
    claim_id: UUID, body: MaterialsIn, uow: UnitOfWorkDep, principal: StaffOrLawyer
) -> ClaimOut:
    await _claim(uow, claim_id, principal)
    row = await use_cases.submit_materials(
        uow, use_cases.SubmitMaterials(claim_id, tuple(body.materials))
    )
    return ClaimOut.model_validate(row)


@claims_router.post(
    "/{claim_id}/approval",
    response_model=ClaimOut,
    dependencies=[STAFF],
    summary="Approve a claim: the standard's amount, or less with the reason",
    description="Checked against the service standard (the activity log) and the latest "
    "quality review, both kept on the claim; SubsidyApproved with the day payment is due.",
)
async def approve(claim_id: UUID, body: ApprovalIn, uow: UnitOfWorkDep, staff: Staff) -> ClaimOut:
    await _claim(uow, claim_id, staff)
    row = await use_cases.approve(
        uow,
        use_cases.ApproveSubsidy(claim_id, body.approved_amount_fen, body.reduction_reason),
    )
    return ClaimOut.model_validate(row)


@claims_router.post(
    "/{claim_id}/payment",
    response_model=ClaimOut,
    dependencies=[STAFF],
    summary="Record a claim's payment (date, amount, reference); late and short flagged",
    description="Only for an approved claim, once; SubsidyPaid says whether it was late "
    "(after payment_due_on) or short (less than approved).",
)
async def record_payment(
    claim_id: UUID, body: PaymentIn, uow: UnitOfWorkDep, staff: Staff
) -> ClaimOut:
    await _claim(uow, claim_id, staff)
    row = await use_cases.record_payment(
        uow,
        use_cases.RecordPayment(claim_id, body.amount_fen, body.paid_on, body.reference),
    )
    return ClaimOut.model_validate(row)


# --- the finance office ---------------------------------------------------------------------

_FIGURES: JsonDict = {
    "approved_count": 3,
    "approved_fen": 420000,
    "owed_count": 1,
    "owed_fen": 150000,
    "overdue_count": 1,
    "overdue_fen": 150000,
    "paid_count": 2,
    "paid_fen": 250000,
    "late_count": 1,
    "late_fen": 120000,
    "short_count": 1,
    "short_fen": 20000,
}
_LAWYER = "4a7e3d5c-9b6f-4c1e-9f5a-6b7c8d9e0f05"
_FIRM = "5b8f4e6d-0c7a-4d2f-8a6b-7c8d9e0f1a06"


class FiguresOut(BaseModel):
    """Counts and amounts in fen of approved claims: approved; owed (approved, unpaid — at
    the amount approved) and, of those, overdue (past the day due); paid (at the amount
    paid) and, of those, late (paid after the day due); short (paid less than approved — at
    the shortfall)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_FIGURES]})

    approved_count: int
    approved_fen: int
    owed_count: int
    owed_fen: int
    overdue_count: int
    overdue_fen: int
    paid_count: int
    paid_fen: int
    late_count: int
    late_fen: int
    short_count: int
    short_fen: int = Field(description="Approved minus paid, over the claims paid short.")

    @classmethod
    def of(cls, figures: SubsidyFigures, **keys: Any) -> Self:
        return cls.model_validate({**figures.__dict__, **keys})


class LawyerFiguresOut(FiguresOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_FIGURES,
                    "lawyer_id": _LAWYER,
                    "lawyer_name": "张律师",
                    "firm_name": "天津某某律师事务所",
                }
            ]
        }
    )

    lawyer_id: UUID
    lawyer_name: str
    firm_name: str


class FirmFiguresOut(FiguresOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{**_FIGURES, "firm_id": _FIRM, "firm_name": "天津某某律师事务所"}]
        }
    )

    firm_id: UUID
    firm_name: str


class PeriodFiguresOut(FiguresOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{**_FIGURES, "period": "2026-04"}]})

    period: str = Field(description="2026-04, 2026-Q2 or 2026.")


class SubsidyStatisticsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "basis": "approval",
                    "granularity": "month",
                    "period_from": "2026-04-01",
                    "period_to": "2026-06-30",
                    "firm_id": None,
                    "total": _FIGURES,
                    "lawyers": [
                        {
                            **_FIGURES,
                            "lawyer_id": _LAWYER,
                            "lawyer_name": "张律师",
                            "firm_name": "天津某某律师事务所",
                        }
                    ],
                    "firms": [{**_FIGURES, "firm_id": _FIRM, "firm_name": "天津某某律师事务所"}],
                    "periods": [{**_FIGURES, "period": "2026-04"}],
                }
            ]
        }
    )

    basis: PeriodBasis
    granularity: Granularity
    period_from: date | None
    period_to: date | None
    firm_id: UUID | None
    total: FiguresOut
    lawyers: list[LawyerFiguresOut] = Field(description="By the lawyer's name.")
    firms: list[FirmFiguresOut] = Field(description="By the firm's name.")
    periods: list[PeriodFiguresOut] = Field(description="In order.")


BasisQuery = Annotated[
    PeriodBasis,
    Query(
        description="What puts a claim in a period: `approval` — the day it was approved; "
        "`payment` — the day it was paid, or, still owed, the day its payment is due."
    ),
]
GranularityQuery = Annotated[Granularity, Query(description="month, quarter or year.")]
FromQuery = Annotated[
    ApiDate | None, Query(description="The first day of the period (by `basis`), inclusive.")
]
ToQuery = Annotated[
    ApiDate | None, Query(description="The last day of the period (by `basis`), inclusive.")
]
FirmQuery = Annotated[UUID | None, Query(description="One firm's claims only.")]


def _finance_query(
    staff: Principal,
    basis: PeriodBasis,
    granularity: Granularity,
    period_from: date | None,
    period_to: date | None,
    firm_id: UUID | None,
) -> use_cases.FinanceQuery:
    if period_from is not None and period_to is not None and period_to < period_from:
        raise InvalidInput("period_to is before period_from", field="period_to", where="query")
    return use_cases.FinanceQuery(
        center=center_of(staff),
        basis=basis,
        granularity=granularity,
        start=period_from,
        end=period_to,
        firm_id=firm_id,
    )


@finance_router.get(
    "/statistics",
    response_model=SubsidyStatisticsOut,
    summary="Subsidies owed, paid, late and short: in total, per lawyer, per firm and per period",
    description="The center's approved claims (counts, and amounts in fen), grouped by "
    "lawyer, firm and period (month, quarter or year of the approval day, or of the payment "
    "day — a claim still owed by its day due); `period_from`/`period_to` and `firm_id` "
    "narrow them. Each grouping adds up to the total. Staff of the center only.",
)
async def get_subsidy_statistics(
    uow: UnitOfWorkDep,
    staff: Staff,
    basis: BasisQuery = PeriodBasis.APPROVAL,
    granularity: GranularityQuery = Granularity.MONTH,
    period_from: FromQuery = None,
    period_to: ToQuery = None,
    firm_id: FirmQuery = None,
) -> SubsidyStatisticsOut:
    query = _finance_query(staff, basis, granularity, period_from, period_to, firm_id)
    report = await use_cases.finance_report(uow, query)
    stats = report.statistics
    return SubsidyStatisticsOut(
        basis=basis,
        granularity=granularity,
        period_from=period_from,
        period_to=period_to,
        firm_id=firm_id,
        total=FiguresOut.of(stats.total),
        lawyers=sorted(
            (
                LawyerFiguresOut.of(
                    figures,
                    lawyer_id=lawyer_id,
                    lawyer_name=report.lawyers[lawyer_id][0],
                    firm_name=report.lawyers[lawyer_id][1],
                )
                for lawyer_id, figures in stats.by_lawyer.items()
            ),
            key=lambda row: (row.lawyer_name, str(row.lawyer_id)),
        ),
        firms=sorted(
            (
                FirmFiguresOut.of(figures, firm_id=firm, firm_name=report.firms[firm])
                for firm, figures in stats.by_firm.items()
            ),
            key=lambda row: (row.firm_name, str(row.firm_id)),
        ),
        periods=[
            PeriodFiguresOut.of(figures, period=period)
            for period, figures in stats.by_period.items()
        ],
    )


_CAPTIONS = {
    (PeriodBasis.APPROVAL, Granularity.MONTH): "审核月份",
    (PeriodBasis.APPROVAL, Granularity.QUARTER): "审核季度",
    (PeriodBasis.APPROVAL, Granularity.YEAR): "审核年度",
    (PeriodBasis.PAYMENT, Granularity.MONTH): "发放月份",
    (PeriodBasis.PAYMENT, Granularity.QUARTER): "发放季度",
    (PeriodBasis.PAYMENT, Granularity.YEAR): "发放年度",
}


def _line(row: dict[str, Any]) -> ClaimLine:
    return ClaimLine(
        lawyer=row["lawyer_name"] or "",
        firm=row["firm_name"] or "",
        procuratorate_unit=row["procuratorate_unit"],
        document_number=row["document_number"],
        stage=row["stage"],
        case_kind=row["case_kind"],
        standard_fen=row["standard_amount_fen"],
        status=row["status"],
        overdue=row["overdue"],
        opened_at=row["opened_at"],
        materials_submitted_at=row["materials_submitted_at"],
        approved_fen=row["approved_amount_fen"],
        reduction_reason=row["reduction_reason"],
        approved_at=row["approved_at"],
        due_on=row["payment_due_on"],
        paid_fen=row["paid_amount_fen"],
        paid_on=row["paid_on"],
        reference=row["payment_reference"],
        paid_late=row["paid_late"],
        paid_short=row["paid_short"],
    )


@finance_router.get(
    "/claims.xlsx",
    summary="The finance office's workbook of subsidy claims (办案补贴发放明细), XLSX",
    description="One row per claim (lawyer, firm, procuratorate and letter number, stage, "
    "kind and standard, status, dates, the amount approved and the reduction's reason, the "
    "payment and its reference, late and short flags), amounts in yuan with two decimals; "
    "then the statistics per lawyer, per firm and per period with their totals. The same "
    "selection as `/subsidies/statistics` (claims not approved yet are listed when no period "
    "is asked for). Downloaded as 办案补贴-<date>.xlsx.",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The workbook"}},
)
async def get_subsidy_claims_xlsx(
    uow: UnitOfWorkDep,
    staff: Staff,
    basis: BasisQuery = PeriodBasis.APPROVAL,
    granularity: GranularityQuery = Granularity.MONTH,
    period_from: FromQuery = None,
    period_to: ToQuery = None,
    firm_id: FirmQuery = None,
) -> Response:
    query = _finance_query(staff, basis, granularity, period_from, period_to, firm_id)
    report = await use_cases.finance_report(uow, query)
    workbook = subsidy_workbook(
        [_line(row) for row in report.claims],
        report.statistics,
        lawyers=report.lawyers,
        firms=report.firms,
        period_caption=_CAPTIONS[(basis, granularity)],
    )
    day = legal_date(uow.now()).isoformat()
    return Response(
        workbook,
        media_type=XLSX,
        headers={
            "Content-Disposition": content_disposition(
                f"办案补贴-{day}.xlsx", f"subsidies-{day}.xlsx"
            )
        },
    )
