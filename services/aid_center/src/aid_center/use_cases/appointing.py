"""Appointing, replacing and terminating: the use cases shared by handlers and routes.

Each runs inside the caller's unit of work (the consumer's transaction, or a route's) and writes
its state change and its events (through the outbox) together. Every appointment change of a
case first takes the case's lock (``uow.aid.lock_case``), so two co-suspects can never be given
lawyers of the same firm by concurrent transactions (Measures Art. 13), and judges the state as
it is under that lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from aid_center.db.repository import AidRequest
from aid_center.domain.assignment import (
    AssignmentDecision,
    AssignmentNeed,
    Candidate,
    choose_lawyer,
    hard_rule_failures,
)
from aid_center.domain.book import LAW_RULES
from aid_center.domain.errors import StateConflict
from aid_center.domain.status import FIRST_ASSIGNABLE, REFUSAL_ALLOWED, StageOutcome
from aid_center.unit_of_work import AidCenterUnitOfWork
from aid_center.use_cases.subsidies import open_claim
from defense_schemas import Envelope
from defense_schemas.events.aid_center import (
    AidTerminated,
    AssignmentEnded,
    AssignmentFailed,
    LawyerAssigned,
    LawyerReplaced,
)
from defense_schemas.events.common import DocumentNumber
from defense_schemas.vocabulary import AssignmentEndReason, ReplacementReason, TerminationReason
from legal_calendar import legal_date


def _manual_decision(
    lawyer_id: UUID, need: AssignmentNeed, roster: list[Candidate], reason: str
) -> AssignmentDecision:
    """Staff chose the lawyer. The law's rules still hold (409); roster limits may be waived."""
    chosen = next((c for c in roster if c.lawyer_id == lawyer_id), None)
    if chosen is None:
        raise StateConflict(f"lawyer {lawyer_id} is not on the roster", field="lawyer_id")
    failures = hard_rule_failures(chosen, need)
    forbidden = [text for rule, text in failures if rule in LAW_RULES]
    if forbidden:
        raise StateConflict(
            f"{chosen.name} cannot be assigned: " + "; ".join(forbidden), field="lawyer_id"
        )
    waived = [f"waived: {text}" for _, text in failures]
    return AssignmentDecision(
        chosen=chosen,
        reasons=(f"manual assignment by staff: {reason}", *waived),
        passed_over=(),
        continued_from_previous_stage=chosen.lawyer_id == need.previous_stage_lawyer_id,
    )


@dataclass(frozen=True)
class Appointment:
    """What an appointment attempt produced."""

    decision: AssignmentDecision
    assignment_id: UUID | None


