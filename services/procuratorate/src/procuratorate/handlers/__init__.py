"""Event handlers: how the procuratorate's projection follows the events it consumes.

- intake: an agency's CaseTransferred becomes CaseReceived (the same transfer twice: a no-op);
- the aid center's events keep each suspect's current defender, the notices' state and the
  assignment clock (Measures Art. 4) up to date, and go on the case's timeline.
"""

from __future__ import annotations

from typing import Any

from defense_schemas import Envelope
from defense_schemas.events.aid_center import (
    AidTerminated,
    AssignmentEnded,
    AssignmentFailed,
    ConflictReported,
    DutyLawyerAssigned,
    LawyerActivityLogged,
    LawyerAssigned,
    LawyerReplaced,
    NoticeAccepted,
    QualityReviewRecorded,
    SupplementRequested,
)
from defense_schemas.events.common import CaseParticulars, Lawyer
from defense_schemas.events.intake import CaseTransferred
from defense_schemas.vocabulary import (
    AppointmentBasis,
    ClockKind,
    DefenseStatus,
    ReceiptKind,
    TransferKind,
)
from legal_calendar.deadlines import ASSIGNMENT, LETTER
from procuratorate.db.personal import SUSPECT_PERSONAL
from procuratorate.domain.defense_path import (
    LETTER_CLOCK_AT_REFUSAL,
    LETTER_CLOCK_AT_TERMINATION,
    DomainError,
)
from procuratorate.domain.statuses import NoticeStatus
from procuratorate.errors import as_permanent
from procuratorate.unit_of_work import ProcuratorateUnitOfWork
from procuratorate.workflow.common import (
    refresh_status,
)
from procuratorate.workflow.defense import SUPERSEDED_BY_RETAINED_COUNSEL
from procuratorate.workflow.intake import receive_case
from service_runtime.app import Runtime
from service_runtime.errors import ApiError
from service_runtime.security.audit_events import audited
from service_runtime.unit_of_work import HandlersInUnitOfWork, UnitOfWorkHandler

INTAKE_FIELDS = ("suspect.name", *(f"suspect.{key}" for key in SUSPECT_PERSONAL))


def _permanent(handler: UnitOfWorkHandler) -> UnitOfWorkHandler:
    """An event the workflow rejects (unknown case, forbidden by state) can never apply: it goes
    to the dead-letter topic; database errors still propagate and are retried."""

    async def wrapped(uow: ProcuratorateUnitOfWork, envelope: Envelope, event: Any) -> None:
        try:
            await handler(uow, envelope, event)
        except (ApiError, DomainError) as error:
            raise as_permanent(error) from error

    return wrapped


async def on_case_transferred(
    uow: ProcuratorateUnitOfWork, envelope: Envelope, event: CaseTransferred
) -> None:
    particulars = CaseParticulars.model_validate(
        event.model_dump(include=set(CaseParticulars.model_fields))
    )
    kind = (
        ReceiptKind.RETRANSFER_AFTER_SUPPLEMENTARY_INVESTIGATION
        if event.transfer_kind is TransferKind.AFTER_SUPPLEMENTARY_INVESTIGATION
        else ReceiptKind.TRANSFER
    )
    # The materials are received when the transfer arrives, not when the agency sent it.
    await receive_case(
        uow,
        particulars,
        case_id=envelope.case_id,
        received_at=max(envelope.occurred_at, event.transferred_at),
        receipt_kind=kind,
        caused_by=envelope,
    )


async def suspect_of(uow: ProcuratorateUnitOfWork, envelope: Envelope, suspect_id: Any) -> Any:
    row = await uow.cases.suspect(envelope.case_id, suspect_id, lock=True)
    uow.record_on_timeline(envelope, suspect_id)
    return row


async def defense_of(uow: ProcuratorateUnitOfWork, envelope: Envelope, suspect_id: Any) -> Any:
    """The suspect's defense aggregate; the event goes on the timeline."""
    row = await suspect_of(uow, envelope, suspect_id)
    case = await uow.cases.case(envelope.case_id)
    return await uow.cases.defense(case, row)


async def appoint(
    uow: ProcuratorateUnitOfWork,
    envelope: Envelope,
    suspect_id: Any,
    *,
    lawyer: Lawyer,
    kind: DefenseStatus,
    assignment_id: Any = None,
    at: Any,
    superseded: bool = False,
    reply_number: str | None = None,
) -> None:
    await uow.cases.add_defender(
        suspect_id,
        kind=kind.value,
        name=lawyer.name,
        firm=lawyer.firm_name,
        contact=lawyer.contact,
        lawyer_id=lawyer.lawyer_id,
        assignment_id=assignment_id,
        reply_number=reply_number,
        started_at=at,
        ended_at=at if superseded else None,
        end_reason=SUPERSEDED_BY_RETAINED_COUNSEL if superseded else None,
    )
    await refresh_status(
        uow,
        case_id=envelope.case_id,
        suspect_id=suspect_id,
        at=at,
        caused_by=envelope,
    )


