"""Legal-aid applications forwarded by the procuratorate (申请指派): their aid state, and staff's
assignment (engine retry or a lawyer chosen by hand, the same rules as for a notice)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from aid_center.api.access import (
    APPLICATION_OF_CENTER,
    STAFF,
    Staff,
    application_in_center,
    center_of,
)
from aid_center.api.notices import AssignIn, AssignOut
from aid_center.db.tables import applications
from aid_center.domain.commands import AssignRequest
from aid_center.domain.status import NoticeStatus
from aid_center.unit_of_work import UnitOfWorkDep
from aid_center.use_cases.assignments import assign_request
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES, NotFound
from service_runtime.paging import Page, Paging

router = APIRouter(
    prefix="/applications",
    tags=["applications"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    dependencies=[STAFF],
)


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


async def _application(uow: UnitOfWorkDep, application_id: UUID) -> dict[str, Any]:
    row = (
        (
            await uow.session.execute(
                sa.select(applications).where(applications.c.application_id == application_id)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("application", application_id)
    return dict(row)


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
    query = sa.select(applications).where(application_in_center(center_of(staff)))
    if status is not None:
        query = query.where(applications.c.status == status)
    if case_id is not None:
        query = query.where(applications.c.case_id == case_id)
    order = [applications.c.received_at, applications.c.application_id]
    rows = await paging.fetch(uow.session, query, order)
    return paging.page([ApplicationOut.model_validate(dict(r._mapping)) for r in rows])


@router.get(
    "/{application_id}",
    response_model=ApplicationOut,
    summary="One application",
    dependencies=[APPLICATION_OF_CENTER],
)
async def get_application(application_id: UUID, uow: UnitOfWorkDep) -> ApplicationOut:
    return ApplicationOut.model_validate(await _application(uow, application_id))


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
