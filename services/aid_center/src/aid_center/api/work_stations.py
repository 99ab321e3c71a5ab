"""Legal aid work stations (法律援助工作站) and their duty-lawyer rota (值班表), Measures Art. 15
and the notice's §三: stations in procuratorates and detention centers, a duty lawyer per day
serving on site, by phone or online."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from aid_center.api.access import STAFF
from aid_center.domain.commands import AddWorkStation, PutOnRota
from aid_center.unit_of_work import UnitOfWorkDep
from aid_center.use_cases import rota as use_cases
from defense_schemas.vocabulary import ServiceMode
from service_runtime.api_types import ApiDate
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES, InvalidInput
from service_runtime.paging import Page, Paging

router = APIRouter(
    tags=["duty lawyers"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    dependencies=[STAFF],
)

_STATION: JsonDict = {
    "name": "河东区人民检察院法律援助工作站",
    "district": "河东区",
    "host_kind": "procuratorate",
    "host_name": "天津市河东区人民检察院",
    "contact": "022-24320000",
}
_STATION_ID = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"
_LAWYER_ID = "8d7f2a51-6c3b-4e0a-b1d2-3c4e5f607182"


class HostKind(StrEnum):
    """Where the work station sits: a procuratorate (检察院), a detention center (看守所), a
    court (法院) or elsewhere."""

    PROCURATORATE = "procuratorate"
    DETENTION_CENTER = "detention_center"
    COURT = "court"
    OTHER = "other"


class WorkStationIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_STATION]})

    name: str = Field(min_length=1, max_length=200, description="The station's name, as requested.")
    district: str = Field(min_length=1, max_length=50, description="The district it serves.")
    host_kind: HostKind
    host_name: str = Field(min_length=1, max_length=200, description="The hosting organ.")
    contact: str | None = Field(default=None, min_length=1, max_length=200)


class WorkStationOut(WorkStationIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {**_STATION, "station_id": _STATION_ID, "created_at": "2026-03-01T08:30:00+08:00"}
            ]
        }
    )

    station_id: UUID
    created_at: datetime


class ShiftsIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "lawyer_id": _LAWYER_ID,
                    "starts_on": "2026-03-09",
                    "ends_on": "2026-03-13",
                    "mode": "on_site",
                }
            ]
        }
    )

    lawyer_id: UUID
    starts_on: ApiDate = Field(description="First day of duty.")
    ends_on: ApiDate = Field(description="Last day of duty (inclusive); the same day for one day.")
    mode: ServiceMode = Field(description="On site (现场), by phone (电话) or online (网络).")


class ShiftOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "shift_id": "6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c",
                    "station_id": _STATION_ID,
                    "station_name": "河东区人民检察院法律援助工作站",
                    "lawyer_id": _LAWYER_ID,
                    "lawyer_name": "王丽华",
                    "on_date": "2026-03-09",
                    "mode": "on_site",
                }
            ]
        }
    )

    shift_id: UUID
    station_id: UUID
    station_name: str
    lawyer_id: UUID
    lawyer_name: str
    on_date: date
    mode: ServiceMode


@router.post(
    "/work-stations", status_code=201, response_model=WorkStationOut, summary="Add a work station"
)
async def add_station(body: WorkStationIn, uow: UnitOfWorkDep) -> WorkStationOut:
    station = await use_cases.add_work_station(uow, AddWorkStation(**body.model_dump()))
    return WorkStationOut.model_validate(station)


@router.get(
    "/work-stations",
    response_model=Page[WorkStationOut],
    summary="List work stations, by name (name, station_id)",
)
async def list_stations(
    uow: UnitOfWorkDep, paging: Paging, district: Annotated[str | None, Query()] = None
) -> Page[WorkStationOut]:
    rows = await use_cases.work_stations(uow, district=district, page=paging)
    return paging.page([WorkStationOut.model_validate(row) for row in rows])


@router.get("/work-stations/{station_id}", response_model=WorkStationOut, summary="One station")
async def get_station(station_id: UUID, uow: UnitOfWorkDep) -> WorkStationOut:
    return WorkStationOut.model_validate(await use_cases.work_station(uow, station_id))


@router.post(
    "/work-stations/{station_id}/shifts",
    status_code=201,
    response_model=list[ShiftOut],
    summary="Put a lawyer on the station's rota for each day of a period",
    description="One shift per day from starts_on to ends_on. A lawyer already on this "
    "station's rota on one of those days → 409; an unknown lawyer → 400.",
)
async def add_shifts(station_id: UUID, body: ShiftsIn, uow: UnitOfWorkDep) -> list[ShiftOut]:
    shifts = await use_cases.put_on_rota(
        uow,
        PutOnRota(
            station_id=station_id,
            lawyer_id=body.lawyer_id,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            mode=body.mode,
        ),
    )
    return [ShiftOut.model_validate(shift) for shift in shifts]


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
    rows = await use_cases.rota(
        uow,
        starts_on=starts_on,
        ends_on=last,
        station_id=station_id,
        lawyer_id=lawyer_id,
        page=paging,
    )
    return paging.page([ShiftOut.model_validate(row) for row in rows])


@router.delete(
    "/duty-shifts/{shift_id}",
    status_code=204,
    response_class=Response,
    summary="Take a shift off the rota (409 once a request was served on it)",
)
async def delete_shift(shift_id: UUID, uow: UnitOfWorkDep) -> Response:
    await use_cases.remove_shift(uow, shift_id)
    return Response(status_code=204)