async def set_notice(uow: ProcuratorateUnitOfWork, notice_id: Any, **values: Any) -> None:
    if notice_id is not None:
        await uow.cases.update_notice(notice_id, **values)


async def on_notice_accepted(
    uow: ProcuratorateUnitOfWork, envelope: Envelope, event: NoticeAccepted
) -> None:
    await suspect_of(uow, envelope, event.suspect_id)
    await set_notice(uow, event.notice_id, status=NoticeStatus.ACCEPTED.value)
    # Measures Art. 4, LAL Art. 36, defined once in legal_calendar.deadlines.ASSIGNMENT:
    # the acceptance states the start the center counted from (the letter's receipt, or
    # the supplement that completed it).
    await uow.cases.start_clock(
        case_id=envelope.case_id,
        suspect_id=event.suspect_id,
        kind=ClockKind.ASSIGNMENT,
        started_at=event.received_at,
        period=ASSIGNMENT.period,
        subject=str(event.notice_id),
    )


async def on_supplement_requested(
    uow: ProcuratorateUnitOfWork, envelope: Envelope, event: SupplementRequested
) -> None:
    await suspect_of(uow, envelope, event.suspect_id)
    await set_notice(
        uow,
        event.notice_id,
        status=NoticeStatus.SUPPLEMENT_REQUESTED.value,
        missing_items=[item.value for item in event.missing_items],
        supplement_detail=event.detail,
        supplement_requested_at=event.requested_at,
    )


async def on_lawyer_assigned(
    uow: ProcuratorateUnitOfWork, envelope: Envelope, event: LawyerAssigned
) -> None:
    row = await suspect_of(uow, envelope, event.suspect_id)
    await set_notice(uow, event.notice_id, status=NoticeStatus.LAWYER_ASSIGNED.value)
    await uow.cases.settle_clocks(
        kind=ClockKind.ASSIGNMENT, suspect_id=event.suspect_id, at=event.assigned_at
    )
    kind = (
        DefenseStatus.APPOINTED_ON_NOTICE
        if event.basis is AppointmentBasis.NOTICE
        else DefenseStatus.APPOINTED_ON_APPLICATION
    )
    # Read after the letter was answered and the clock met: the aggregate sees neither open.
    path = await uow.cases.defense(await uow.cases.case(envelope.case_id), row)
    current = path.lawyer_assigned(event.assignment_id, kind)
    await appoint(
        uow,
        envelope,
        event.suspect_id,
        lawyer=event.lawyer,
        kind=kind,
        assignment_id=event.assignment_id,
        at=event.assigned_at,
        reply_number=event.document_number.text if event.document_number else None,
        # Counsel was retained while the center was choosing: aid is to end (Art. 6), the
        # appointment is kept on record but never counts as a second defender.
        superseded=not current,
    )


async def on_lawyer_replaced(
    uow: ProcuratorateUnitOfWork, envelope: Envelope, event: LawyerReplaced
) -> None:
    row = await uow.cases.suspect(envelope.case_id, event.suspect_id, lock=True)
    # The aggregate is loaded before the event goes on the timeline: a reappointment request
    # is in flight until its replacement is recorded there.
    path = await uow.cases.defense(await uow.cases.case(envelope.case_id), row)
    uow.record_on_timeline(envelope, event.suspect_id)
    # The replacement meets the center's assignment period where one runs here (a written
    # request the center first found nobody for).
    await uow.cases.settle_clocks(
        kind=ClockKind.ASSIGNMENT, suspect_id=event.suspect_id, at=event.replaced_at
    )
    previous = await uow.cases.defender_kind(event.previous_assignment_id)
    kind = DefenseStatus(previous or DefenseStatus.APPOINTED_ON_NOTICE.value)
    counts = path.lawyer_replaced(event.previous_assignment_id, event.assignment_id, kind)
    await uow.cases.end_defenders(
        event.suspect_id,
        assignment_ids=[event.previous_assignment_id],
        at=event.replaced_at,
        reason=event.reason.value,
    )
    await appoint(
        uow,
        envelope,
        event.suspect_id,
        lawyer=event.lawyer,
        kind=kind,
        assignment_id=event.assignment_id,
        at=event.replaced_at,
        reply_number=event.document_number.text if event.document_number else None,
        # Neither replacing an active appointment nor answering a reappointment request
        # (counsel retained meanwhile): kept on record, never a second defender.
        superseded=counts is None,
    )