async def appoint(
    uow: AidCenterUnitOfWork,
    notice_id: UUID | None,
    *,
    application_id: UUID | None = None,
    caused_by: Envelope | None,
    at: datetime | None = None,
    replacing: Mapping[str, Any] | None = None,
    replacing_ended: bool = False,
    replacement_reason: ReplacementReason | None = None,
    reappointment_request_id: UUID | None = None,
    detail: str | None = None,
    manual_lawyer_id: UUID | None = None,
    manual_reason: str | None = None,
    request_row: Mapping[Any, Any] | None = None,
) -> Appointment:
    """Choose and record a lawyer for the suspect of the notice (or of the application, when
    ``notice_id`` is None and ``application_id`` is given) and emit the outcome.

    A first appointment emits ``LawyerAssigned``; a replacement (``replacing`` the active
    assignment) ends the old one and emits ``LawyerReplaced``. When nobody qualifies the notice
    becomes ``unassignable`` with the reasons, and ``AssignmentFailed`` is emitted: the clock's
    watcher and staff see it at once rather than a silent wait.

    ``replacing_ended``: the assignment replaced already ended on an allowed refusal (Art. 5
    ¶1) and this answers the written request for another lawyer; it must not have been
    answered yet.

    ``request_row`` is the notice's (or application's) row when the caller has just written it
    in this transaction: it is not read again. ``at``: the time of the event that asks for the
    appointment (a handler); a route's is the unit of work's clock.
    """
    aid = uow.aid
    window = uow.settings.recent_assignment_window_days
    if request_row is not None:
        request = AidRequest.of(request_row, notice_id=notice_id, application_id=application_id)
    else:
        request = await aid.load_request(notice_id=notice_id, application_id=application_id)
    notice = request.row
    await aid.lock_case(notice["case_id"])
    # What the caller read before the lock may be stale: another replica, or a concurrent
    # request, may have appointed or replaced in between. Judge the state as it is now.
    if replacing is not None and replacing_ended:
        if (
            await aid.refused_awaiting_reappointment(
                suspect_id=notice["suspect_id"], assignment_id=replacing["assignment_id"]
            )
            is None
        ):
            raise StateConflict(
                f"assignment {replacing['assignment_id']} was not refused, or another lawyer "
                "was already appointed",
                field="status",
            )
    elif replacing is not None:
        if (
            await aid.active_assignment(
                suspect_id=notice["suspect_id"], assignment_id=replacing["assignment_id"]
            )
            is None
        ):
            raise StateConflict(
                f"assignment {replacing['assignment_id']} is no longer active", field="status"
            )
    elif request_row is None:
        request = await aid.load_request(notice_id=notice_id, application_id=application_id)
        notice = request.row
        if notice["status"] not in FIRST_ASSIGNABLE:
            raise StateConflict(
                f"the request is {notice['status']}; only an accepted or unassignable one "
                "gets a first assignment",
                field="status",
            )
    at = at or uow.now()
    excluded: frozenset[UUID] = frozenset()
    if replacing is not None and replacing_ended:
        excluded = frozenset({replacing["lawyer_id"]})
    elif replacing is not None:
        await aid.end_assignment(
            replacing["assignment_id"],
            reason=(replacement_reason or ReplacementReason.CHANGE_OF_LAWYER).value,
            detail=detail,
            at=at,
        )
        await open_claim(uow, replacing["assignment_id"], at=at, caused_by=caused_by)
        excluded = frozenset({replacing["lawyer_id"]})
    need, loaded = await aid.need_and_roster(
        request.need_source, at=at, recent_window_days=window, excluded_lawyer_ids=excluded
    )
    if manual_lawyer_id is not None:
        # Staff may waive capacity, but the lawyer's row is still held so that concurrent
        # engine choices count this appointment.
        await aid.hold_lawyer(manual_lawyer_id)
        decision = _manual_decision(
            manual_lawyer_id, need, loaded.candidates, manual_reason or "no reason"
        )
    else:
        decision = choose_lawyer(need, loaded.candidates)
        # The roster was read before any lock on the lawyers: another case's transaction (in
        # this replica or another) may have taken the chosen lawyer's last place meanwhile.
        # Hold the chosen lawyer's row, count again, and choose again from a fresh roster if
        # the place is gone. A lawyer found full stays locked by this transaction, so no
        # later pass can find them free yet chosen by someone else: each pass rules out one
        # more lawyer, and the loop ends.
        while decision.chosen is not None and not await aid.has_place(decision.chosen):
            need, loaded = await aid.need_and_roster(
                request.need_source, at=at, recent_window_days=window, excluded_lawyer_ids=excluded
            )
            decision = choose_lawyer(need, loaded.candidates)
    explanation = decision.explanation()
    application_ref = application_id if notice_id is None else None

    if decision.chosen is None:
        if replacing is not None and not replacing_ended:
            # The lawyer being replaced was let go above and nobody takes over: say so, or the
            # procuratorate would go on counting that lawyer as the suspect's defender.
            await uow.publish(
                AssignmentEnded(
                    assignment_id=replacing["assignment_id"],
                    suspect_id=notice["suspect_id"],
                    lawyer_id=replacing["lawyer_id"],
                    notice_id=replacing.get("notice_id"),
                    application_id=replacing.get("application_id"),
                    reason=AssignmentEndReason.REPLACEMENT_NOT_FOUND,
                    ended_at=at,
                    detail=detail,
                ),
                case_id=notice["case_id"],
                caused_by=caused_by,
            )
        await record_unassignable(uow, request, decision, caused_by=caused_by, at=at)
        return Appointment(decision, None)

    chosen = decision.chosen
    assignment_id = uuid.uuid4()
    # The reply's number last: drawing it locks the center's counter row until the
    # transaction ends, so only what needs the number follows.
    center = notice["addressee_center"]
    year = legal_date(at).year
    number = DocumentNumber.of(
        uow.settings.issuing_unit_abbreviations.get(center, center),
        year,
        await aid.next_document_number(center, year),
    )
    await aid.record_assignment(
        request,
        {
            "assignment_id": assignment_id,
            "case_id": notice["case_id"],
            "suspect_id": notice["suspect_id"],
            "notice_id": notice_id,
            "application_id": application_ref,
            "lawyer_id": chosen.lawyer_id,
            "firm_id": chosen.firm_id,
            "manual": manual_lawyer_id is not None,
            "continued_from_previous_stage": decision.continued_from_previous_stage,
            "previous_assignment_id": replacing["assignment_id"] if replacing else None,
            "decision": explanation,
            "assigned_at": at,
            "document_number": number.model_dump(mode="json"),
        },
    )
    lawyer = loaded.lawyer(chosen.lawyer_id)
    if replacing is None:
        event: LawyerAssigned | LawyerReplaced = LawyerAssigned(
            assignment_id=assignment_id,
            suspect_id=notice["suspect_id"],
            basis=request.basis,
            notice_id=notice_id,
            application_id=application_ref,
            lawyer=lawyer,
            assigned_at=at,
            continued_from_previous_stage=decision.continued_from_previous_stage,
            document_number=number,
        )
    else:
        event = LawyerReplaced(
            suspect_id=notice["suspect_id"],
            previous_assignment_id=replacing["assignment_id"],
            assignment_id=assignment_id,
            lawyer=lawyer,
            reason=replacement_reason or ReplacementReason.CHANGE_OF_LAWYER,
            replaced_at=at,
            reappointment_request_id=reappointment_request_id,
            detail=detail,
            document_number=number,
        )
    await uow.publish(event, case_id=notice["case_id"], caused_by=caused_by)
    uow.assignment_made(caused_by)
    return Appointment(decision, assignment_id)


