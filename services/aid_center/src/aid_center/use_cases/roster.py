"""The roster the appointment rules read, as staff keep it: law firms, lawyers (their caseload
counted, never stored), a lawyer's leave (no appointment while on it) and the previous stage's
lawyer (continuity, Measures Art. 13 ¶1)."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from aid_center.domain.commands import (
    AddFirm,
    AddLawyer,
    CancelLeave,
    RecordLeave,
    SetPreviousStageLawyer,
    UpdateLawyer,
)
from aid_center.domain.errors import NotKnown, RuleViolation, StateConflict
from aid_center.unit_of_work import AidCenterUnitOfWork
from legal_calendar import legal_date
from service_runtime.paging import PageRequest


async def add_firm(uow: AidCenterUnitOfWork, command: AddFirm) -> dict[str, Any]:
    """The firm as stored. A firm's name is unique on the roster."""
    firm_id = uuid.uuid4()
    added = await uow.aid.store_firm(
        {
            "firm_id": firm_id,
            "name": command.name,
            "district": command.district,
            "contact": command.contact,
        }
    )
    if not added:
        raise StateConflict(f"a firm named {command.name!r} exists", field="name")
    return await firm(uow, firm_id)


async def firm(uow: AidCenterUnitOfWork, firm_id: UUID) -> dict[str, Any]:
    found = await uow.aid.firm(firm_id)
    if found is None:
        raise NotKnown("firm", firm_id)
    return found


async def firms(uow: AidCenterUnitOfWork, page: PageRequest | None = None) -> list[dict[str, Any]]:
    """The law firms by name (name, firm_id); one page of them when ``page`` is given."""
    return await uow.aid.firms_by_name(page)


def _as_of_today(uow: AidCenterUnitOfWork, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Whether a lawyer is on leave depends on the legal date (Beijing), not on the UTC day.
    today = legal_date(uow.now())
    return [
        {
            **row,
            "on_leave_today": any(
                leave["starts_on"] <= today <= leave["ends_on"] for leave in row["leaves"]
            ),
        }
        for row in rows
    ]


async def lawyers(
    uow: AidCenterUnitOfWork, *, firm_id: UUID | None = None, page: PageRequest | None = None
) -> list[dict[str, Any]]:
    """Lawyers by licence number (license_number, lawyer_id), with the firm's name, their live
    assignments (``active_cases``), their leaves and whether they are on leave today."""
    return _as_of_today(uow, await uow.aid.lawyers_with_caseload(firm_id=firm_id, page=page))


async def lawyer(
    uow: AidCenterUnitOfWork, lawyer_id: UUID, *, lock: bool = False
) -> dict[str, Any]:
    """One lawyer as :func:`lawyers` shows them; with ``lock`` their row is held until the
    transaction ends, so a concurrent edit waits and then sees this one."""
    if lock:
        await uow.aid.lock_lawyer(lawyer_id)
    found = _as_of_today(uow, await uow.aid.lawyers_with_caseload(lawyer_ids=[lawyer_id]))
    if not found:
        raise NotKnown("lawyer", lawyer_id)
    return found[0]


async def add_lawyer(uow: AidCenterUnitOfWork, command: AddLawyer) -> dict[str, Any]:
    """The lawyer as :func:`lawyer` shows them. Their firm must be on the roster; a licence
    number is on it once."""
    if await uow.aid.firm(command.firm_id) is None:
        raise RuleViolation(f"firm {command.firm_id} is not on the roster", field="firm_id")
    lawyer_id = uuid.uuid4()
    added = await uow.aid.store_lawyer(
        {
            "lawyer_id": lawyer_id,
            "firm_id": command.firm_id,
            "name": command.name,
            "license_number": command.license_number,
            "contact": command.contact,
            "gender": command.gender.value,
            "criminal_practice_years": command.criminal_practice_years,
            "specialties": list(command.specialties),
            "districts": list(command.districts),
            "languages": list(command.languages),
            "max_concurrent_cases": command.max_concurrent_cases,
            "active": command.active,
        }
    )
    if not added:
        raise StateConflict(
            f"licence number {command.license_number} is already on the roster",
            field="license_number",
        )
    return await lawyer(uow, lawyer_id)


async def update_lawyer(uow: AidCenterUnitOfWork, command: UpdateLawyer) -> dict[str, Any]:
    """The lawyer after the change, made under the lock on their row."""
    await lawyer(uow, command.lawyer_id, lock=True)
    if command.changes:
        await uow.aid.update_lawyer(command.lawyer_id, dict(command.changes))
    return await lawyer(uow, command.lawyer_id)


async def previous_stage_lawyer(
    uow: AidCenterUnitOfWork, suspect_id: UUID, *, lock: bool = False
) -> dict[str, Any] | None:
    """The lawyer recorded for the suspect's previous stage (``lawyer_id``, ``note``), if any;
    with ``lock`` the record is held until the transaction ends."""
    return await uow.aid.previous_stage_lawyer(suspect_id, lock=lock)


async def record_leave(uow: AidCenterUnitOfWork, command: RecordLeave) -> UUID:
    """Returns the leave's id."""
    if not await uow.aid.lawyer_exists(command.lawyer_id):
        raise NotKnown("lawyer", command.lawyer_id)
    if command.ends_on < command.starts_on:
        raise RuleViolation("the leave ends before it starts", field="ends_on")
    leave_id = uuid.uuid4()
    await uow.aid.add_leave(
        {
            "leave_id": leave_id,
            "lawyer_id": command.lawyer_id,
            "starts_on": command.starts_on,
            "ends_on": command.ends_on,
            "reason": command.reason,
        }
    )
    return leave_id


async def cancel_leave(uow: AidCenterUnitOfWork, command: CancelLeave) -> None:
    if not await uow.aid.remove_leave(command.lawyer_id, command.leave_id):
        raise NotKnown("leave", command.leave_id)


async def set_previous_stage_lawyer(
    uow: AidCenterUnitOfWork, command: SetPreviousStageLawyer
) -> None:
    if not await uow.aid.lawyer_exists(command.lawyer_id):
        raise RuleViolation(f"lawyer {command.lawyer_id} is not on the roster", field="lawyer_id")
    await uow.aid.set_previous_stage_lawyer(
        command.suspect_id, lawyer_id=command.lawyer_id, note=command.note
    )
