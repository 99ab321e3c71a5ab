"""The defense path's use cases, command by command, on a fake unit of work (in-memory case
repository, collected events, fixed clock): the workflow's rules in milliseconds. The
integration tests prove the same path on the real broker and database."""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from defense_schemas import Envelope
from defense_schemas.events.aid_center import (
    AidTerminated,
    AssignmentFailed,
    LawyerAssigned,
    LawyerReplaced,
)
from defense_schemas.events.common import Lawyer, RetainedCounsel, SuspectParticulars
from defense_schemas.events.procuratorate import (
    DefenseDecisionRecorded,
    DefenseNoticeSent,
    DefenseStatusChanged,
    EligibilityAssessed,
    LawyerRefusalRuled,
    PrivateCounselDismissed,
    PrivateCounselRetained,
    ReappointmentRequested,
    SelfDefensePermitted,
)
from defense_schemas.vocabulary import (
    AppointmentBasis,
    AssignmentFailureReason,
    ClockKind,
    ClockOutcome,
    DefenseChoice,
    DefenseStatus,
    Ground,
    PersonRole,
    ReappointmentReason,
    RefusalOutcome,
    ReplacementReason,
    TerminationReason,
)
from legal_calendar import legal_date
from legal_calendar.deadlines import ASSIGNMENT, LETTER
from procuratorate.domain.commands import (
    CorrectFacts,
    DismissCounsel,
    PermitSelfDefense,
    RecordDecision,
    RequestReappointment,
    RetainCounsel,
    RuleRefusal,
)
from procuratorate.domain.defense_path import StateConflict
from procuratorate.handlers import (
    on_aid_terminated,
    on_assignment_failed,
    on_lawyer_assigned,
    on_lawyer_replaced,
)
from procuratorate.workflow import defense
from procuratorate.workflow.intake import correct_facts
from service_runtime.errors import Conflict

sys.path.insert(0, str(Path(__file__).parent))
from fake_unit_of_work import NOW, FakeUnitOfWork

COUNSEL = RetainedCounsel(name="赵律师", law_firm="天津某律师事务所", contact="13800000000")


def facts(**overrides: Any) -> SuspectParticulars:
    return SuspectParticulars.model_validate(
        {
            "suspect_id": str(uuid.uuid4()),
            "name": "张三",
            "birth_date": "1990-05-01",
            "gender": "male",
            "limited_capacity": False,
            "custody_status": "detained",
            "place_of_detention_or_residence": "天津市河东区看守所",
            "contacts": ["022-12345678"],
            "charges": ["盗窃罪"],
            "likely_sentence": "one_year_or_less",
            "pleads_guilty": True,
            **overrides,
        }
    )


def a_case(*grounds: Ground, **fact_overrides: Any) -> tuple[FakeUnitOfWork, Any, Any]:
    uow = FakeUnitOfWork()
    case = uow.cases.add_case()
    suspect = uow.cases.add_suspect(case, facts(**fact_overrides), grounds=grounds)
    return uow, case, suspect


def a_minor() -> tuple[FakeUnitOfWork, Any, Any]:
    return a_case(Ground.MINOR, birth_date="2010-01-01")


# -- the decision and the letter (Measures Art. 3)


async def test_decision_without_counsel_in_scope_sends_the_numbered_letter() -> None:
    uow, case, suspect = a_minor()

    outcome = await defense.record_decision(
        uow,  # type: ignore[arg-type]
        RecordDecision(case.case_id, suspect.suspect_id, DefenseChoice.NO_COUNSEL),
    )

    (decided,) = uow.events(DefenseDecisionRecorded)
    (sent,) = uow.events(DefenseNoticeSent)
    assert decided.decided_at == NOW  # the command gave no instant: the unit of work's clock
    assert outcome["notice_id"] == sent.notice_id
    assert sent.letter.document_number.text.endswith("1号")
    assert sent.letter.addressee_center == "天津市河东区法律援助中心"
    assert uow.cases.suspects[suspect.suspect_id].decision == DefenseChoice.NO_COUNSEL.value
    # The letter met the letter clock the decision opened.
    (clock,) = [c for c in uow.cases.clocks if c.kind == ClockKind.NOTICE_DISPATCH.value]
    assert clock.outcome == ClockOutcome.MET.value


