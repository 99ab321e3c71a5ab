"""Requests for a duty lawyer (值班律师) received from the procuratorate and their outcome; an
unassigned request stays listed (``status=unassigned``) with the reasons until staff retry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from aid_center.api.access import STAFF
from aid_center.db.tables import duty_requests
from aid_center.domain.commands import RetryDutyRequest
from aid_center.domain.status import DutyRequestStatus
from aid_center.unit_of_work import UnitOfWorkDep
from aid_center.use_cases.duty import retry_duty_request
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES, NotFound
from service_runtime.paging import Page, Paging

router = APIRouter(
    prefix="/duty-requests",
    tags=["duty lawyers"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    dependencies=[STAFF],
)


class DutyRequestOut(BaseModel):
    request_id: UUID
    case_id: UUID
    suspect_id: UUID
    purpose: str = Field(description="legal_help or plea_witness.")
    requested_at: datetime
    requested_station: str | None = Field(description="The station the procuratorate named.")
    note: str | None
    status: DutyRequestStatus = Field(description="assigned or unassigned.")
    shift_id: UUID | None
    station_id: UUID | None
    lawyer_id: UUID | None
    mode: str | None
    assigned_at: datetime | None
    unassigned_reason: str | None = Field(description="nobody_on_rota or nobody_available.")
    decision: dict[str, Any] = Field(description="Chosen, passed over and why.")


async def _request(uow: UnitOfWorkDep, request_id: UUID) -> dict[str, Any]:
    row = (
        (
            await uow.session.execute(
                sa.select(duty_requests).where(duty_requests.c.request_id == request_id)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("duty request", request_id)
    return dict(row)


@router.get(
    "",
    response_model=Page[DutyRequestOut],
    summary="List duty-lawyer requests, by request time (requested_at, request_id)",
)
async def list_requests(
    uow: UnitOfWorkDep,
    paging: Paging,
    status: Annotated[
        DutyRequestStatus | None, Query(description="assigned or unassigned.")
    ] = None,
    case_id: Annotated[UUID | None, Query()] = None,
) -> Page[DutyRequestOut]:
    query = sa.select(duty_requests)
    if status is not None:
        query = query.where(duty_requests.c.status == status)
    if case_id is not None:
        query = query.where(duty_requests.c.case_id == case_id)
    order = [duty_requests.c.requested_at, duty_requests.c.request_id]
    rows = await paging.fetch(uow.session, query, order)
    return paging.page([DutyRequestOut.model_validate(dict(r._mapping)) for r in rows])


@router.get("/{request_id}", response_model=DutyRequestOut, summary="One duty-lawyer request")
async def get_request(request_id: UUID, uow: UnitOfWorkDep) -> DutyRequestOut:
    return DutyRequestOut.model_validate(await _request(uow, request_id))


@router.post(
    "/{request_id}/assignment",
    response_model=DutyRequestOut,
    summary="Retry an unassigned request against today's rota (after the rota was completed)",
)
async def retry(request_id: UUID, uow: UnitOfWorkDep) -> DutyRequestOut:
    await retry_duty_request(uow, RetryDutyRequest(request_id))
    return DutyRequestOut.model_validate(await _request(uow, request_id))
