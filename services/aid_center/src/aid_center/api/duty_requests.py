"""Requests for a duty lawyer (值班律师) received from the procuratorate and their outcome; an
unassigned request stays listed (``status=unassigned``) with the reasons until staff retry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from aid_center.api.access import STAFF
from aid_center.domain.commands import RetryDutyRequest
from aid_center.domain.status import DutyRequestStatus
from aid_center.unit_of_work import UnitOfWorkDep
from aid_center.use_cases import duty as use_cases
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES
from service_runtime.paging import Page, Paging

router = APIRouter(
    prefix="/duty-requests",
    tags=["duty lawyers"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    dependencies=[STAFF],
)


class DutyRequestOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "request_id": "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
                    "case_id": "6c5b4a39-2817-4f06-a5b4-c3d2e1f0a9b8",
                    "suspect_id": "3f9a6e21-7b4c-4d5e-8f60-718293a4b5c6",
                    "purpose": "plea_witness",
                    "requested_at": "2026-03-09T09:00:00+08:00",
                    "requested_station": "河东区人民检察院法律援助工作站",
                    "note": "认罪认罚具结书签署，需值班律师在场",
                    "status": "assigned",
                    "shift_id": "6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c",
                    "station_id": "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
                    "lawyer_id": "8d7f2a51-6c3b-4e0a-b1d2-3c4e5f607182",
                    "mode": "on_site",
                    "assigned_at": "2026-03-09T09:00:02+08:00",
                    "unassigned_reason": None,
                    "decision": {
                        "chosen": {
                            "shift_id": "6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c",
                            "lawyer_id": "8d7f2a51-6c3b-4e0a-b1d2-3c4e5f607182",
                            "name": "王丽华",
                            "station": "河东区人民检察院法律援助工作站",
                            "mode": "on_site",
                        },
                        "reasons": ["on site for a plea witness (Measures Art. 11)"],
                        "failure": None,
                        "passed_over": [],
                    },
                }
            ]
        }
    )

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
    rows = await use_cases.duty_requests(uow, status=status, case_id=case_id, page=paging)
    return paging.page([DutyRequestOut.model_validate(row) for row in rows])


@router.get("/{request_id}", response_model=DutyRequestOut, summary="One duty-lawyer request")
async def get_request(request_id: UUID, uow: UnitOfWorkDep) -> DutyRequestOut:
    return DutyRequestOut.model_validate(await use_cases.duty_request(uow, request_id))


@router.post(
    "/{request_id}/assignment",
    response_model=DutyRequestOut,
    summary="Retry an unassigned request against today's rota (after the rota was completed)",
)
async def retry(request_id: UUID, uow: UnitOfWorkDep) -> DutyRequestOut:
    await use_cases.retry_duty_request(uow, RetryDutyRequest(request_id))
    return DutyRequestOut.model_validate(await use_cases.duty_request(uow, request_id))
