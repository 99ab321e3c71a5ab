"""Legal aid work stations (法律援助工作站) and their duty-lawyer rota (值班表), Measures Art. 15
and the notice's §三: stations in procuratorates and detention centers, a duty lawyer per day
serving on site, by phone or online."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError

from aid_center.api.access import STAFF
from aid_center.db.tables import duty_requests, duty_shifts, lawyers, work_stations
from aid_center.unit_of_work import UnitOfWorkDep
from defense_schemas.vocabulary import ServiceMode
from service_runtime.api_types import ApiDate
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES, Conflict, InvalidInput, NotFound
from service_runtime.paging import Page, Paging

router = APIRouter(
    tags=["duty lawyers"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    dependencies=[STAFF],
)

MAX_SHIFT_SPAN_DAYS = 366


class HostKind(StrEnum):
    """Where the work station sits: a procuratorate (检察院), a detention center (看守所), a
    court (法院) or elsewhere."""

    PROCURATORATE = "procuratorate"
    DETENTION_CENTER = "detention_center"
    COURT = "court"
    OTHER = "other"


class WorkStationIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="The station's name, as requested.")
    district: str = Field(min_length=1, max_length=50, description="The district it serves.")
    host_kind: HostKind
    host_name: str = Field(min_length=1, max_length=200, description="The hosting organ.")
    contact: str | None = Field(default=None, min_length=1, max_length=200)


class WorkStationOut(WorkStationIn):
    station_id: UUID
    created_at: datetime


class ShiftsIn(BaseModel):
    lawyer_id: UUID
    starts_on: ApiDate = Field(description="First day of duty.")
    ends_on: ApiDate = Field(description="Last day of duty (inclusive); the same day for one day.")
    mode: ServiceMode = Field(description="On site (现场), by phone (电话) or online (网络).")


class ShiftOut(BaseModel):
    shift_id: UUID
    station_id: UUID
    station_name: str
    lawyer_id: UUID
    lawyer_name: str
    on_date: date
    mode: ServiceMode


async def _station(uow: UnitOfWorkDep, station_id: UUID) -> dict[str, object]:
    row = (
        (
            await uow.session.execute(
                sa.select(work_stations).where(work_stations.c.station_id == station_id)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("work station", station_id)
    return dict(row)


@router.post(
    "/work-stations", status_code=201, response_model=WorkStationOut, summary="Add a work station"
)
async def add_station(body: WorkStationIn, uow: UnitOfWorkDep) -> WorkStationOut:
    station_id = uuid.uuid4()
    try:
        async with uow.session.begin_nested():
            await uow.session.execute(
                sa.insert(work_stations).values(station_id=station_id, **body.model_dump())
            )
    except IntegrityError as error:
        raise Conflict(f"a work station named {body.name!r} exists", field="name") from error
    return WorkStationOut.model_validate(await _station(uow, station_id))


@router.get(
    "/work-stations",
    response_model=Page[WorkStationOut],
    summary="List work stations, by name (name, station_id)",
)
async def list_stations(
    uow: UnitOfWorkDep, paging: Paging, district: Annotated[str | None, Query()] = None
) -> Page[WorkStationOut]:
    query = sa.select(work_stations)
    if district is not None:
        query = query.where(work_stations.c.district == district)
    order = [work_stations.c.name, work_stations.c.station_id]
    rows = await paging.fetch(uow.session, query, order)
    return paging.page([WorkStationOut.model_validate(dict(r._mapping)) for r in rows])


@router.get("/work-stations/{station_id}", response_model=WorkStationOut, summary="One station")
async def get_station(station_id: UUID, uow: UnitOfWorkDep) -> WorkStationOut:
    return WorkStationOut.model_validate(await _station(uow, station_id))


def _shift_query() -> sa.Select[tuple[object, ...]]:
    return (
        sa.select(
            duty_shifts.c.shift_id,
            duty_shifts.c.station_id,
            work_stations.c.name.label("station_name"),
            duty_shifts.c.lawyer_id,
            lawyers.c.name.label("lawyer_name"),
            duty_shifts.c.on_date,
            duty_shifts.c.mode,
        )
        .join(work_stations, work_stations.c.station_id == duty_shifts.c.station_id)
        .join(lawyers, lawyers.c.lawyer_id == duty_shifts.c.lawyer_id)
        .order_by(duty_shifts.c.on_date, work_stations.c.name, lawyers.c.license_number)
    )


@router.post(
    "/work-stations/{station_id}/shifts",
    status_code=201,
    response_model=list[ShiftOut],
    summary="Put a lawyer on the station's rota for each day of a period",
    description="One shift per day from starts_on to ends_on. A lawyer already on this "
    "station's rota on one of those days → 409; an unknown lawyer → 400.",
)
async def add_shifts(station_id: UUID, body: ShiftsIn, uow: UnitOfWorkDep) -> list[ShiftOut]:
    await _station(uow, station_id)
    if body.ends_on < body.starts_on:
        raise InvalidInput("ends_on is before starts_on", field="ends_on")
    if (body.ends_on - body.starts_on).days >= MAX_SHIFT_SPAN_DAYS:
        raise InvalidInput(f"at most {MAX_SHIFT_SPAN_DAYS} days at once", field="ends_on")
    known = await uow.session.scalar(
        sa.select(lawyers.c.lawyer_id).where(lawyers.c.lawyer_id == body.lawyer_id)
    )
    if known is None:
        raise InvalidInput(f"lawyer {body.lawyer_id} is not on the roster", field="lawyer_id")
    days = [
        body.starts_on + timedelta(days=n) for n in range((body.ends_on - body.starts_on).days + 1)
    ]
    ids = [uuid.uuid4() for _ in days]
    try:
        async with uow.session.begin_nested():
            await uow.session.execute(
                sa.insert(duty_shifts),
                [
                    {
                        "shift_id": shift_id,
                        "station_id": station_id,
                        "lawyer_id": body.lawyer_id,
                        "on_date": day,
                        "mode": body.mode.value,
                    }
                    for shift_id, day in zip(ids, days, strict=True)
                ],
            )
    except IntegrityError as error:
        raise Conflict(
            "the lawyer is already on this station's rota on one of those days",
            field="starts_on",
        ) from error
    rows = await uow.session.execute(_shift_query().where(duty_shifts.c.shift_id.in_(ids)))
    return [ShiftOut.model_validate(dict(r)) for r in rows.mappings()]


@router.get(
    "/duty-rota",
    response_model=Page[ShiftOut],
    summary="The duty-lawyer rota: shifts between two dates, optionally of one station",
)
async def rota(
    uow: UnitOfWorkDep,
    paging: Paging,
    starts_on: Annotated[ApiDate, Query(description="First day.")],
    ends_on: Annotated[ApiDate | None, Query(description="Last day; default starts_on.")] = None,
    station_id: Annotated[UUID | None, Query()] = None,
    lawyer_id: Annotated[UUID | None, Query()] = None,
) -> Page[ShiftOut]:
    last = ends_on or starts_on
    if last < starts_on:
        raise InvalidInput("ends_on is before starts_on", field="ends_on", where="query")
    query = _shift_query().where(duty_shifts.c.on_date.between(starts_on, last))
    if station_id is not None:
        query = query.where(duty_shifts.c.station_id == station_id)
    if lawyer_id is not None:
        query = query.where(duty_shifts.c.lawyer_id == lawyer_id)
    order = [
        duty_shifts.c.on_date,
        work_stations.c.name,
        lawyers.c.license_number,
        duty_shifts.c.shift_id,
    ]
    # The shared query's own order is replaced by the page's (the same, made total).
    rows = await paging.fetch(uow.session, query.order_by(None), order)
    return paging.page([ShiftOut.model_validate(dict(r._mapping)) for r in rows])


@router.delete(
    "/duty-shifts/{shift_id}",
    status_code=204,
    response_class=Response,
    summary="Take a shift off the rota (409 once a request was served on it)",
)
async def delete_shift(shift_id: UUID, uow: UnitOfWorkDep) -> Response:
    exists = await uow.session.scalar(
        sa.select(duty_shifts.c.shift_id).where(duty_shifts.c.shift_id == shift_id)
    )
    if exists is None:
        raise NotFound("duty shift", shift_id)
    used = await uow.session.scalar(
        sa.select(sa.func.count()).where(duty_requests.c.shift_id == shift_id)
    )
    if used:
        raise Conflict("a request was served on this shift; it stays on record", field="shift_id")
    await uow.session.execute(sa.delete(duty_shifts).where(duty_shifts.c.shift_id == shift_id))
    return Response(status_code=204)
