"""Law firms on the roster (律师事务所)."""

from __future__ import annotations

import uuid
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError

from aid_center.api.access import STAFF
from aid_center.db.tables import law_firms
from aid_center.unit_of_work import UnitOfWorkDep
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES, Conflict, NotFound
from service_runtime.paging import Page, Paging

router = APIRouter(
    prefix="/firms",
    tags=["roster"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    dependencies=[STAFF],
)


class FirmIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="Registered name.")
    district: str | None = Field(
        default=None, min_length=1, max_length=50, description="Where it sits."
    )
    contact: str = Field(min_length=1, max_length=200, description="Phone or e-mail.")


class FirmOut(FirmIn):
    firm_id: UUID
    created_at: datetime


@router.post("", status_code=201, response_model=FirmOut, summary="Add a law firm")
async def add_firm(body: FirmIn, uow: UnitOfWorkDep) -> FirmOut:
    firm_id = uuid.uuid4()
    try:
        async with uow.session.begin_nested():
            await uow.session.execute(
                sa.insert(law_firms).values(firm_id=firm_id, **body.model_dump())
            )
    except IntegrityError as error:
        raise Conflict(f"a firm named {body.name!r} exists", field="name") from error
    return await get_firm(firm_id, uow)


@router.get("", response_model=Page[FirmOut], summary="List law firms, by name (name, firm_id)")
async def list_firms(uow: UnitOfWorkDep, paging: Paging) -> Page[FirmOut]:
    rows = await paging.fetch(
        uow.session, sa.select(law_firms), [law_firms.c.name, law_firms.c.firm_id]
    )
    return paging.page([FirmOut.model_validate(dict(r._mapping)) for r in rows])


@router.get("/{firm_id}", response_model=FirmOut, summary="One law firm")
async def get_firm(firm_id: UUID, uow: UnitOfWorkDep) -> FirmOut:
    row = (
        (await uow.session.execute(sa.select(law_firms).where(law_firms.c.firm_id == firm_id)))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("firm", firm_id)
    return FirmOut.model_validate(dict(row))
