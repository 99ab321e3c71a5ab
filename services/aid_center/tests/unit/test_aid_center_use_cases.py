"""The aid center's appointment use cases on a fake unit of work (no database, no broker): a
notice appointed, an allowed refusal and the written request that brings another lawyer, and
the termination of aid. The integration tests prove the same path on PostgreSQL and Kafka."""

from __future__ import annotations

import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from aid_center.domain.commands import CancelLeave, RecordLeave, SetPreviousStageLawyer
from aid_center.domain.errors import NotKnown, RuleViolation, StateConflict
from aid_center.domain.status import REFUSAL_ALLOWED, AssignmentStatus, NoticeStatus
from aid_center.use_cases import aid_changes
from aid_center.use_cases.applications import DecideApplication, decide
from aid_center.use_cases.appointing import appoint, end_on_allowed_refusal, terminate
from aid_center.use_cases.intake import receive_application
from aid_center.use_cases.roster import cancel_leave, record_leave, set_previous_stage_lawyer
from defense_schemas import examples as ex
from defense_schemas.events.aid_center import (
    AidTerminated,
    AssignmentEnded,
    AssignmentFailed,
    LawyerAssigned,
    LawyerReplaced,
)
from defense_schemas.events.procuratorate import (
    LegalAidApplicationForwarded,
    ReappointmentRequested,
)
from defense_schemas.vocabulary import (
    ApplicationDecision,
    AssignmentEndReason,
    ReappointmentReason,
    ReplacementReason,
    TerminationReason,
)
from legal_calendar import legal_date
from legal_calendar.deadlines import ASSIGNMENT

sys.path.insert(0, str(Path(__file__).parent))
from fake_aid_center_unit_of_work import NOW, FakeUnitOfWork

EVENT_TIME = NOW - timedelta(hours=5)


def _uow_with_roster() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    uow.aid.add_lawyer("甲律师事务所", "王律师")
    uow.aid.add_lawyer("乙律师事务所", "李律师")
    return uow


async def test_a_notice_is_appointed_at_the_events_time_and_co_suspects_get_different_firms() -> (
    None
):
    uow = _uow_with_roster()
    case_id = uuid.uuid4()
    first = uow.aid.add_notice(case_id)
    second = uow.aid.add_notice(case_id)

    one = await appoint(uow, first["notice_id"], caused_by=None, at=EVENT_TIME)
    two = await appoint(uow, second["notice_id"], caused_by=None)

    assigned = uow.events(LawyerAssigned)
    assert [a.assignment_id for a in assigned] == [one.assignment_id, two.assignment_id]
    # A handler's appointment takes its event's time; a route's the unit of work's clock.
    assert assigned[0].assigned_at == EVENT_TIME
    assert assigned[1].assigned_at == NOW
    assert assigned[0].lawyer.firm_id != assigned[1].lawyer.firm_id  # Measures Art. 13
    assert uow.aid.notices[first["notice_id"]]["status"] == NoticeStatus.ASSIGNED
    assert uow.aid.locked_cases == [case_id, case_id]
    # The chosen lawyer's row was held and their places counted again under it.
    assert {a.lawyer.lawyer_id for a in assigned} <= set(uow.aid.held_lawyers)
    # A notice already assigned gets no second first assignment.
    with pytest.raises(StateConflict):
        await appoint(uow, first["notice_id"], caused_by=None)


async def test_each_appointment_replies_under_the_centers_next_number() -> None:
    """Measures Art. 4: the reply (函告) is a numbered document of the center, and
    ``LawyerAssigned`` carries its number."""
    uow = _uow_with_roster()
    case_id = uuid.uuid4()
    first = uow.aid.add_notice(case_id)
    second = uow.aid.add_notice(uuid.uuid4(), addressee_center="天津市和平区法律援助中心")
    third = uow.aid.add_notice(uuid.uuid4())
    for notice in (first, second, third):
        await appoint(uow, notice["notice_id"], caused_by=None)
    numbers = [a.document_number for a in uow.events(LawyerAssigned)]
    # 津河东援函 is configured for 河东区's center; 和平区's numbers under its full name.
    assert [n.text if n else None for n in numbers] == [
        "津河东援函〔2026〕1号",
        "天津市和平区法律援助中心〔2026〕1号",
        "津河东援函〔2026〕2号",
    ]
    stored = [a["document_number"]["text"] for a in uow.aid.assignments.values()]
    assert stored == [n.text for n in numbers if n]