async def on_aid_terminated(
    uow: ProcuratorateUnitOfWork, envelope: Envelope, event: AidTerminated
) -> None:
    path = await defense_of(uow, envelope, event.suspect_id)
    reopened = path.record_aid_terminated(event.assignment_id, event.reason)
    await uow.cases.end_defenders(
        event.suspect_id,
        assignment_ids=[event.assignment_id],
        at=event.terminated_at,
        reason=event.reason.value,
    )
    if path.stage_left:
        # The case ended here or went to another procuratorate: no letter is owed here.
        await uow.cases.settle_clocks(
            kind=ClockKind.NOTICE_DISPATCH,
            suspect_id=event.suspect_id,
            at=event.terminated_at,
            cancel=True,
        )
    if reopened:
        # Still in the scope and now without a defender: the letter is owed again within
        # 3 days of finding it (the procuratorate's rules Art. 42).
        await uow.cases.start_clock(
            case_id=envelope.case_id,
            suspect_id=event.suspect_id,
            kind=ClockKind.NOTICE_DISPATCH,
            started_at=event.terminated_at,
            period=LETTER.period,
            subject=LETTER_CLOCK_AT_TERMINATION,
        )
    await uow.cases.update_suspect(event.suspect_id, aid_terminated=True)
    await refresh_status(
        uow,
        case_id=envelope.case_id,
        suspect_id=event.suspect_id,
        at=event.terminated_at,
        caused_by=envelope,
    )


async def on_assignment_failed(
    uow: ProcuratorateUnitOfWork, envelope: Envelope, event: AssignmentFailed
) -> None:
    """The center found nobody: the letter or the written request is answered, not in flight
    (the suspect shows without a defender, not covered), and the center's assignment period
    (Measures Art. 4) runs on while its staff retry. A written request for another lawyer
    opened that period here when it was made; one stored before it did has none yet: it opens
    now, counted from the request, as the center and the notifier count it."""
    path = await defense_of(uow, envelope, event.suspect_id)
    await set_notice(uow, event.notice_id, status=NoticeStatus.ASSIGNMENT_FAILED.value)
    if path.assignment_failed():
        requested_at = await uow.cases.last_reappointment_requested_at(event.suspect_id)
        await uow.cases.start_clock(
            case_id=envelope.case_id,
            suspect_id=event.suspect_id,
            kind=ClockKind.ASSIGNMENT,
            started_at=requested_at or event.failed_at,
            period=ASSIGNMENT.period,
            subject=str(event.notice_id or event.application_id),
        )


async def on_assignment_ended(
    uow: ProcuratorateUnitOfWork, envelope: Envelope, event: AssignmentEnded
) -> None:
    """The lawyer no longer acts for the suspect while aid goes on: after an allowed refusal
    (the ruling here ended it already) or a replacement nobody could take."""
    path = await defense_of(uow, envelope, event.suspect_id)
    opens = path.appointment_ended(event.assignment_id, event.reason)
    await uow.cases.end_defenders(
        event.suspect_id,
        assignment_ids=[event.assignment_id],
        at=event.ended_at,
        reason=event.reason.value,
    )
    if opens is ClockKind.NOTICE_DISPATCH:
        await uow.cases.start_clock(
            case_id=envelope.case_id,
            suspect_id=event.suspect_id,
            kind=ClockKind.NOTICE_DISPATCH,
            started_at=event.ended_at,
            period=LETTER.period,
            subject=LETTER_CLOCK_AT_REFUSAL,
        )
    elif opens is ClockKind.ASSIGNMENT:
        await uow.cases.start_clock(
            case_id=envelope.case_id,
            suspect_id=event.suspect_id,
            kind=ClockKind.ASSIGNMENT,
            started_at=event.ended_at,
            period=ASSIGNMENT.period,
            subject=str(event.notice_id or event.application_id),
        )
    await refresh_status(
        uow,
        case_id=envelope.case_id,
        suspect_id=event.suspect_id,
        at=event.ended_at,
        caused_by=envelope,
    )


async def on_duty_lawyer_assigned(
    uow: ProcuratorateUnitOfWork, envelope: Envelope, event: DutyLawyerAssigned
) -> None:
    await suspect_of(uow, envelope, event.suspect_id)
    await appoint(
        uow,
        envelope,
        event.suspect_id,
        lawyer=event.lawyer,
        kind=DefenseStatus.DUTY_LAWYER_ONLY,
        at=event.assigned_at,
    )


async def on_timeline_only(uow: ProcuratorateUnitOfWork, envelope: Envelope, event: Any) -> None:
    await suspect_of(uow, envelope, event.suspect_id)


def event_handlers(runtime: Runtime) -> HandlersInUnitOfWork:
    """Each consumer transaction is one unit of work for the handlers of its events."""
    return HandlersInUnitOfWork(
        runtime,
        {
            # The intake writes the suspects' personal data: audited in the same transaction.
            CaseTransferred: _permanent(audited(on_case_transferred, fields=INTAKE_FIELDS)),
            NoticeAccepted: _permanent(on_notice_accepted),
            SupplementRequested: _permanent(on_supplement_requested),
            LawyerAssigned: _permanent(on_lawyer_assigned),
            LawyerReplaced: _permanent(on_lawyer_replaced),
            AidTerminated: _permanent(on_aid_terminated),
            AssignmentFailed: _permanent(on_assignment_failed),
            AssignmentEnded: _permanent(on_assignment_ended),
            DutyLawyerAssigned: _permanent(on_duty_lawyer_assigned),
            ConflictReported: _permanent(on_timeline_only),
            LawyerActivityLogged: _permanent(on_timeline_only),
            QualityReviewRecorded: _permanent(on_timeline_only),
        },
    )