async def test_a_second_letter_while_the_first_is_in_flight_is_refused() -> None:
    uow, case, suspect = a_minor()
    command = RecordDecision(case.case_id, suspect.suspect_id, DefenseChoice.NO_COUNSEL)
    await defense.record_decision(uow, command)  # type: ignore[arg-type]

    with pytest.raises(StateConflict):
        await defense.record_decision(uow, command)  # type: ignore[arg-type]
    assert len(uow.events(DefenseNoticeSent)) == 1


async def test_defend_self_in_the_decision_is_refused_on_a_legal_aid_law_ground() -> None:
    uow, case, suspect = a_minor()

    with pytest.raises(StateConflict) as refused:
        await defense.record_decision(
            uow,  # type: ignore[arg-type]
            RecordDecision(case.case_id, suspect.suspect_id, DefenseChoice.DEFEND_SELF),
        )
    assert refused.value.field == "choice"
    assert uow.emitted == []


# -- self-defense (Art. 5; CPL Art. 35, 278)


async def test_self_defense_is_refused_under_lal_25_1() -> None:
    uow, case, suspect = a_minor()

    with pytest.raises(StateConflict) as refused:
        await defense.permit_self_defense(
            uow,  # type: ignore[arg-type]
            PermitSelfDefense(case.case_id, suspect.suspect_id, statement="我自己辩护"),
        )
    assert refused.value.field == "grounds"
    assert uow.emitted == []
    assert uow.cases.suspects[suspect.suspect_id].self_defense_permitted_at is None


async def test_self_defense_is_permitted_on_a_pilot_ground_and_cancels_the_letter_clock() -> None:
    uow, case, suspect = a_case(Ground.GUILT_NOT_ADMITTED, pleads_guilty=False, admits_guilt=False)
    await uow.cases.start_clock(
        case_id=case.case_id,
        suspect_id=suspect.suspect_id,
        kind=ClockKind.NOTICE_DISPATCH,
        started_at=NOW,
        period=LETTER.period,
        subject="rights_notification",
    )

    await defense.permit_self_defense(
        uow,  # type: ignore[arg-type]
        PermitSelfDefense(case.case_id, suspect.suspect_id, statement="我自己辩护"),
    )

    (permitted,) = uow.events(SelfDefensePermitted)
    assert permitted.permitted_at == NOW
    assert uow.cases.open_clocks(suspect.suspect_id, ClockKind.NOTICE_DISPATCH) == []
    (changed,) = uow.events(DefenseStatusChanged)
    assert changed.status is DefenseStatus.SELF_DEFENSE


# -- refusals of the appointed lawyer (Art. 5)


async def test_an_allowed_change_of_lawyer_asks_the_center_for_another() -> None:
    uow, case, suspect = a_minor()
    assignment = uuid.uuid4()
    uow.cases.appoint(suspect.suspect_id, assignment)

    request_id = await defense.rule_refusal(
        uow,  # type: ignore[arg-type]
        RuleRefusal(
            case.case_id,
            suspect.suspect_id,
            assignment,
            refusal_reason="沟通不畅",
            outcome=RefusalOutcome.CHANGE_OF_LAWYER,
        ),
    )

    (ruled,) = uow.events(LawyerRefusalRuled)
    (asked,) = uow.events(ReappointmentRequested)
    assert ruled.ruled_at == NOW
    assert asked.request_id == request_id
    assert asked.previous_assignment_id == assignment
    assert asked.reason is ReappointmentReason.CHANGE_OF_LAWYER_ALLOWED
    assert asked.addressee_center == "天津市河东区法律援助中心"