async def record_unassignable(
    uow: AidCenterUnitOfWork,
    request: AidRequest,
    decision: AssignmentDecision,
    *,
    caused_by: Envelope | None,
    at: datetime,
) -> None:
    """Nobody qualifies: the request says so with the engine's reasons, and
    ``AssignmentFailed`` tells the clock's watcher and staff at once."""
    assert decision.failure is not None
    reason_text = "; ".join((*decision.reasons, *decision.unmet_wishes))
    await uow.aid.mark_unassignable(
        request, failure=decision.failure.value, decision=decision.explanation(), at=at
    )
    await uow.publish(
        AssignmentFailed(
            suspect_id=request.row["suspect_id"],
            notice_id=request.notice_id,
            application_id=request.application_id,
            reason=decision.failure,
            failed_at=at,
            detail=reason_text[:4000],
        ),
        case_id=request.row["case_id"],
        caused_by=caused_by,
    )


async def end_on_allowed_refusal(
    uow: AidCenterUnitOfWork,
    *,
    case_id: UUID,
    suspect_id: UUID,
    assignment_id: UUID,
    detail: str,
    at: datetime,
    caused_by: Envelope | None,
) -> UUID | None:
    """Measures Art. 5 ¶1: the procuratorate allowed the suspect's refusal of this lawyer. The
    appointment ends now, so the lawyer's place and the firm's line under Art. 13 are free at
    once; the suspect's own counsel or the procuratorate's written request (另行指派) decides
    what follows. Not a termination of aid: no ``AidTerminated``, but ``AssignmentEnded``, so
    the procuratorate and the notifier stop counting on (and writing to) that lawyer. The
    request no longer says "assigned": it awaits the written request, which starts a new
    assignment period. Returns the assignment ended, or None when it was no longer active."""
    await uow.aid.lock_case(case_id)
    current = await uow.aid.active_assignment(suspect_id=suspect_id, assignment_id=assignment_id)
    if current is None:
        return None
    await uow.aid.end_assignment(assignment_id, reason=REFUSAL_ALLOWED, detail=detail, at=at)
    await open_claim(uow, assignment_id, at=at, caused_by=caused_by)
    await uow.aid.await_reappointment(
        notice_id=current["notice_id"], application_id=current["application_id"], at=at
    )
    await uow.publish(
        AssignmentEnded(
            assignment_id=assignment_id,
            suspect_id=suspect_id,
            lawyer_id=current["lawyer_id"],
            notice_id=current["notice_id"],
            application_id=current["application_id"],
            reason=AssignmentEndReason.REFUSAL_ALLOWED,
            ended_at=at,
            detail=detail,
        ),
        case_id=case_id,
        caused_by=caused_by,
    )
    return assignment_id


