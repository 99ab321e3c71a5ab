"""Every ground for ending legal aid (LAL Art. 48), who may bring it and what follows, on the
fake unit of work: staff decide the center's grounds, the procuratorate's are refused by hand
and acted on as its events, a change of jurisdiction ends aid here and hands the suspect over
to the same lawyer when the receiving procuratorate's letter comes to this center."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from aid_center.domain.commands import DecideReport, ReportGround, TerminateAid
from aid_center.domain.errors import RuleViolation, StateConflict
from aid_center.domain.status import AssignmentStatus, NoticeStatus, ReportStatus
from aid_center.domain.termination import GROUNDS, TerminatedBy
from aid_center.use_cases.appointing import appoint
from aid_center.use_cases.terminations import (
    decide_report,
    end_on_jurisdiction_change,
    report_ground,
    terminate_by_decision,
)
from defense_schemas.events.aid_center import AidTerminated, LawyerAssigned
from defense_schemas.vocabulary import TerminationReason
from legal_calendar.deadlines import (
    AfterTermination,
    letter_after_termination,
    termination_reasons_defined,
)

sys.path.insert(0, str(Path(__file__).parent))
from fake_aid_center_unit_of_work import NOW, FakeUnitOfWork

CENTER_GROUNDS = [r for r, g in GROUNDS.items() if g.brought_by is TerminatedBy.CENTER]
PROCURATORATE_GROUNDS = [
    r for r, g in GROUNDS.items() if g.brought_by is TerminatedBy.PROCURATORATE
]


def _uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    uow.aid.add_lawyer("甲律师事务所", "王律师")
    uow.aid.add_lawyer("乙律师事务所", "李律师")
    return uow


async def _appointed_on_notice(uow: FakeUnitOfWork) -> tuple[dict[str, Any], UUID]:
    notice = uow.aid.add_notice(uuid.uuid4())
    appointed = await appoint(uow, notice["notice_id"], caused_by=None)
    assert appointed.assignment_id is not None
    return notice, appointed.assignment_id


async def _appointed_on_application(
    uow: FakeUnitOfWork, *, exempt: bool = False
) -> tuple[dict[str, Any], UUID]:
    application_id = uuid.uuid4()
    row = {
        "application_id": application_id,
        "case_id": uuid.uuid4(),
        "suspect_id": uuid.uuid4(),
        "status": NoticeStatus.ACCEPTED,
        "district": None,
        "addressee_center": "天津市河东区法律援助中心",
        "exemption_grounds": ["assistance_recipient"] if exempt else [],
    }
    uow.aid.applications[application_id] = row
    appointed = await appoint(uow, None, application_id=application_id, caused_by=None)
    assert appointed.assignment_id is not None
    return row, appointed.assignment_id


def test_every_termination_reason_is_a_ground_with_its_consequence_decided() -> None:
    """No reason falls to a default: each has its legal basis, who brings it, and what it means
    for the procuratorate's letter (the shared definition, not a copy of it)."""
    assert set(GROUNDS) == set(TerminationReason)
    assert {r.value for r in TerminationReason} <= termination_reasons_defined()


@pytest.mark.parametrize("reason", CENTER_GROUNDS, ids=str)
async def test_staff_end_aid_on_the_centers_grounds(reason: TerminationReason) -> None:
    uow = _uow()
    if GROUNDS[reason].economic_test_only:
        request, assignment_id = await _appointed_on_application(uow)
        requests = uow.aid.applications
        key = "application_id"
    else:
        request, assignment_id = await _appointed_on_notice(uow)
        requests = uow.aid.notices
        key = "notice_id"

    ended = await terminate_by_decision(
        uow,
        TerminateAid(
            assignment_id=assignment_id,
            reason=reason,
            detail="依据法律援助法第四十八条作出终止决定",
            decision_number="津河东援终〔2026〕1号",
        ),
    )

    assert ended == assignment_id
    (terminated,) = uow.events(AidTerminated)
    assert (terminated.assignment_id, terminated.reason) == (assignment_id, reason)
    assert terminated.decision_number == "津河东援终〔2026〕1号"
    assert terminated.terminated_at == NOW
    assignment = uow.aid.assignments[assignment_id]
    assert (assignment["status"], assignment["end_reason"]) == (AssignmentStatus.ENDED, reason)
    closed = requests[request[key]]
    assert (closed["status"], closed["closed_reason"]) == (NoticeStatus.CLOSED, reason.value)
    # What follows: the suspect in the scope is owed a new letter (and so a new lawyer),
    # except for a case that ended here.
    expected = (
        AfterTermination.DUTY_ENDS
        if reason is TerminationReason.PROCEEDINGS_ENDED
        else AfterTermination.REOPENS
    )
    assert letter_after_termination(reason.value) is expected