async def test_a_written_request_for_another_lawyer_starts_the_centers_period_here() -> None:
    """Measures Art. 4-5: the center counts a new 3-day assignment period from the written
    request; the procuratorate tracks the same one from the request, by the same definition
    (legal_calendar.deadlines.ASSIGNMENT), not only once the center finds nobody."""
    uow, case, suspect = a_minor()
    refused, changed = uuid.uuid4(), uuid.uuid4()
    uow.cases.appoint(suspect.suspect_id, refused)
    await defense.rule_refusal(
        uow,  # type: ignore[arg-type]
        RuleRefusal(
            case.case_id,
            suspect.suspect_id,
            refused,
            refusal_reason="与律师存在利害关系",
            outcome=RefusalOutcome.ALLOWED_MUST_RETAIN_COUNSEL,
        ),
    )
    assert uow.cases.open_clocks(suspect.suspect_id, ClockKind.ASSIGNMENT) == []
    request_id = await defense.request_reappointment(
        uow,  # type: ignore[arg-type]
        RequestReappointment(case.case_id, suspect.suspect_id, refused),
    )

    (clock,) = uow.cases.open_clocks(suspect.suspect_id, ClockKind.ASSIGNMENT)
    assert clock.subject == str(request_id) and clock.trigger_on == legal_date(NOW)
    assert clock.due_on == ASSIGNMENT.due(NOW, uow.calendar).due_on

    # The center finds nobody: its period runs on, still the one from the request.
    failed = AssignmentFailed(
        suspect_id=suspect.suspect_id,
        reason=AssignmentFailureReason.NO_QUALIFIED_LAWYER,
        failed_at=NOW + timedelta(days=1),
    )
    await on_assignment_failed(uow, _envelope(case, failed), failed)  # type: ignore[arg-type]
    assert uow.cases.open_clocks(suspect.suspect_id, ClockKind.ASSIGNMENT) == [clock]

    # A justified change of lawyer asks in writing too: the same period, from that request.
    other_uow, other_case, other = a_minor()
    other_uow.cases.appoint(other.suspect_id, changed)
    change_id = await defense.rule_refusal(
        other_uow,  # type: ignore[arg-type]
        RuleRefusal(
            other_case.case_id,
            other.suspect_id,
            changed,
            refusal_reason="沟通不畅",
            outcome=RefusalOutcome.CHANGE_OF_LAWYER,
        ),
    )
    (change_clock,) = other_uow.cases.open_clocks(other.suspect_id, ClockKind.ASSIGNMENT)
    assert change_clock.subject == str(change_id)

    # Counsel retained meanwhile: the center's period falls away, as the notifier has it.
    await defense.retain_counsel(
        uow,  # type: ignore[arg-type]
        RetainCounsel(case.case_id, suspect.suspect_id, COUNSEL),
    )
    assert uow.cases.open_clocks(suspect.suspect_id, ClockKind.ASSIGNMENT) == []
    assert clock.outcome == ClockOutcome.CANCELLED.value


async def test_a_rejected_refusal_keeps_the_lawyer_and_asks_for_no_other() -> None:
    uow, case, suspect = a_minor()
    assignment = uuid.uuid4()
    uow.cases.appoint(suspect.suspect_id, assignment)
    command = RuleRefusal(
        case.case_id,
        suspect.suspect_id,
        assignment,
        refusal_reason="无正当理由",
        outcome=RefusalOutcome.REJECTED,
    )

    assert await defense.rule_refusal(uow, command) is None  # type: ignore[arg-type]
    assert uow.events(ReappointmentRequested) == []
    # Another lawyer may be requested only after an allowed refusal.
    with pytest.raises(Conflict, match="only after a refusal of this assignment was allowed"):
        await defense.request_reappointment(
            uow,  # type: ignore[arg-type]
            RequestReappointment(case.case_id, suspect.suspect_id, assignment),
        )