async def test_an_allowed_refusal_frees_the_place_and_the_written_request_brings_another() -> None:
    uow = _uow_with_roster()
    case_id = uuid.uuid4()
    notice = uow.aid.add_notice(case_id)
    first = await appoint(uow, notice["notice_id"], caused_by=None)
    assert first.assignment_id is not None
    refused = uow.aid.assignments[first.assignment_id]

    ended = await end_on_allowed_refusal(
        uow,
        case_id=case_id,
        suspect_id=notice["suspect_id"],
        assignment_id=first.assignment_id,
        detail="refusal allowed",
        at=EVENT_TIME,
        caused_by=None,
    )
    assert ended == first.assignment_id
    assert refused["status"] == AssignmentStatus.ENDED and refused["end_reason"] == REFUSAL_ALLOWED
    assert refused["ended_at"] == EVENT_TIME
    assert not uow.events(LawyerReplaced)  # not a replacement yet: the request decides
    # The procuratorate and the notifier learn that the lawyer no longer acts for the suspect.
    (gone,) = uow.events(AssignmentEnded)
    assert (gone.assignment_id, gone.lawyer_id) == (first.assignment_id, refused["lawyer_id"])
    assert (gone.reason, gone.ended_at) == (AssignmentEndReason.REFUSAL_ALLOWED, EVENT_TIME)
    assert gone.notice_id == notice["notice_id"]
    # No lawyer is active: the notice no longer says "assigned".
    assert uow.aid.notices[notice["notice_id"]]["status"] == NoticeStatus.AWAITING_REAPPOINTMENT

    request_id = uuid.uuid4()
    again = await appoint(
        uow,
        notice["notice_id"],
        caused_by=None,
        at=EVENT_TIME,
        replacing=dict(refused),
        replacing_ended=True,
        replacement_reason=ReplacementReason.REFUSAL_REAPPOINTMENT,
        reappointment_request_id=request_id,
    )
    (replaced,) = uow.events(LawyerReplaced)
    assert replaced.previous_assignment_id == first.assignment_id
    assert replaced.assignment_id == again.assignment_id
    assert replaced.reappointment_request_id == request_id
    assert replaced.lawyer.lawyer_id != refused["lawyer_id"]  # never the refused lawyer again
    # The new lawyer is 函告'd under the center's next number (Measures Art. 4-5).
    assert replaced.document_number is not None
    assert replaced.document_number.text == "津河东援函〔2026〕2号"
    # The request is answered once: the same request again is refused by the state.
    with pytest.raises(StateConflict):
        await appoint(
            uow,
            notice["notice_id"],
            caused_by=None,
            replacing=dict(refused),
            replacing_ended=True,
            replacement_reason=ReplacementReason.REFUSAL_REAPPOINTMENT,
        )


async def test_termination_ends_the_assignment_and_closes_the_request() -> None:
    uow = _uow_with_roster()
    case_id = uuid.uuid4()
    notice = uow.aid.add_notice(case_id)
    appointed = await appoint(uow, notice["notice_id"], caused_by=None)

    ended = await terminate(
        uow,
        case_id=case_id,
        suspect_id=notice["suspect_id"],
        assignment_id=appointed.assignment_id,
        reason=TerminationReason.COUNSEL_RETAINED,
        detail="counsel retained",
        caused_by=None,
        at=EVENT_TIME,
    )

    assert ended == appointed.assignment_id
    (terminated,) = uow.events(AidTerminated)
    assert terminated.assignment_id == appointed.assignment_id
    assert terminated.terminated_at == EVENT_TIME
    assert terminated.reason is TerminationReason.COUNSEL_RETAINED
    assert uow.aid.notices[notice["notice_id"]]["status"] == NoticeStatus.CLOSED
    assert all(a["status"] != AssignmentStatus.ACTIVE for a in uow.aid.assignments.values())


async def test_termination_before_any_lawyer_closes_the_request_without_an_event() -> None:
    uow = _uow_with_roster()
    case_id = uuid.uuid4()
    notice = uow.aid.add_notice(case_id)

    ended = await terminate(
        uow,
        case_id=case_id,
        suspect_id=notice["suspect_id"],
        assignment_id=None,
        reason=TerminationReason.PROCEEDINGS_ENDED,
        detail="non-prosecution decided",
        caused_by=None,
        at=EVENT_TIME,
    )

    assert ended is None
    assert not uow.events(AidTerminated)
    closed = uow.aid.notices[notice["notice_id"]]
    assert closed["status"] == NoticeStatus.CLOSED
    assert closed["closed_detail"] == (
        "non-prosecution decided; closed before any lawyer was assigned"
    )


