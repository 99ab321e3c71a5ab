"""Ending legal aid on staff's decision (LAL Art. 48) and on a change of jurisdiction.

The grounds, who brings each and where each applies are ``domain/termination.py``; the ending
itself (the assignment ended, the request closed, ``AidTerminated`` told to the procuratorate
and the notifier, in one transaction under the case's lock) is ``appointing.terminate``, the
same as for the procuratorate's events.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from aid_center.domain.commands import DecideReport, ReportGround, TerminateAid
from aid_center.domain.errors import NotKnown, RuleViolation, StateConflict
from aid_center.domain.status import AssignmentStatus, ReportStatus
from aid_center.domain.termination import refusal_of_staff_termination
from aid_center.unit_of_work import AidCenterUnitOfWork
from aid_center.use_cases.appointing import terminate
from defense_schemas import Envelope
from defense_schemas.vocabulary import AppointmentBasis, TerminationReason
from service_runtime.paging import PageRequest


async def _ground_applies(
    uow: AidCenterUnitOfWork, current: dict[str, Any], reason: TerminationReason
) -> None:
    """Refused (400 naming ``reason``) when the ground is the procuratorate's to record or
    does not apply to this aid."""
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
        reason, basis, economic_test_applied=economic_test_applied
    )
    if refused is not None:
        raise RuleViolation(refused, field="reason")


async def terminate_by_decision(uow: AidCenterUnitOfWork, command: TerminateAid) -> UUID:
    """The center decides to end aid (LAL Art. 48). Refused with the reason when the ground is
    the procuratorate's to record or does not apply to this aid; the assignment must still be
    active. Returns the assignment ended."""
    current = await uow.aid.assignment(command.assignment_id)
    if current is None:
        raise NotKnown("assignment", command.assignment_id)
    await _ground_applies(uow, current, command.reason)
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


STATEMENT = "termination_reports.statement"


def _opened(uow: AidCenterUnitOfWork, row: dict[str, Any]) -> dict[str, Any]:
    return row | {
        "statement": uow.cipher.decrypt(
            row["statement"], field=STATEMENT, record_id=row["report_id"]
        )
    }


async def report_ground(uow: AidCenterUnitOfWork, command: ReportGround) -> dict[str, Any]:
    """法律援助人员发现有前款规定情形的，应当及时向法律援助机构报告 (LAL Art. 48 ¶2): the lawyer
    of an active assignment reports a ground, with what they found. The lawyer may report the
    grounds staff may decide on, where they apply to this aid; the ones the procuratorate
    records (retained counsel, self-defense, non-prosecution, a change of jurisdiction, the
    hand-over) are a 400 naming ``reason``: the case handler records them, and the center
    acts on its event. Nothing ends and nobody outside the center is told until staff
    decide."""
    current = await uow.aid.assignment(command.assignment_id)
    if current is None:
        raise NotKnown("assignment", command.assignment_id)
    await _ground_applies(uow, current, command.reason)
    if current["status"] != AssignmentStatus.ACTIVE:
        raise StateConflict(f"assignment {command.assignment_id} has ended", field="status")
    context = await uow.aid.claim_context(command.assignment_id)
    assert context is not None
    report_id = uuid.uuid4()
    row = await uow.aid.store_report(
        {
            "report_id": report_id,
            "assignment_id": command.assignment_id,
            "case_id": current["case_id"],
            "suspect_id": current["suspect_id"],
            "lawyer_id": current["lawyer_id"],
            "addressee_center": context["addressee_center"] or "",
            "reason": command.reason.value,
            "statement": uow.cipher.encrypt(
                command.statement, field=STATEMENT, record_id=report_id
            ),
            "reported_at": uow.now(),
            "status": ReportStatus.PENDING,
        }
    )
    return _opened(uow, row)


async def decide_report(uow: AidCenterUnitOfWork, command: DecideReport) -> dict[str, Any]:
    """Staff decide on a lawyer's report, with reasons (the recipient may object to a
    termination, LAL Art. 49). Terminate: the aid ends on the ground reported exactly as on
    staff's own decision (``terminate_by_decision``: ``AidTerminated`` tells the procuratorate
    and the notifier, and what follows for a suspect in the mandatory scope is the shared
    ``letter_after_termination``). Dismiss: recorded on the report only; the aid goes on and
    the procuratorate is not told. A report decided already, or whose assignment has ended
    meanwhile, is a 409."""
    report = await uow.aid.report(command.report_id, for_update=True)
    if report is None:
        raise NotKnown("termination report", command.report_id)
    if report["status"] != ReportStatus.PENDING:
        raise StateConflict(f"the report was {report['status']} already", field="status")
    at = uow.now()
    if command.terminate:
        await terminate_by_decision(
            uow,
            TerminateAid(
                assignment_id=report["assignment_id"],
                reason=TerminationReason(report["reason"]),
                detail=command.reasons,
                decision_number=command.decision_number,
            ),
        )
        status = ReportStatus.TERMINATED
    else:
        status = ReportStatus.DISMISSED
    row = await uow.aid.update_report(
        command.report_id,
        {
            "status": status,
            "decided_at": at,
            "decision_reasons": command.reasons,
            "decision_number": command.decision_number,
        },
    )
    return _opened(uow, row)


async def reports(
    uow: AidCenterUnitOfWork,
    *,
    center: str | None,
    lawyer_id: UUID | None,
    status: ReportStatus | None = None,
    page: PageRequest | None = None,
) -> list[dict[str, Any]]:
    """The reports a caller sees, by (reported_at, report_id): a lawyer their own, staff their
    center's."""
    rows = await uow.aid.reports(
        center=center, lawyer_id=lawyer_id, status=status.value if status else None, page=page
    )
    return [_opened(uow, row) for row in rows]