async def test_an_allowed_refusal_ends_the_appointment_until_another_lawyer_is_asked_for() -> None:
    uow, case, suspect = a_minor()
    assignment = uuid.uuid4()
    uow.cases.appoint(suspect.suspect_id, assignment)

    assert (
        await defense.rule_refusal(
            uow,  # type: ignore[arg-type]
            RuleRefusal(
                case.case_id,
                suspect.suspect_id,
                assignment,
                refusal_reason="与律师存在利害关系",
                outcome=RefusalOutcome.ALLOWED_MUST_RETAIN_COUNSEL,
            ),
        )
        is None
    )

    # Measures Art. 5 ¶1: the refused lawyer no longer defends; the ledger shows a gap.
    assert await uow.cases.active_defenders(suspect.suspect_id) == []
    (changed,) = uow.events(DefenseStatusChanged)
    assert changed.status is DefenseStatus.NONE
    (clock,) = uow.cases.open_clocks(suspect.suspect_id, ClockKind.NOTICE_DISPATCH)
    assert clock.subject == "refusal_allowed"
    assert uow.events(ReappointmentRequested) == []

    await defense.request_reappointment(
        uow,  # type: ignore[arg-type]
        RequestReappointment(case.case_id, suspect.suspect_id, assignment),
    )
    (asked,) = uow.events(ReappointmentRequested)
    assert asked.reason is ReappointmentReason.REFUSAL_ALLOWED_NO_COUNSEL_RETAINED
    assert clock.outcome == ClockOutcome.MET.value
    path = await uow.cases.defense(case, suspect)
    assert path.letter_in_flight  # the request stands for the letter until the center answers
    with pytest.raises(StateConflict):  # and a second letter is not sent meanwhile
        await defense.record_decision(
            uow,  # type: ignore[arg-type]
            RecordDecision(case.case_id, suspect.suspect_id, DefenseChoice.NO_COUNSEL),
        )


async def test_a_refusal_of_a_lawyer_the_suspect_does_not_have_is_refused() -> None:
    uow, case, suspect = a_minor()

    with pytest.raises(StateConflict):
        await defense.rule_refusal(
            uow,  # type: ignore[arg-type]
            RuleRefusal(
                case.case_id,
                suspect.suspect_id,
                uuid.uuid4(),
                refusal_reason="x",
                outcome=RefusalOutcome.CHANGE_OF_LAWYER,
            ),
        )
    assert uow.emitted == []


# -- private counsel, retained then dismissed (Art. 6)


async def test_retained_counsel_supersedes_the_appointment_at_once() -> None:
    uow, case, suspect = a_minor()
    assignment = uuid.uuid4()
    uow.cases.appoint(suspect.suspect_id, assignment)

    retention_id = await defense.retain_counsel(
        uow,  # type: ignore[arg-type]
        RetainCounsel(case.case_id, suspect.suspect_id, COUNSEL),
    )

    (retained,) = uow.events(PrivateCounselRetained)
    assert retained.retention_id == retention_id
    assert retained.active_assignment_id == assignment
    active = await uow.cases.active_defenders(suspect.suspect_id)
    assert [d.kind for d in active] == [DefenseStatus.RETAINED.value]
    assert uow.cases.suspects[suspect.suspect_id].defense_status == DefenseStatus.RETAINED.value


async def test_dismissing_counsel_on_a_legal_aid_law_ground_sends_the_letter_again() -> None:
    uow, case, suspect = a_minor()
    retention_id = await defense.retain_counsel(
        uow,  # type: ignore[arg-type]
        RetainCounsel(case.case_id, suspect.suspect_id, COUNSEL),
    )
    assert retention_id is not None

    result = await defense.dismiss_counsel(
        uow,  # type: ignore[arg-type]
        DismissCounsel(case.case_id, suspect.suspect_id, retention_id, note="解除委托"),
    )

    assert result["renotify"] is True
    (dismissed,) = uow.events(PrivateCounselDismissed)
    (sent,) = uow.events(DefenseNoticeSent)
    assert dismissed.dismissed_at == NOW and sent.notice_id == result["notice_id"]
    assert await uow.cases.active_defenders(suspect.suspect_id) == []
    # The dismissal's letter clock is met by the letter.
    assert uow.cases.open_clocks(suspect.suspect_id, ClockKind.NOTICE_DISPATCH) == []