async def test_a_replacement_nobody_can_take_ends_the_appointment_and_says_so() -> None:
    uow = FakeUnitOfWork()
    uow.aid.add_lawyer("甲律师事务所", "王律师")
    case_id = uuid.uuid4()
    notice = uow.aid.add_notice(case_id)
    first = await appoint(uow, notice["notice_id"], caused_by=None)
    assert first.assignment_id is not None

    again = await appoint(
        uow,
        notice["notice_id"],
        caused_by=None,
        at=EVENT_TIME,
        replacing=dict(uow.aid.assignments[first.assignment_id]),
        replacement_reason=ReplacementReason.CHANGE_OF_LAWYER,
    )

    assert again.assignment_id is None
    (gone,) = uow.events(AssignmentEnded)
    assert gone.assignment_id == first.assignment_id
    assert gone.reason is AssignmentEndReason.REPLACEMENT_NOT_FOUND
    (failed,) = uow.events(AssignmentFailed)
    kinds = [type(p.event) for p in uow.published]
    assert kinds.index(AssignmentEnded) < kinds.index(AssignmentFailed)
    assert failed.notice_id == notice["notice_id"]
    assert uow.aid.notices[notice["notice_id"]]["status"] == NoticeStatus.UNASSIGNABLE


async def test_a_lawyer_on_leave_is_passed_over_and_chosen_again_once_it_is_cancelled() -> None:
    uow = FakeUnitOfWork()
    away = uow.aid.add_lawyer("甲律师事务所", "王律师")
    other = uow.aid.add_lawyer("乙律师事务所", "李律师", places=1)
    today = legal_date(NOW)
    leave_id = await record_leave(uow, RecordLeave(away, today, today + timedelta(days=2)))
    with pytest.raises(RuleViolation) as refused:
        await record_leave(uow, RecordLeave(away, today, today - timedelta(days=1)))
    assert refused.value.field == "ends_on"
    with pytest.raises(NotKnown):
        await record_leave(uow, RecordLeave(uuid.uuid4(), today, today))

    first = uow.aid.add_notice(uuid.uuid4())
    chosen = await appoint(uow, first["notice_id"], caused_by=None)
    assert uow.aid.assignments[chosen.assignment_id]["lawyer_id"] == other

    await cancel_leave(uow, CancelLeave(away, leave_id))
    with pytest.raises(NotKnown):
        await cancel_leave(uow, CancelLeave(away, leave_id))
    second = uow.aid.add_notice(uuid.uuid4())
    again = await appoint(uow, second["notice_id"], caused_by=None)
    assert uow.aid.assignments[again.assignment_id]["lawyer_id"] == away


async def test_the_previous_stage_lawyer_must_be_on_the_roster_and_is_preferred() -> None:
    uow = FakeUnitOfWork()
    uow.aid.add_lawyer("甲律师事务所", "王律师")
    previous = uow.aid.add_lawyer("乙律师事务所", "李律师")
    notice = uow.aid.add_notice(uuid.uuid4())
    with pytest.raises(RuleViolation) as refused:
        await set_previous_stage_lawyer(
            uow, SetPreviousStageLawyer(notice["suspect_id"], uuid.uuid4())
        )
    assert refused.value.field == "lawyer_id"
    await set_previous_stage_lawyer(uow, SetPreviousStageLawyer(notice["suspect_id"], previous))

    (assigned,) = [
        uow.aid.assignments[a]
        for a in [(await appoint(uow, notice["notice_id"], caused_by=None)).assignment_id]
    ]
    assert assigned["lawyer_id"] == previous
    assert assigned["continued_from_previous_stage"] is True


async def test_a_written_request_restarts_the_assignment_period_of_a_granted_application() -> None:
    """Measures Art. 5: the procuratorate's written request for another lawyer starts a new
    period of 3 days whether the aid came on its notice or on a granted application; the
    procuratorate and the notifier count both from the request, so the center must too."""
    uow = _uow_with_roster()
    case_id = uuid.uuid4()
    forwarded = next(
        e for e in ex.EXAMPLES if isinstance(e, LegalAidApplicationForwarded)
    ).model_copy(update={"application_id": uuid.uuid4(), "suspect_id": uuid.uuid4()})
    await receive_application(uow, forwarded, case_id=case_id, caused_by=None, at=EVENT_TIME)
    await decide(
        uow,  # type: ignore[arg-type]
        DecideApplication(forwarded.application_id, ApplicationDecision.GRANTED, reasons=None),
    )
    application = uow.aid.applications[forwarded.application_id]
    (active,) = [a for a in uow.aid.assignments.values() if a["status"] == "active"]
    granted_due = application["assignment_due_on"]

    requested_at = NOW + timedelta(days=9)
    await aid_changes.reappoint(
        uow,
        ReappointmentRequested(
            request_id=uuid.uuid4(),
            suspect_id=forwarded.suspect_id,
            previous_assignment_id=active["assignment_id"],
            reason=ReappointmentReason.CHANGE_OF_LAWYER_ALLOWED,
            requested_at=requested_at,
            addressee_center=ex.CENTER,
        ),
        case_id=case_id,
        caused_by=None,
        at=requested_at,
    )

    due = ASSIGNMENT.due(requested_at, uow.calendar).due_on
    assert application["assignment_due_on"] == due != granted_due
