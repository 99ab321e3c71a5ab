"""The duty-lawyer rota (值班表) as staff keep it: legal aid work stations (法律援助工作站) and
the shifts of their duty lawyers (Measures Art. 15, the notice's §三). ``use_cases/duty.py``
answers requests from it."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from aid_center.domain.commands import AddWorkStation, PutOnRota
from aid_center.domain.errors import NotKnown, RuleViolation, StateConflict
from aid_center.unit_of_work import AidCenterUnitOfWork
from service_runtime.paging import PageRequest

MAX_SHIFT_SPAN_DAYS = 366
"""The longest period put on the rota at once (a year, a leap year's included)."""


async def add_work_station(uow: AidCenterUnitOfWork, command: AddWorkStation) -> dict[str, Any]:
    """The station as stored; a station's name is unique."""
    station_id = uuid.uuid4()
    added = await uow.aid.store_work_station(
        {
            "station_id": station_id,
            "name": command.name,
            "district": command.district,
            "host_kind": command.host_kind,
            "host_name": command.host_name,
            "contact": command.contact,
        }
    )
    if not added:
        raise StateConflict(f"a work station named {command.name!r} exists", field="name")
    return await work_station(uow, station_id)


async def work_station(uow: AidCenterUnitOfWork, station_id: UUID) -> dict[str, Any]:
    found = await uow.aid.work_station(station_id)
    if found is None:
        raise NotKnown("work station", station_id)
    return found


async def work_stations(
    uow: AidCenterUnitOfWork, *, district: str | None = None, page: PageRequest | None = None
) -> list[dict[str, Any]]:
    """Work stations by name (name, station_id), of one district when it is given."""
    return await uow.aid.work_stations(district=district, page=page)


async def put_on_rota(uow: AidCenterUnitOfWork, command: PutOnRota) -> list[dict[str, Any]]:
    """One shift a day from ``starts_on`` to ``ends_on``, as :func:`rota` shows them. A lawyer
    is on a station's rota once a day."""
    await work_station(uow, command.station_id)
    if command.ends_on < command.starts_on:
        raise RuleViolation("ends_on is before starts_on", field="ends_on")
    if (command.ends_on - command.starts_on).days >= MAX_SHIFT_SPAN_DAYS:
        raise RuleViolation(f"at most {MAX_SHIFT_SPAN_DAYS} days at once", field="ends_on")
    if not await uow.aid.lawyer_exists(command.lawyer_id):
        raise RuleViolation(f"lawyer {command.lawyer_id} is not on the roster", field="lawyer_id")
    days = [
        command.starts_on + timedelta(days=n)
        for n in range((command.ends_on - command.starts_on).days + 1)
    ]
    shift_ids = [uuid.uuid4() for _ in days]
    shifts: list[dict[str, Any]] = [
        {
            "shift_id": shift_id,
            "station_id": command.station_id,
            "lawyer_id": command.lawyer_id,
            "on_date": day,
            "mode": command.mode.value,
        }
        for shift_id, day in zip(shift_ids, days, strict=True)
    ]
    if not await uow.aid.store_shifts(shifts):
        raise StateConflict(
            "the lawyer is already on this station's rota on one of those days",
            field="starts_on",
        )
    return await uow.aid.shifts(shift_ids=shift_ids)


async def rota(
    uow: AidCenterUnitOfWork,
    *,
    starts_on: date,
    ends_on: date,
    station_id: UUID | None = None,
    lawyer_id: UUID | None = None,
    page: PageRequest | None = None,
) -> list[dict[str, Any]]:
    """The shifts from ``starts_on`` to ``ends_on`` (inclusive), by day, station name and
    licence number (on_date, station name, license_number, shift_id)."""
    return await uow.aid.shifts(
        starts_on=starts_on, ends_on=ends_on, station_id=station_id, lawyer_id=lawyer_id, page=page
    )


async def remove_shift(uow: AidCenterUnitOfWork, shift_id: UUID) -> None:
    """A shift a request was served on stays on record."""
    served = await uow.aid.shift_served(shift_id)
    if served is None:
        raise NotKnown("duty shift", shift_id)
    if served:
        raise StateConflict(
            "a request was served on this shift; it stays on record", field="shift_id"
        )
    await uow.aid.remove_shift(shift_id)