async def test_a_relative_retaining_counsel_the_suspect_declines_retains_nobody() -> None:
    uow, case, suspect = a_minor()

    retention_id = await defense.retain_counsel(
        uow,  # type: ignore[arg-type]
        RetainCounsel(
            case.case_id,
            suspect.suspect_id,
            COUNSEL,
            retained_by=PersonRole.CLOSE_RELATIVE,
            suspect_accepts=False,
        ),
    )

    assert retention_id is None
    assert uow.events(PrivateCounselRetained) == []
    (declined,) = uow.events(DefenseDecisionRecorded)
    assert declined.choice is DefenseChoice.NO_COUNSEL


# -- reassessment (a ground found later opens its own letter clock)


async def test_a_disability_found_later_adds_the_ground_and_opens_its_letter_clock() -> None:
    uow, case, suspect = a_case()

    discovered = await correct_facts(
        uow,  # type: ignore[arg-type]
        CorrectFacts(case.case_id, suspect.suspect_id, {"disabilities": ["hearing"]}),
    )

    ground = Ground.VISUAL_HEARING_OR_SPEECH_DISABILITY
    assert discovered[suspect.suspect_id] == (ground,)
    assert ground.value in uow.cases.suspects[suspect.suspect_id].grounds
    (assessed,) = uow.events(EligibilityAssessed)
    assert assessed.discovered_grounds == (ground,) and assessed.assessed_at == NOW
    assert uow.cases.discoveries == [(suspect.suspect_id, ground, NOW)]
    (clock,) = uow.cases.open_clocks(suspect.suspect_id, ClockKind.NOTICE_DISPATCH)
    assert clock.subject == ground.value


async def test_a_correction_that_changes_no_ground_emits_nothing() -> None:
    uow, case, suspect = a_case()

    discovered = await correct_facts(
        uow,  # type: ignore[arg-type]
        CorrectFacts(case.case_id, suspect.suspect_id, {"contacts": ["13900000000"]}),
    )

    assert discovered == {}
    assert uow.emitted == []
    assert uow.cases.facts(suspect).contacts == ("13900000000",)


# -- the aid center's answers, applied by the handlers (time from the event, never the clock)

LAWYER = Lawyer(
    lawyer_id=uuid.uuid4(),
    name="陈律师",
    firm_id=uuid.uuid4(),
    firm_name="天津甲律师事务所",
    contact="13800000001",
)
ASSIGNED_AT = datetime(2026, 3, 5, 3, 0, tzinfo=UTC)


def _envelope(case: Any, event: Any) -> Envelope:
    return Envelope.for_event(event, case_id=case.case_id, producer=event.producer.value)


async def _assigned(uow: FakeUnitOfWork, case: Any, suspect: Any) -> UUID:
    sent = await defense.record_decision(
        uow,  # type: ignore[arg-type]
        RecordDecision(case.case_id, suspect.suspect_id, DefenseChoice.NO_COUNSEL),
    )
    assignment = uuid.uuid4()
    event = LawyerAssigned(
        assignment_id=assignment,
        suspect_id=suspect.suspect_id,
        basis=AppointmentBasis.NOTICE,
        notice_id=sent["notice_id"],
        lawyer=LAWYER,
        assigned_at=ASSIGNED_AT,
    )
    await on_lawyer_assigned(uow, _envelope(case, event), event)  # type: ignore[arg-type]
    return assignment


async def test_a_lawyer_assigned_on_the_letter_becomes_the_suspects_defender() -> None:
    uow, case, suspect = a_minor()

    assignment = await _assigned(uow, case, suspect)

    (defender,) = await uow.cases.active_defenders(suspect.suspect_id)
    assert defender.assignment_id == assignment and defender.started_at == ASSIGNED_AT
    assert defender.kind == DefenseStatus.APPOINTED_ON_NOTICE.value
    (notice,) = uow.cases.notices.values()
    assert notice.status == "lawyer_assigned"
    changed = uow.events(DefenseStatusChanged)[-1]
    assert changed.status is DefenseStatus.APPOINTED_ON_NOTICE
    assert changed.changed_at == ASSIGNED_AT  # the event's time, not the unit of work's clock