@pytest.mark.parametrize("reason", PROCURATORATE_GROUNDS, ids=str)
async def test_the_procuratorates_grounds_are_not_recorded_by_hand(
    reason: TerminationReason,
) -> None:
    uow = _uow()
    _, assignment_id = await _appointed_on_notice(uow)
    before = repr(uow.aid.assignments)

    with pytest.raises(RuleViolation) as refused:
        await terminate_by_decision(
            uow, TerminateAid(assignment_id=assignment_id, reason=reason, detail="x")
        )

    assert refused.value.field == "reason"
    assert "procuratorate" in refused.value.message
    assert repr(uow.aid.assignments) == before and not uow.events(AidTerminated)


async def test_a_changed_economic_situation_never_ends_aid_given_on_a_notice() -> None:
    """LAL Art. 25: a notice of defense does not depend on the suspect's means, so Art. 48(4)
    cannot end it."""
    uow = _uow()
    _, assignment_id = await _appointed_on_notice(uow)

    with pytest.raises(RuleViolation) as refused:
        await terminate_by_decision(
            uow,
            TerminateAid(
                assignment_id=assignment_id,
                reason=TerminationReason.ECONOMIC_SITUATION_CHANGED,
                detail="收入增加",
            ),
        )

    assert refused.value.field == "reason"
    assert uow.aid.assignments[assignment_id]["status"] == AssignmentStatus.ACTIVE


async def test_nor_aid_granted_without_the_economic_test() -> None:
    """LAL Art. 32, 42: an application exempt from the test does not depend on means either."""
    uow = _uow()
    _, assignment_id = await _appointed_on_application(uow, exempt=True)

    with pytest.raises(RuleViolation) as refused:
        await terminate_by_decision(
            uow,
            TerminateAid(
                assignment_id=assignment_id,
                reason=TerminationReason.ECONOMIC_SITUATION_CHANGED,
                detail="收入增加",
            ),
        )
    assert refused.value.field == "reason"


async def test_an_ended_assignment_is_not_terminated_twice() -> None:
    uow = _uow()
    _, assignment_id = await _appointed_on_notice(uow)
    command = TerminateAid(
        assignment_id=assignment_id, reason=TerminationReason.RECIPIENT_REQUEST, detail="要求终止"
    )
    await terminate_by_decision(uow, command)

    with pytest.raises(StateConflict):
        await terminate_by_decision(uow, command)
    assert len(uow.events(AidTerminated)) == 1


async def test_a_change_of_jurisdiction_ends_aid_here_and_hands_over_to_the_same_lawyer() -> None:
    uow = _uow()
    notice, assignment_id = await _appointed_on_notice(uow)
    lawyer_id = uow.aid.assignments[assignment_id]["lawyer_id"]

    ended = await end_on_jurisdiction_change(
        uow,
        case_id=notice["case_id"],
        suspect_id=notice["suspect_id"],
        receiving_unit="天津市西青区人民检察院",
        decision_number="津河东检改管〔2026〕1号",
        caused_by=None,
        at=NOW,
    )

    assert ended == assignment_id
    (terminated,) = uow.events(AidTerminated)
    assert terminated.reason is TerminationReason.JURISDICTION_CHANGED
    assert "天津市西青区人民检察院" in (terminated.detail or "")
    assert letter_after_termination(terminated.reason) is AfterTermination.DUTY_ENDS
    # The receiving procuratorate's own letter to this center: the same lawyer continues.
    again = uow.aid.add_notice(notice["case_id"], suspect_id=notice["suspect_id"])
    await appoint(uow, again["notice_id"], caused_by=None)
    assert uow.events(LawyerAssigned)[-1].lawyer.lawyer_id == lawyer_id
    assert uow.events(LawyerAssigned)[-1].continued_from_previous_stage


async def test_a_change_of_jurisdiction_before_any_lawyer_closes_the_notice() -> None:
    uow = _uow()
    notice = uow.aid.add_notice(uuid.uuid4())

    ended = await end_on_jurisdiction_change(
        uow,
        case_id=notice["case_id"],
        suspect_id=notice["suspect_id"],
        receiving_unit=None,
        decision_number=None,
        caused_by=None,
        at=NOW,
    )

    assert ended is None and not uow.events(AidTerminated)
    closed = uow.aid.notices[notice["notice_id"]]
    assert closed["closed_reason"] == TerminationReason.JURISDICTION_CHANGED.value


# --- the lawyer's report (LAL Art. 48 ¶2) ------------------------------------------------


