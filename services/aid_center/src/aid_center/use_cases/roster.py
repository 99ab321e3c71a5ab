"""Staff's changes to the roster that the appointment rules read: a lawyer's leave (no
appointment while on it) and the previous stage's lawyer (continuity, Measures Art. 13 ¶1)."""

from __future__ import annotations

import uuid
from uuid import UUID

from aid_center.domain.commands import CancelLeave, RecordLeave, SetPreviousStageLawyer
from aid_center.domain.errors import NotKnown, RuleViolation
from aid_center.unit_of_work import AidCenterUnitOfWork


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