async def test_aid_terminated_in_the_scope_reopens_the_letter_clock_from_the_termination() -> None:
    uow, case, suspect = a_minor()
    assignment = await _assigned(uow, case, suspect)
    terminated_at = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
    event = AidTerminated(
        assignment_id=assignment,
        suspect_id=suspect.suspect_id,
        reason=TerminationReason.OTHER,
        terminated_at=terminated_at,
        detail="律师因病无法履职",
    )

    await on_aid_terminated(uow, _envelope(case, event), event)  # type: ignore[arg-type]

    assert await uow.cases.active_defenders(suspect.suspect_id) == []
    assert uow.cases.suspects[suspect.suspect_id].aid_terminated is True
    (clock,) = uow.cases.open_clocks(suspect.suspect_id, ClockKind.NOTICE_DISPATCH)
    assert clock.trigger_on == date(2026, 3, 9)
    assert uow.events(DefenseStatusChanged)[-1].status is DefenseStatus.NONE


@pytest.mark.parametrize(
    "reason", [TerminationReason.PROCEEDINGS_ENDED, TerminationReason.JURISDICTION_CHANGED]
)
async def test_aid_terminated_because_the_case_left_this_stage_owes_no_letter(
    reason: TerminationReason,
) -> None:
    uow, case, suspect = a_minor()
    assignment = await _assigned(uow, case, suspect)
    event = AidTerminated(
        assignment_id=assignment,
        suspect_id=suspect.suspect_id,
        reason=reason,
        terminated_at=datetime(2026, 3, 9, 2, 0, tzinfo=UTC),
    )

    await on_aid_terminated(uow, _envelope(case, event), event)  # type: ignore[arg-type]

    assert uow.cases.open_clocks(suspect.suspect_id, ClockKind.NOTICE_DISPATCH) == []
    # The stored state keeps it: a later decision finds the stage closed here.
    with pytest.raises(StateConflict):
        await defense.record_decision(
            uow,  # type: ignore[arg-type]
            RecordDecision(case.case_id, suspect.suspect_id, DefenseChoice.NO_COUNSEL),
        )
    assert len(uow.events(DefenseNoticeSent)) == 1  # only the first letter, before the end


async def test_the_centers_answer_to_a_request_after_an_allowed_refusal_is_the_new_defender() -> (
    None
):
    uow, case, suspect = a_minor()
    refused = await _assigned(uow, case, suspect)
    await defense.rule_refusal(
        uow,  # type: ignore[arg-type]
        RuleRefusal(
            case.case_id,
            suspect.suspect_id,
            refused,
            refusal_reason="与律师存在利害关系",
            outcome=RefusalOutcome.ALLOWED_MUST_RETAIN_COUNSEL,
        ),
    )
    request_id = await defense.request_reappointment(
        uow,  # type: ignore[arg-type]
        RequestReappointment(case.case_id, suspect.suspect_id, refused),
    )
    replacement = uuid.uuid4()
    event = LawyerReplaced(
        suspect_id=suspect.suspect_id,
        previous_assignment_id=refused,
        assignment_id=replacement,
        lawyer=LAWYER,
        reason=ReplacementReason.REFUSAL_REAPPOINTMENT,
        replaced_at=ASSIGNED_AT,
        reappointment_request_id=request_id,
    )

    await on_lawyer_replaced(uow, _envelope(case, event), event)  # type: ignore[arg-type]

    (defender,) = await uow.cases.active_defenders(suspect.suspect_id)
    assert defender.assignment_id == replacement
    assert defender.kind == DefenseStatus.APPOINTED_ON_NOTICE.value
    assert uow.events(DefenseStatusChanged)[-1].status is DefenseStatus.APPOINTED_ON_NOTICE
    assert not (await uow.cases.defense(case, suspect)).letter_in_flight
