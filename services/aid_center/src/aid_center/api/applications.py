"""Legal-aid applications forwarded by the procuratorate (申请指派): the center's review (LAL
Art. 41-43: missing material asked for once, the decision within 7 days, a refusal in writing
with reasons and the right to object, Art. 49), their aid state, and staff's assignment (engine
retry or a lawyer chosen by hand, the same rules as for a notice)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from aid_center.api.access import (
    APPLICATION_OF_CENTER,
    STAFF,
    Staff,
    center_of,
)
from aid_center.api.notices import AssignIn, AssignOut
from aid_center.domain.commands import AssignRequest
from aid_center.domain.status import NoticeStatus
from aid_center.unit_of_work import UnitOfWorkDep
from aid_center.use_cases import applications as review
from aid_center.use_cases.assignments import assign_request
from defense_schemas.vocabulary import ApplicationDecision, EconomicTestExemption
from service_runtime.api_types import ApiDate
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES
from service_runtime.paging import Page, Paging

router = APIRouter(
    prefix="/applications",
    tags=["applications"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    dependencies=[STAFF],
)


APPLICATION_EXAMPLE: dict[str, Any] = {
    "application_id": "6d1f0c1e-3b1a-5e8e-9a51-0f3c3e6b2a11",
    "case_id": "2b7e0c4a-7f1d-5f0e-8d3a-9e1c2b4a6d22",
    "suspect_id": "9c4d2e1f-0a3b-5c6d-8e7f-1a2b3c4d5e33",
    "status": "refused",
    "district": "河东区",
    "applied_by": "close_relative",
    "applied_at": "2026-03-03T09:00:00+08:00",
    "forwarded_at": "2026-03-03T14:00:00+08:00",
    "addressee_center": "天津市河东区法律援助中心",
    "received_at": "2026-03-03T14:00:01+08:00",
    "unassignable_reason": None,
    "last_decision": None,
    "closed_reason": None,
    "closed_detail": None,
    "closed_at": None,
    "applicant_name": "张父",
    "applicant_contact": "13800000003",
    "applicant_relationship": "父亲",
    "hardship_statement": "家庭无固定收入",
    "exemption_grounds": [],
    "materials": ["法律援助申请表", "身份证明"],
    "review_started_at": "2026-03-03T14:00:00+08:00",
    "review_due_on": "2026-03-10",
    "review_due_provisional": False,
    "missing_materials": None,
    "materials_requested_at": None,
    "materials_due_on": None,
    "decision": "refused",
    "decision_reasons": "申请人家庭经济状况不符合经济困难标准",
    "decided_at": "2026-03-05T10:00:00+08:00",
    "assignment_due_on": None,
    "decided_automatically": False,
}


class ApplicationOut(BaseModel):
    application_id: UUID
    case_id: UUID
    suspect_id: UUID
    status: NoticeStatus = Field(
        description="accepted, assigned, unassignable, awaiting_reappointment or closed."
    )
    district: str | None
    applied_by: str
    applied_at: datetime
    forwarded_at: datetime
    addressee_center: str
    received_at: datetime
    unassignable_reason: str | None
    last_decision: dict[str, Any] | None = Field(
        description="The engine's last explanation: chosen, passed over and why."
    )
    closed_reason: str | None = Field(description="Why the aid ended (a termination reason).")
    closed_detail: str | None
    closed_at: datetime | None
    applicant_name: str | None = Field(description="Who applied (申请人).")
    applicant_contact: str | None
    applicant_relationship: str | None = Field(
        description="The applicant's relationship to the suspect (e.g. 父亲), 本人 when the "
        "suspect applied; null when the application did not state it."
    )
    hardship_statement: str | None = Field(
        description="The statement of economic hardship (LAL Art. 41)."
    )
    exemption_grounds: list[EconomicTestExemption] = Field(
        description="Grounds exempting the application from the economic test (LAL Art. 32, 42)."
    )
    materials: list[str] = Field(description="The materials submitted.")
    review_started_at: datetime | None = Field(
        description="The receipt of the complete application, from which the 7 days count."
    )
    review_due_on: date | None = Field(description="The last day to decide (LAL Art. 43).")
    review_due_provisional: bool
    missing_materials: list[str] | None = Field(
        description="What the center asked for, once (一次性告知)."
    )
    materials_requested_at: datetime | None
    materials_due_on: date | None = Field(
        description="The last day to supply it; after it the application is deemed withdrawn."
    )
    decision: ApplicationDecision | None = Field(
        description="granted, refused or deemed_withdrawn; applications stored before the "
        "review existed are granted on receipt."
    )
    decision_reasons: str | None
    decided_at: datetime | None
    assignment_due_on: date | None = Field(
        description="After a grant: the last day to appoint a lawyer (3 days)."
    )
    decided_automatically: bool = Field(
        description="Deemed withdrawn by the center's own check once the day to supply the "
        "material passed without it (LAL Art. 43), not by staff."
    )
    model_config = ConfigDict(json_schema_extra={"examples": [APPLICATION_EXAMPLE]})


class MaterialsRequestIn(BaseModel):
    missing: list[str] = Field(
        min_length=1,
        max_length=50,
        description="Every material to supplement or explain, all at once: the center asks "
        "once (一次性告知, LAL Art. 43).",
    )
    due_on: ApiDate | None = Field(
        default=None,
        description="The last day to supply them (default: AID_CENTER_APPLICATION_MATERIALS_DAYS "
        "from today).",
    )
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"missing": ["经济困难状况说明表", "户籍证明"], "due_on": "2026-03-10"}]
        }
    )


class MaterialsIn(BaseModel):
    materials: list[str] = Field(min_length=1, max_length=50, description="What was supplied.")
    hardship_statement: str | None = Field(
        default=None, min_length=1, max_length=4000, description="The hardship statement."
    )
    exemption_grounds: list[EconomicTestExemption] = Field(
        default_factory=list, description="Exemption grounds now shown (LAL Art. 32, 42)."
    )
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "materials": ["经济困难状况说明表", "户籍证明"],
                    "hardship_statement": "申请人无业，家庭无固定收入",
                    "exemption_grounds": [],
                }
            ]
        }
    )


class DecisionIn(BaseModel):
    decision: ApplicationDecision = Field(
        description="granted (needs a hardship statement or an exemption ground; a lawyer is "
        "appointed at once), refused (with reasons), or deemed_withdrawn (only once the day "
        "to supply the material asked for has passed; the center's own check records it by "
        "itself soon after that day, so staff rarely need to)."
    )
    reasons: str | None = Field(
        default=None,
        min_length=1,
        max_length=4000,
        description="The written decision's reasons; required for a refusal.",
    )
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"decision": "refused", "reasons": "申请人家庭经济状况不符合经济困难标准"}]
        }
    )


class DecisionOut(BaseModel):
    application: ApplicationOut
    assignment_id: UUID | None = Field(
        description="After a grant: the lawyer's assignment, or None when nobody qualified "
        "(the application is then unassignable and its 3 days run on)."
    )
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"application": APPLICATION_EXAMPLE, "assignment_id": None}]
        }
    )


@router.get(
    "",
    response_model=Page[ApplicationOut],
    summary="List applications, by receipt (received_at, application_id)",
)
async def list_applications(
    uow: UnitOfWorkDep,
    staff: Staff,
    paging: Paging,
    status: Annotated[NoticeStatus | None, Query(description="Filter by status.")] = None,
    case_id: Annotated[UUID | None, Query()] = None,
) -> Page[ApplicationOut]:
    rows = await review.applications(
        uow, center_of(staff), status=status, case_id=case_id, page=paging
    )
    return paging.page([ApplicationOut.model_validate(row) for row in rows])


@router.get(
    "/{application_id}",
    response_model=ApplicationOut,
    summary="One application",
    dependencies=[APPLICATION_OF_CENTER],
)
async def get_application(application_id: UUID, uow: UnitOfWorkDep) -> ApplicationOut:
    return ApplicationOut.model_validate(await review.application(uow, application_id))


@router.post(
    "/{application_id}/assignment",
    response_model=AssignOut,
    summary="Assign a lawyer to an accepted or unassignable application (engine, or staff)",
    dependencies=[APPLICATION_OF_CENTER],
    description="The same rules as for a notice: roster limits may be waived by staff, the "
    "law's rules never (Measures Art. 13, LAL Art. 26, leave → 409).",
)
async def assign(application_id: UUID, body: AssignIn, uow: UnitOfWorkDep) -> AssignOut:
    outcome = await assign_request(
        uow,
        AssignRequest(application_id=application_id, lawyer_id=body.lawyer_id, reason=body.reason),
    )
    return AssignOut(assignment_id=outcome.assignment_id, decision=outcome.decision.explanation())


@router.post(
    "/{application_id}/materials-request",
    response_model=ApplicationOut,
    summary="Ask the applicant, once and for all of it, for the missing material (LAL Art. 43)",
    dependencies=[APPLICATION_OF_CENTER],
    description="Sends ApplicationMaterialsRequested (the notifier tells the applicant). A "
    "second request is a 409 naming `missing_materials`: the law allows one.",
)
async def request_materials(
    application_id: UUID, body: MaterialsRequestIn, uow: UnitOfWorkDep
) -> ApplicationOut:
    row = await review.request_materials(
        uow, review.RequestMaterials(application_id, tuple(body.missing), body.due_on)
    )
    return ApplicationOut.model_validate(row)


@router.post(
    "/{application_id}/materials",
    response_model=ApplicationOut,
    summary="Record the material the applicant supplied; the 7-day review restarts",
    dependencies=[APPLICATION_OF_CENTER],
    description="Sends ApplicationMaterialsSupplied (the review restarts from now). Only while "
    "material is asked for and by the day given (after it: 409, the application is deemed "
    "withdrawn).",
)
async def supply_materials(
    application_id: UUID, body: MaterialsIn, uow: UnitOfWorkDep
) -> ApplicationOut:
    row = await review.supply_materials(
        uow,
        review.SupplyMaterials(
            application_id,
            tuple(body.materials),
            body.hardship_statement,
            tuple(body.exemption_grounds),
        ),
    )
    return ApplicationOut.model_validate(row)


@router.post(
    "/{application_id}/decision",
    response_model=DecisionOut,
    summary="Decide on the application: grant, refuse, or record it as withdrawn (LAL Art. 43)",
    dependencies=[APPLICATION_OF_CENTER],
    description="Sends ApplicationDecided (the notifier sends the applicant the decision; a "
    "refusal names the justice bureau to object to, LAL Art. 49). A grant appoints a lawyer at "
    "once (LawyerAssigned, or AssignmentFailed). Already decided: 409.",
)
async def decide_application(
    application_id: UUID, body: DecisionIn, uow: UnitOfWorkDep
) -> DecisionOut:
    decided = await review.decide(
        uow, review.DecideApplication(application_id, body.decision, body.reasons)
    )
    return DecisionOut(
        application=ApplicationOut.model_validate(decided.application),
        assignment_id=decided.appointment.assignment_id if decided.appointment else None,
    )