async def terminate(
    uow: AidCenterUnitOfWork,
    *,
    case_id: UUID,
    suspect_id: UUID,
    assignment_id: UUID | None,
    reason: TerminationReason,
    detail: str | None,
    caused_by: Envelope | None,
    at: datetime,
    decision_number: str | None = None,
) -> UUID | None:
    """End legal aid for the suspect (终止法律援助): the active assignment ends, which releases
    the lawyer's caseload, and ``AidTerminated`` is emitted. An open notice or application
    without a lawyer yet is closed too, with the reason and detail kept on it (visible over
    REST as ``closed_reason``): ``AidTerminated`` names an assignment, so none is emitted when
    no lawyer was ever assigned. Returns the assignment ended."""
    await uow.aid.lock_case(case_id)
    current = await uow.aid.active_assignment(suspect_id=suspect_id)
    await uow.aid.close_requests(
        suspect_id,
        reason=reason.value,
        detail=detail
        if current is not None
        else f"{detail + '; ' if detail else ''}closed before any lawyer was assigned",
        at=at,
    )
    if current is None:
        return None
    if assignment_id is not None and current["assignment_id"] != assignment_id:
        detail = (
            f"{detail + '; ' if detail else ''}the event named assignment {assignment_id}, "
            f"the active one is {current['assignment_id']}"
        )
    await uow.aid.end_assignment(
        current["assignment_id"], reason=reason.value, detail=detail, at=at
    )
    await open_claim(uow, current["assignment_id"], at=at, caused_by=caused_by)
    await uow.publish(
        AidTerminated(
            assignment_id=current["assignment_id"],
            suspect_id=suspect_id,
            reason=reason,
            terminated_at=at,
            decision_number=decision_number,
            detail=detail,
        ),
        case_id=case_id,
        caused_by=caused_by,
    )
    assignment: UUID = current["assignment_id"]
    return assignment


async def record_handover(
    uow: AidCenterUnitOfWork,
    *,
    case_id: UUID,
    suspect_id: UUID,
    continues: bool,
    court: str,
    handed_over_at: datetime,
    detail: str,
    caused_by: Envelope | None,
    at: datetime,
) -> UUID | None:
    """Indicted and handed over: the active assignment either continues into the trial stage
    (stays active, so it still counts in the lawyer's caseload) or ends with ``AidTerminated``
    (``stage_ended``). Returns the assignment concerned, if any."""
    await uow.aid.lock_case(case_id)
    current = await uow.aid.active_assignment(suspect_id=suspect_id)
    if current is None:
        return None
    await uow.aid.record_stage_outcome(
        current["assignment_id"],
        outcome=StageOutcome.CONTINUES_TO_TRIAL if continues else StageOutcome.ENDED_AT_INDICTMENT,
        court=court,
        handed_over_at=handed_over_at,
    )
    if continues:
        # The review stage's work is done even though the lawyer goes on at trial: its subsidy
        # is owed now.
        await open_claim(uow, current["assignment_id"], at=at, caused_by=caused_by)
        return UUID(str(current["assignment_id"]))
    return await terminate(
        uow,
        case_id=case_id,
        suspect_id=suspect_id,
        assignment_id=current["assignment_id"],
        reason=TerminationReason.STAGE_ENDED,
        detail=detail,
        caused_by=caused_by,
        at=at,
    )
