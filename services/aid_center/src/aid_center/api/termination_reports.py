"""A lawyer's report of a ground for ending aid (LAL Art. 48 ¶2: 法律援助人员发现有前款规定情形的，
应当及时向法律援助机构报告) and staff's decision on it. The lawyer reports on their own active
assignment only (another's is a 404, inside the query); staff of the assignment's center
terminate the aid on the ground reported or dismiss the report, with reasons. Only a
termination reaches the procuratorate (``AidTerminated``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from aid_center.api.access import (
    LAWYER,
    OWN_ASSIGNMENT,
    REPORT_OF_CENTER,
    STAFF,
    StaffOrLawyer,
    center_of,
    lawyer_uuid,
)
from aid_center.domain.commands import DecideReport, ReportGround
from aid_center.domain.status import ReportStatus
from aid_center.domain.termination import GROUNDS
from aid_center.unit_of_work import UnitOfWorkDep
from aid_center.use_cases import terminations
from defense_schemas.vocabulary import TerminationReason
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES
from service_runtime.paging import Page, Paging

report_router = APIRouter(
    prefix="/assignments",
    tags=["assignments"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    dependencies=[LAWYER, OWN_ASSIGNMENT],
)
reports_router = APIRouter(
    prefix="/termination-reports",
    tags=["assignments"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
)

REPORT_EXAMPLE: dict[str, Any] = {
    "report_id": "5c2e9a41-7d3b-4f6e-8a1c-2b3d4e5f6a77",
    "assignment_id": "3f1c7e0a-55a1-4c5e-9d51-2a4b8f0c1d11",
    "case_id": "2b7e0c4a-7f1d-5f0e-8d3a-9e1c2b4a6d22",
    "suspect_id": "0b7e3a9e-8f0c-4f5a-a2b6-6a9d3e1f7c22",
    "lawyer_id": "4a7e3d5c-9b6f-4c1e-9f5a-6b7c8d9e0f05",
    "reason": "facts_concealed",
    "legal_basis": "LAL Art. 48(2)",
    "statement": "会见中受援人承认隐瞒了已另行委托代理人的事实",
    "reported_at": "2026-11-28T15:00:00+08:00",
    "status": "terminated",
    "decided_at": "2026-11-30T09:30:00+08:00",
    "decision_reasons": "经核实，受援人故意隐瞒与案件有关的重要事实",
    "decision_number": "津河东援终〔2026〕2号",
}


class ReportIn(BaseModel):
    reason: TerminationReason = Field(
        description="The ground found (LAL Art. 48): obtained_by_deception, facts_concealed, "
        "unlawful_use, economic_situation_changed (aid on economic hardship only), "
        "proceedings_ended (a withdrawn case), recipient_request, no_longer_eligible or other. "
        "The grounds the procuratorate records (counsel_retained, self_defense_permitted, "
        "jurisdiction_changed, stage_ended) are a 400: tell the case handler."
    )
    statement: str = Field(
        min_length=1, max_length=4000, description="What the lawyer found, and how."
    )
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reason": "facts_concealed",
                    "statement": "会见中受援人承认隐瞒了已另行委托代理人的事实",
                }
            ]
        }
    )


class ReportOut(BaseModel):
    report_id: UUID
    assignment_id: UUID
    case_id: UUID
    suspect_id: UUID
    lawyer_id: UUID
    reason: TerminationReason
    legal_basis: str = Field(description="Where the law names the ground.")
    statement: str
    reported_at: datetime
    status: ReportStatus = Field(description="pending, terminated or dismissed.")
    decided_at: datetime | None
    decision_reasons: str | None
    decision_number: str | None
    model_config = ConfigDict(json_schema_extra={"examples": [REPORT_EXAMPLE]})

    @classmethod
    def of(cls, row: dict[str, object]) -> ReportOut:
        reason = TerminationReason(str(row["reason"]))
        return cls.model_validate(row | {"reason": reason, "legal_basis": GROUNDS[reason].basis})


class ReportDecisionIn(BaseModel):
    decision: Annotated[
        str,
        Field(
            pattern="^(terminate|dismiss)$",
            description="terminate: the aid ends on the ground reported (AidTerminated tells "
            "the procuratorate); dismiss: the aid goes on, nobody outside the center is told.",
        ),
    ]
    reasons: str = Field(
        min_length=1,
        max_length=4000,
        description="The decision's reasons (a termination may be objected to before the "
        "justice bureau, LAL Art. 49).",
    )
    decision_number: str | None = Field(
        default=None, min_length=1, max_length=100, description="The decision's document number."
    )
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision": "terminate",
                    "reasons": "经核实，受援人故意隐瞒与案件有关的重要事实",
                    "decision_number": "津河东援终〔2026〕2号",
                }
            ]
        }
    )


@report_router.post(
    "/{assignment_id}/termination-reports",
    response_model=ReportOut,
    status_code=201,
    summary="Report a ground for ending legal aid (the appointed lawyer, LAL Art. 48 ¶2)",
    description="The lawyer of the assignment only (another's is a 404); the assignment must "
    "be active (409). Nothing ends until staff decide (POST /termination-reports/{report_id}/"
    "decision). A ground the procuratorate records, or economic_situation_changed for aid "
    "that did not depend on the recipient's means, is a 400 naming `reason`.",
)
async def report_termination_ground(
    assignment_id: UUID, body: ReportIn, uow: UnitOfWorkDep
) -> ReportOut:
    row = await terminations.report_ground(
        uow, ReportGround(assignment_id, body.reason, body.statement)
    )
    return ReportOut.of(row)


@reports_router.get(
    "",
    response_model=Page[ReportOut],
    summary="List lawyers' reports of grounds for ending aid, by (reported_at, report_id)",
    description="Staff see their center's, a lawyer their own.",
)
async def list_termination_reports(
    uow: UnitOfWorkDep,
    principal: StaffOrLawyer,
    paging: Paging,
    status: Annotated[ReportStatus | None, Query(description="Filter by status.")] = None,
) -> Page[ReportOut]:
    own = lawyer_uuid(principal)
    rows = await terminations.reports(
        uow,
        center=center_of(principal) if own is None else None,
        lawyer_id=own,
        status=status,
        page=paging,
    )
    return paging.page([ReportOut.of(row) for row in rows])


@reports_router.post(
    "/{report_id}/decision",
    response_model=ReportOut,
    summary="Decide on a lawyer's report: terminate the aid on its ground, or dismiss it",
    dependencies=[STAFF, REPORT_OF_CENTER],
    description="terminate ends the assignment exactly as POST /assignments/{id}/termination "
    "does (AidTerminated; for a suspect in the mandatory scope the procuratorate owes a new "
    "letter, so a new appointment follows); dismiss records the reasons only. A report "
    "decided already, or whose assignment has ended, is a 409.",
)
async def decide_termination_report(
    report_id: UUID, body: ReportDecisionIn, uow: UnitOfWorkDep
) -> ReportOut:
    row = await terminations.decide_report(
        uow,
        DecideReport(
            report_id,
            terminate=body.decision == "terminate",
            reasons=body.reasons,
            decision_number=body.decision_number,
        ),
    )
    return ReportOut.of(row)