async def _reported(
    uow: FakeUnitOfWork, reason: TerminationReason
) -> tuple[dict[str, Any], UUID, dict[str, Any]]:
    if GROUNDS[reason].economic_test_only:
        request, assignment_id = await _appointed_on_application(uow)
    else:
        request, assignment_id = await _appointed_on_notice(uow)
    report = await report_ground(
        uow, ReportGround(assignment_id, reason, "会见中发现受援人存在本项情形")
    )
    return request, assignment_id, report


@pytest.mark.parametrize("reason", CENTER_GROUNDS, ids=str)
async def test_the_lawyer_reports_a_ground_and_staff_terminate_on_it(
    reason: TerminationReason,
) -> None:
    """Each ground staff may decide, the lawyer may report: nothing ends on the report; staff's
    termination ends the aid on the ground reported and tells the procuratorate, with what
    follows for the suspect (the shared definition)."""
    uow = _uow()
    _, assignment_id, report = await _reported(uow, reason)

    assert report["status"] == ReportStatus.PENDING and report["reason"] == reason.value
    assert report["statement"] == "会见中发现受援人存在本项情形"
    assert "会见中" not in repr(uow.aid.termination_reports)  # sealed at rest
    assert uow.aid.assignments[assignment_id]["status"] == AssignmentStatus.ACTIVE
    assert not uow.events(AidTerminated)

    decided = await decide_report(
        uow, DecideReport(report["report_id"], terminate=True, reasons="经核实，情况属实")
    )

    assert decided["status"] == ReportStatus.TERMINATED
    (terminated,) = uow.events(AidTerminated)
    assert (terminated.assignment_id, terminated.reason) == (assignment_id, reason)
    assert terminated.detail == "经核实，情况属实"
    assert uow.aid.assignments[assignment_id]["status"] == AssignmentStatus.ENDED
    assert letter_after_termination(reason.value) in (
        AfterTermination.REOPENS,
        AfterTermination.DUTY_ENDS,
    )
    with pytest.raises(StateConflict):
        await decide_report(
            uow, DecideReport(report["report_id"], terminate=False, reasons="再次决定")
        )


@pytest.mark.parametrize("reason", CENTER_GROUNDS, ids=str)
async def test_a_dismissed_report_leaves_the_aid_and_tells_nobody(
    reason: TerminationReason,
) -> None:
    uow = _uow()
    _, assignment_id, report = await _reported(uow, reason)

    decided = await decide_report(
        uow, DecideReport(report["report_id"], terminate=False, reasons="经核实，情况不属实")
    )

    assert (decided["status"], decided["decision_reasons"]) == (
        ReportStatus.DISMISSED,
        "经核实，情况不属实",
    )
    assert uow.aid.assignments[assignment_id]["status"] == AssignmentStatus.ACTIVE
    assert not uow.events(AidTerminated)


@pytest.mark.parametrize("reason", PROCURATORATE_GROUNDS, ids=str)
async def test_the_lawyer_tells_the_case_handler_of_the_procuratorates_grounds(
    reason: TerminationReason,
) -> None:
    """Retained counsel, self-defense, a change of jurisdiction, the hand-over: the
    procuratorate records them (its projection must learn of them) and the center acts on its
    event, so a report of them is refused naming the reason."""
    uow = _uow()
    _, assignment_id = await _appointed_on_notice(uow)

    with pytest.raises(RuleViolation) as refused:
        await report_ground(uow, ReportGround(assignment_id, reason, "受援人已自行委托律师"))

    assert refused.value.field == "reason" and "procuratorate" in refused.value.message
    assert not uow.aid.termination_reports


async def test_the_lawyer_cannot_report_a_changed_economic_situation_on_a_notice() -> None:
    uow = _uow()
    _, assignment_id = await _appointed_on_notice(uow)

    with pytest.raises(RuleViolation) as refused:
        await report_ground(
            uow,
            ReportGround(assignment_id, TerminationReason.ECONOMIC_SITUATION_CHANGED, "已就业"),
        )
    assert refused.value.field == "reason"


async def test_a_report_on_an_ended_assignment_or_left_pending_after_it_ended_is_a_conflict() -> (
    None
):
    uow = _uow()
    _, assignment_id, report = await _reported(uow, TerminationReason.UNLAWFUL_USE)
    await terminate_by_decision(
        uow,
        TerminateAid(assignment_id, TerminationReason.RECIPIENT_REQUEST, "受援人要求终止"),
    )

    with pytest.raises(StateConflict):
        await report_ground(uow, ReportGround(assignment_id, TerminationReason.OTHER, "另有情形"))
    with pytest.raises(StateConflict):
        await decide_report(
            uow, DecideReport(report["report_id"], terminate=True, reasons="经核实")
        )
    assert len(uow.events(AidTerminated)) == 1
