"""Case subsidies (办案补贴, notice §四): the standards staff load and correct, and the claims —
the lawyer's closing materials, staff's approval (full, or reduced with the reason) and the
payment (late or short flagged). Amounts are integers in fen."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Query
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
from aid_center.domain.subsidies import REVIEW_STAGE
from aid_center.unit_of_work import UnitOfWorkDep
from aid_center.use_cases import subsidies as use_cases
from defense_schemas.vocabulary import CaseKind
from service_runtime.api_types import ApiDate
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES, NotFound
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
    payment_due_on: date | None
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
