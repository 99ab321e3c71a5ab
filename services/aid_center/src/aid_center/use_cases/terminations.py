"""Ending legal aid on staff's decision (LAL Art. 48) and on a change of jurisdiction.

The grounds, who brings each and where each applies are ``domain/termination.py``; the ending
itself (the assignment ended, the request closed, ``AidTerminated`` told to the procuratorate
and the notifier, in one transaction under the case's lock) is ``appointing.terminate``, the
same as for the procuratorate's events.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from aid_center.domain.commands import TerminateAid
from aid_center.domain.errors import NotKnown, RuleViolation, StateConflict
from aid_center.domain.status import AssignmentStatus
from aid_center.domain.termination import refusal_of_staff_termination
from aid_center.unit_of_work import AidCenterUnitOfWork
from aid_center.use_cases.appointing import terminate
from defense_schemas import Envelope
from defense_schemas.vocabulary import AppointmentBasis, TerminationReason


async def terminate_by_decision(uow: AidCenterUnitOfWork, command: TerminateAid) -> UUID:
    """The center decides to end aid (LAL Art. 48). Refused with the reason when the ground is
    the procuratorate's to record or does not apply to this aid; the assignment must still be
    active. Returns the assignment ended."""
    current = await uow.aid.assignment(command.assignment_id)
    if current is None:
        raise NotKnown("assignment", command.assignment_id)
    basis = (
        AppointmentBasis.APPLICATION
        if current["application_id"] is not None
        else AppointmentBasis.NOTICE
    )
    economic_test_applied = False
    if basis is AppointmentBasis.APPLICATION:
        application = await uow.aid.application(current["application_id"])
        economic_test_applied = application is not None and not application["exemption_grounds"]
    refused = refusal_of_staff_termination(
        command.reason, basis, economic_test_applied=economic_test_applied
    )
    if refused is not None:
        raise RuleViolation(refused, field="reason")
    await uow.aid.lock_case(current["case_id"])
    active = await uow.aid.active_assignment(
        suspect_id=current["suspect_id"], assignment_id=command.assignment_id
    )
    if active is None or active["status"] != AssignmentStatus.ACTIVE:
        raise StateConflict(f"assignment {command.assignment_id} has ended", field="status")
    ended = await terminate(
        uow,
        case_id=current["case_id"],
        suspect_id=current["suspect_id"],
        assignment_id=command.assignment_id,
        reason=command.reason,
        detail=command.detail,
        caused_by=None,
        at=uow.now(),
        decision_number=command.decision_number,
    )
    assert ended == command.assignment_id
    return ended


async def end_on_jurisdiction_change(
    uow: AidCenterUnitOfWork,
    *,
    case_id: UUID,
    suspect_id: UUID,
    receiving_unit: str | None,
    decision_number: str | None,
    caused_by: Envelope | None,
    at: datetime,
) -> UUID | None:
    """改变管辖: the case goes to another procuratorate, which informs the suspect and notifies
    its own legal aid center (CPL Art. 34; the letter period of the shared definition is the
    receiving unit's). Aid at this procuratorate ends (``jurisdiction_changed``), and the lawyer
    is kept as the suspect's previous lawyer: when the receiving unit's letter comes to this
    center, the engine hands the suspect over to the same lawyer if the rules allow (Measures
    Art. 13 ¶1, continuity). Returns the assignment ended, if any."""
    await uow.aid.lock_case(case_id)
    current = await uow.aid.active_assignment(suspect_id=suspect_id)
    to = receiving_unit or "another procuratorate"
    if current is not None:
        await uow.aid.set_previous_stage_lawyer(
            suspect_id,
            lawyer_id=current["lawyer_id"],
            note=f"defended the suspect until the case went to {to}",
        )
    return await terminate(
        uow,
        case_id=case_id,
        suspect_id=suspect_id,
        assignment_id=None,
        reason=TerminationReason.JURISDICTION_CHANGED,
        detail=f"jurisdiction changed: the case went to {to}",
        caused_by=caused_by,
        at=at,
        decision_number=decision_number,
    )
