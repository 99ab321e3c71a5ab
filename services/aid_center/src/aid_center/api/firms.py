"""Law firms on the roster (律师事务所)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from aid_center.api.access import STAFF
from aid_center.domain.commands import AddFirm
from aid_center.unit_of_work import UnitOfWorkDep
from aid_center.use_cases import roster
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES
from service_runtime.paging import Page, Paging

router = APIRouter(
    prefix="/firms",
    tags=["roster"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    dependencies=[STAFF],
)

_FIRM: JsonDict = {"name": "天津津河律师事务所", "district": "河东区", "contact": "022-24310000"}


class FirmIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_FIRM]})

    name: str = Field(min_length=1, max_length=200, description="Registered name.")
    district: str | None = Field(
        default=None, min_length=1, max_length=50, description="Where it sits."
    )
    contact: str = Field(min_length=1, max_length=200, description="Phone or e-mail.")


class FirmOut(FirmIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_FIRM,
                    "firm_id": "5b0e7c3e-2f0a-4d47-9d0e-6f1f3b1c2a01",
                    "created_at": "2026-03-02T09:15:00+08:00",
                }
            ]
        }
    )

    firm_id: UUID
    created_at: datetime


@router.post("", status_code=201, response_model=FirmOut, summary="Add a law firm")
async def add_firm(body: FirmIn, uow: UnitOfWorkDep) -> FirmOut:
    return FirmOut.model_validate(await roster.add_firm(uow, AddFirm(**body.model_dump())))


@router.get("", response_model=Page[FirmOut], summary="List law firms, by name (name, firm_id)")
async def list_firms(uow: UnitOfWorkDep, paging: Paging) -> Page[FirmOut]:
    return paging.page([FirmOut.model_validate(row) for row in await roster.firms(uow, paging)])


@router.get("/{firm_id}", response_model=FirmOut, summary="One law firm")
async def get_firm(firm_id: UUID, uow: UnitOfWorkDep) -> FirmOut:
    return FirmOut.model_validate(await roster.firm(uow, firm_id))
