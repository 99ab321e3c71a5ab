"""The deadline watch's rules, event by event, without a database."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from defense_schemas import examples as ex
from defense_schemas.events import aid_center as aid
from defense_schemas.events import procuratorate as pr
from defense_schemas.vocabulary import (
    ApplicationDecision,
    AppointmentBasis,
    AssignmentEndReason,
    ClockKind,
    ClockOutcome,
    DefenseChoice,
    PersonRole,
    ProceduralDecisionKind,
    ReappointmentReason,
    ReceiptKind,
    RefusalOutcome,
    ResponsibleParty,
    TerminationReason,
)
from legal_calendar import legal_date, load_bundled_calendar
from legal_calendar.deadlines import (
    APPLICATION_ASSIGNMENT,
    APPLICATION_REVIEW,
    ASSIGNMENT,
    LETTER,
)
from notifier.domain.clocks import (
    Alert,
    CaseView,
    ClockKey,
    Schedule,
    Stop,
    SuspectView,
    alert_due,
    clock_changes,
    stop_outcome,
)

CAL = load_bundled_calendar()
SH = timezone(timedelta(hours=8))


def received(day: date, receipt: ReceiptKind = ReceiptKind.TRANSFER) -> pr.CaseReceived:
    return pr.CaseReceived(
        **dict(ex.CASE),
        receipt_kind=receipt,
        received_at=datetime(day.year, day.month, day.day, 15, tzinfo=SH),
        review_deadline=date(2026, 4, 2),
        pilot_district=True,
        prosecutor=ex.PROSECUTOR,
    )


def test_case_received_starts_rights_clocks_and_review_period() -> None:
    changes = clock_changes(received(date(2026, 3, 2)), CaseView(), CAL)
    by_key = {c.key: c for c in changes if isinstance(c, Schedule)}
    rights = by_key[ClockKey(ClockKind.RIGHTS_NOTIFICATION, ex.ZHANG)]
    # Received Mon 2026-03-02: the 3 days end Thu 03-05 (CPL Art. 105).
    assert (rights.started_on, rights.due_on) == (date(2026, 3, 2), date(2026, 3, 5))
    assert rights.responsible is ResponsibleParty.PROCURATORATE
    assert ClockKey(ClockKind.RIGHTS_NOTIFICATION, ex.LI) in by_key
    assert by_key[ClockKey(ClockKind.REVIEW_PERIOD)].due_on == date(2026, 4, 2)


def test_three_days_ending_on_a_weekend_move_to_monday() -> None:
    # Received Thu 2026-03-05: day 3 is Sun 03-08, a rest day -> Mon 03-09.
    changes = clock_changes(received(date(2026, 3, 5)), CaseView(), CAL)
    rights = next(c for c in changes if c.key == ClockKey(ClockKind.RIGHTS_NOTIFICATION, ex.ZHANG))
    assert isinstance(rights, Schedule) and rights.due_on == date(2026, 3, 9)


def test_retransfer_restarts_review_period_but_not_rights_notification() -> None:
    changes = clock_changes(
        received(date(2026, 3, 2), ReceiptKind.RETRANSFER_AFTER_SUPPLEMENTARY_INVESTIGATION),
        CaseView(),
        CAL,
    )
    assert [c.key.kind for c in changes] == [ClockKind.REVIEW_PERIOD]


def test_rights_notified_stops_the_open_clock_as_met() -> None:
    key = ClockKey(ClockKind.RIGHTS_NOTIFICATION, ex.LI)
    event = pr.RightsNotified(
        suspect_id=ex.LI,
        notified_at=ex.at(3),
        informed=(pr.InformedPerson(role=PersonRole.SUSPECT, name="李某某"),),
        legal_aid_warning_given=True,
    )
    [stop] = clock_changes(event, CaseView(open_clocks={key}), CAL)
    assert isinstance(stop, Stop) and stop.duty_done and stop.key == key
    assert stop_outcome(stop, date(2026, 3, 5)) is ClockOutcome.MET
    assert stop_outcome(stop, date(2026, 3, 2)) is ClockOutcome.MET_LATE


def test_a_stop_for_a_clock_that_is_not_open_changes_nothing() -> None:
    event = pr.RightsNotified(
        suspect_id=ex.LI,
        notified_at=ex.at(3),
        informed=(pr.InformedPerson(role=PersonRole.SUSPECT, name="李某某"),),
        legal_aid_warning_given=True,
    )
    assert clock_changes(event, CaseView(), CAL) == []


def decision(choice: DefenseChoice) -> pr.DefenseDecisionRecorded:
    return pr.DefenseDecisionRecorded(
        suspect_id=ex.LI, choice=choice, decided_by=PersonRole.SUSPECT, decided_at=ex.at(4)
    )


def test_no_counsel_in_scope_starts_notice_dispatch_out_of_scope_does_not() -> None:
    in_scope = CaseView(suspects={ex.LI: SuspectView(in_scope=True)})
    [start] = clock_changes(decision(DefenseChoice.NO_COUNSEL), in_scope, CAL)
    assert isinstance(start, Schedule)
    assert start.key == ClockKey(ClockKind.NOTICE_DISPATCH, ex.LI)
    assert start.due_on == date(2026, 3, 7 + 2)  # Wed 03-04 + 3 = Sat 03-07 -> Mon 03-09
    out = CaseView(suspects={ex.LI: SuspectView(in_scope=False)})
    assert clock_changes(decision(DefenseChoice.NO_COUNSEL), out, CAL) == []


def test_ground_discovered_later_starts_notice_dispatch_from_its_discovery() -> None:
    view = CaseView(suspects={ex.ZHANG: SuspectView(in_scope=False, decided_no_counsel=True)})
    event = pr.EligibilityAssessed(
        suspect_id=ex.ZHANG,
        assessed_at=ex.at(10),
        trigger="new_information",
        grounds=("visual_hearing_or_speech_disability",),
        discovered_grounds=("visual_hearing_or_speech_disability",),
        pilot_district=True,
    )
    [start] = clock_changes(event, view, CAL)
    assert isinstance(start, Schedule)
    assert (start.started_on, start.due_on) == (date(2026, 3, 10), date(2026, 3, 13))


def test_an_in_scope_suspect_who_never_decides_has_a_letter_clock_from_the_notification() -> None:
    # The procuratorate's rules Art. 42: 3 days from finding the suspect has no defender.
    event = pr.RightsNotified(
        suspect_id=ex.LI,
        notified_at=ex.at(3),
        informed=(pr.InformedPerson(role=PersonRole.SUSPECT, name="李某某"),),
        grounds=("minor",),
        legal_aid_warning_given=True,
    )
    [start] = clock_changes(event, CaseView(suspects={ex.LI: SuspectView(in_scope=True)}), CAL)
    assert isinstance(start, Schedule)
    assert start.key == ClockKey(ClockKind.NOTICE_DISPATCH, ex.LI)
    assert (start.started_on, start.due_on) == (date(2026, 3, 3), date(2026, 3, 6))
    # Out of scope, or with a defender already: nothing is owed.
    out = pr.RightsNotified(**{**event.model_dump(), "grounds": ()})
    assert clock_changes(out, CaseView(), CAL) == []
    defended = CaseView(suspects={ex.LI: SuspectView(in_scope=True, has_defender=True)})
    assert clock_changes(event, defended, CAL) == []


def test_a_later_trigger_never_moves_the_running_letter_clock() -> None:
    key = ClockKey(ClockKind.NOTICE_DISPATCH, ex.LI)
    running = CaseView(suspects={ex.LI: SuspectView(in_scope=True)}, open_clocks={key})
    assert clock_changes(decision(DefenseChoice.NO_COUNSEL), running, CAL) == []
    # Deciding to retain counsel gives no defender yet: the clock keeps running.
    assert clock_changes(decision(DefenseChoice.RETAIN_COUNSEL), running, CAL) == []


def test_ground_discovered_before_any_decision_starts_the_letter_clock() -> None:
    view = CaseView(suspects={ex.ZHANG: SuspectView(in_scope=False)})
    event = pr.EligibilityAssessed(
        suspect_id=ex.ZHANG,
        assessed_at=ex.at(10),
        trigger="new_information",
        grounds=("visual_hearing_or_speech_disability",),
        discovered_grounds=("visual_hearing_or_speech_disability",),
        pilot_district=True,
    )
    [start] = clock_changes(event, view, CAL)
    assert isinstance(start, Schedule) and start.key == ClockKey(
        ClockKind.NOTICE_DISPATCH, ex.ZHANG
    )


def test_notice_sent_meets_dispatch_and_starts_assignment() -> None:
    key = ClockKey(ClockKind.NOTICE_DISPATCH, ex.LI)
    event = pr.DefenseNoticeSent(
        notice_id=ex.NOTICE, suspect_id=ex.LI, sent_at=ex.at(5), letter=ex.LETTER
    )
    stop, start = clock_changes(event, CaseView(open_clocks={key}), CAL)
    assert isinstance(stop, Stop) and stop.duty_done
    assert isinstance(start, Schedule)
    assert start.key == ClockKey(ClockKind.ASSIGNMENT, ex.LI)
    assert start.responsible is ResponsibleParty.AID_CENTER


def test_lawyer_assigned_meets_assignment_and_starts_written_opinion() -> None:
    key = ClockKey(ClockKind.ASSIGNMENT, ex.LI)
    event = aid.LawyerAssigned(
        assignment_id=ex.ASSIGNMENT,
        suspect_id=ex.LI,
        basis="notice",
        notice_id=ex.NOTICE,
        lawyer=ex.LAWYER,
        assigned_at=ex.at(6),
    )
    view = CaseView(review_deadline=date(2026, 4, 2), open_clocks={key})
    stop, start = clock_changes(event, view, CAL)
    assert isinstance(stop, Stop) and stop.duty_done
    assert isinstance(start, Schedule)
    assert start.key == ClockKey(ClockKind.WRITTEN_OPINION, ex.LI)
    assert start.due_on == date(2026, 4, 2)
    assert start.responsible is ResponsibleParty.LAWYER


def test_file_review_is_three_working_days_across_a_weekend() -> None:
    event = pr.FileReviewRequested(
        request_id=ex.example_id("req"),
        suspect_id=ex.LI,
        defender=ex.APPOINTED,
        requested_at=ex.at(5),  # Thu 2026-03-05
    )
    [start] = clock_changes(event, CaseView(), CAL)
    assert isinstance(start, Schedule)
    assert start.due_on == date(2026, 3, 10)  # Fri, Mon, Tue
    assert start.key.subject == str(ex.example_id("req"))


def test_extension_moves_review_period_and_open_written_opinions() -> None:
    opinion = ClockKey(ClockKind.WRITTEN_OPINION, ex.LI)
    review = ClockKey(ClockKind.REVIEW_PERIOD)
    event = pr.ProceduralDecisionMade(
        decision_id=ex.example_id("d"),
        kind=ProceduralDecisionKind.EXTENSION,
        suspect_ids=(ex.LI,),
        decided_at=ex.at(30),
        review_deadline=date(2026, 4, 17),
    )
    changes = clock_changes(event, CaseView(open_clocks={opinion, review}), CAL)
    assert {(c.key, c.due_on) for c in changes if isinstance(c, Schedule)} == {
        (review, date(2026, 4, 17)),
        (opinion, date(2026, 4, 17)),
    }


def test_indictment_meets_review_period_and_cancels_pending_opinions() -> None:
    opinion = ClockKey(ClockKind.WRITTEN_OPINION, ex.LI)
    review = ClockKey(ClockKind.REVIEW_PERIOD)
    event = pr.ProceduralDecisionMade(
        decision_id=ex.example_id("d"),
        kind=ProceduralDecisionKind.INDICTMENT,
        suspect_ids=(ex.LI,),
        decided_at=ex.at(30),
    )
    changes = clock_changes(event, CaseView(open_clocks={opinion, review}), CAL)
    assert {(c.key, c.duty_done) for c in changes if isinstance(c, Stop)} == {
        (review, True),
        (opinion, False),
    }


@pytest.mark.parametrize(
    "kind", [ProceduralDecisionKind.NON_PROSECUTION, ProceduralDecisionKind.JURISDICTION_CHANGE]
)
def test_a_case_leaving_this_procuratorate_cancels_its_suspects_duties(
    kind: ProceduralDecisionKind,
) -> None:
    """Non-prosecution or a change of jurisdiction: the letter, the assignment, the rights
    notification and a file review are no longer owed here; another suspect's are."""
    ending = {
        ClockKey(ClockKind.NOTICE_DISPATCH, ex.LI),
        ClockKey(ClockKind.ASSIGNMENT, ex.LI),
        ClockKey(ClockKind.RIGHTS_NOTIFICATION, ex.LI),
        ClockKey(ClockKind.FILE_REVIEW, ex.LI, "request-1"),
    }
    others = {ClockKey(ClockKind.NOTICE_DISPATCH, ex.ZHANG)}
    event = pr.ProceduralDecisionMade(
        decision_id=ex.example_id("d"),
        kind=kind,
        suspect_ids=(ex.LI,),
        decided_at=ex.at(30),
        receiving_unit="天津市河西区人民检察院"
        if kind is ProceduralDecisionKind.JURISDICTION_CHANGE
        else None,
    )
    changes = clock_changes(event, CaseView(open_clocks=ending | others), CAL)
    assert {c.key for c in changes} == ending
    assert all(isinstance(c, Stop) and not c.duty_done for c in changes)
    # Not yet due, the duty is cancelled; past its period, it lapsed: a breach on record.
    stop = changes[0]
    assert isinstance(stop, Stop)
    assert stop_outcome(stop, legal_date(stop.at)) is ClockOutcome.CANCELLED
    assert stop_outcome(stop, legal_date(stop.at) - timedelta(days=1)) is ClockOutcome.LAPSED


def test_a_return_for_supplementary_investigation_keeps_the_letter_owed() -> None:
    letter = ClockKey(ClockKind.NOTICE_DISPATCH, ex.LI)
    event = pr.ProceduralDecisionMade(
        decision_id=ex.example_id("d"),
        kind=ProceduralDecisionKind.RETURN_FOR_SUPPLEMENTARY_INVESTIGATION,
        suspect_ids=(ex.LI,),
        decided_at=ex.at(30),
        supplementary_investigation_round=1,
    )
    assert clock_changes(event, CaseView(open_clocks={letter}), CAL) == []


def test_counsel_retained_cancels_the_letter_and_the_assignment() -> None:
    keys = {ClockKey(ClockKind.NOTICE_DISPATCH, ex.ZHANG), ClockKey(ClockKind.ASSIGNMENT, ex.ZHANG)}
    event = pr.PrivateCounselRetained(
        retention_id=ex.RETENTION,
        suspect_id=ex.ZHANG,
        counsel={"name": "刘律师", "contact": "13700000000"},
        retained_by=PersonRole.SUSPECT,
        retained_at=ex.at(4),
    )
    changes = clock_changes(event, CaseView(open_clocks=keys), CAL)
    assert {c.key for c in changes} == keys
    assert all(isinstance(c, Stop) and not c.duty_done for c in changes)


def test_alerts_reminder_in_lead_time_then_breach_after_the_day_closes() -> None:
    due = date(2026, 3, 5)
    assert (
        alert_due(
            due, datetime(2026, 3, 3, 12, tzinfo=SH), 1, approaching_sent=False, breached_sent=False
        )
        is None
    )
    assert (
        alert_due(
            due,
            datetime(2026, 3, 4, 0, 1, tzinfo=SH),
            1,
            approaching_sent=False,
            breached_sent=False,
        )
        is Alert.APPROACHING
    )
    assert (
        alert_due(
            due,
            datetime(2026, 3, 5, 23, 59, tzinfo=SH),
            1,
            approaching_sent=True,
            breached_sent=False,
        )
        is None
    )
    assert (
        alert_due(
            due,
            datetime(2026, 3, 6, 0, 0, tzinfo=SH),
            1,
            approaching_sent=True,
            breached_sent=False,
        )
        is Alert.BREACHED
    )
    assert (
        alert_due(
            due, datetime(2026, 3, 9, tzinfo=SH), 1, approaching_sent=True, breached_sent=True
        )
        is None
    )


def terminated(reason: TerminationReason, day: int = 10) -> aid.AidTerminated:
    return aid.AidTerminated(
        assignment_id=ex.ASSIGNMENT, suspect_id=ex.LI, reason=reason, terminated_at=ex.at(day)
    )


def appointed_view(**suspect: object) -> CaseView:
    """Li in scope, the letter sent on day 5 and answered by an appointment."""
    facts: dict[str, object] = {
        "in_scope": True,
        "notice_sent": True,
        "notice_sent_at": ex.at(5),
        "has_defender": True,
        "lawyer_assigned": True,
        "lawyer_assigned_at": ex.at(6),
    }
    return CaseView(suspects={ex.LI: SuspectView(**(facts | suspect))})  # type: ignore[arg-type]


def test_a_termination_leaving_the_suspect_without_a_defender_reopens_the_letter_clock() -> None:
    [reopened] = [
        c
        for c in clock_changes(terminated(TerminationReason.OTHER), appointed_view(), CAL)
        if isinstance(c, Schedule)
    ]
    assert reopened.key == ClockKey(ClockKind.NOTICE_DISPATCH, ex.LI)
    assert reopened.started_on == date(2026, 3, 10)
    assert reopened.due_on == LETTER.due(ex.at(10), CAL).due_on
    assert reopened.responsible is ResponsibleParty.PROCURATORATE


def test_a_termination_for_another_defender_or_the_stage_reopens_nothing() -> None:
    for reason in (
        TerminationReason.COUNSEL_RETAINED,
        TerminationReason.SELF_DEFENSE_PERMITTED,
        TerminationReason.STAGE_ENDED,
    ):
        changes = clock_changes(terminated(reason), appointed_view(), CAL)
        assert not [c for c in changes if c.key.kind is ClockKind.NOTICE_DISPATCH], reason
    out_of_scope = appointed_view(in_scope=False)
    assert not clock_changes(terminated(TerminationReason.OTHER), out_of_scope, CAL)


def test_a_termination_that_ends_the_case_here_reopens_no_letter_clock() -> None:
    # Proceedings ended (withdrawn, not prosecuted), or the case moved to another
    # procuratorate, whose own receipt starts its clocks: no letter is owed here.
    for reason in (TerminationReason.PROCEEDINGS_ENDED, TerminationReason.JURISDICTION_CHANGED):
        changes = clock_changes(terminated(reason), appointed_view(), CAL)
        assert not [c for c in changes if c.key.kind is ClockKind.NOTICE_DISPATCH], reason


def test_a_new_letter_that_came_first_answers_the_termination() -> None:
    # The re-sent letter (procuratorate topic) was applied before the termination (aid topic).
    view = appointed_view(notice_sent_at=ex.at(11))
    assert not clock_changes(terminated(TerminationReason.OTHER, day=10), view, CAL)


def dismissed(day: int = 12) -> pr.PrivateCounselDismissed:
    return pr.PrivateCounselDismissed(
        retention_id=ex.RETENTION, suspect_id=ex.LI, dismissed_at=ex.at(day)
    )


def retained_view(**suspect: object) -> CaseView:
    facts: dict[str, object] = {"in_scope": True, "has_defender": True}
    return CaseView(suspects={ex.LI: SuspectView(**(facts | suspect))})  # type: ignore[arg-type]


def test_dismissing_counsel_opens_the_letter_clock_as_the_procuratorate_does() -> None:
    [opened] = clock_changes(dismissed(), retained_view(), CAL)
    assert isinstance(opened, Schedule)
    assert opened.key == ClockKey(ClockKind.NOTICE_DISPATCH, ex.LI)
    assert opened.started_on == date(2026, 3, 12)
    # A letter that went before the counsel was retained does not stand in for the new one.
    assert clock_changes(
        dismissed(),
        retained_view(
            notice_sent=True,
            notice_sent_at=ex.at(2),
            aid_terminated=True,
            legal_aid_law_ground=True,
        ),
        CAL,
    )


def test_after_a_termination_only_an_lal_ground_brings_the_letter_back_on_dismissal() -> None:
    # Measures Art. 6 ¶2: 原则上不再通知 on Art. 2 grounds alone.
    assert not clock_changes(dismissed(), retained_view(aid_terminated=True), CAL)
    assert clock_changes(
        dismissed(), retained_view(aid_terminated=True, legal_aid_law_ground=True), CAL
    )


def test_a_letter_clock_past_the_calendar_carries_the_missing_years() -> None:
    event = pr.PrivateCounselDismissed(
        retention_id=ex.RETENTION,
        suspect_id=ex.LI,
        dismissed_at=datetime(2026, 12, 30, 10, tzinfo=SH),
    )
    [opened] = clock_changes(event, retained_view(), CAL)
    assert isinstance(opened, Schedule)
    assert opened.provisional and opened.missing_years == (2027,)


def refusal(outcome: RefusalOutcome, day: int = 10) -> pr.LawyerRefusalRuled:
    return pr.LawyerRefusalRuled(
        suspect_id=ex.LI,
        assignment_id=ex.ASSIGNMENT,
        refusal_reason="与律师存在利害关系",
        outcome=outcome,
        ruled_at=ex.at(day),
    )


def test_an_allowed_refusal_opens_the_letter_clock_until_the_written_request() -> None:
    # Measures Art. 5 ¶1, as the procuratorate's aggregate decides (rule_refusal).
    [opened] = clock_changes(
        refusal(RefusalOutcome.ALLOWED_MUST_RETAIN_COUNSEL), appointed_view(), CAL
    )
    assert isinstance(opened, Schedule)
    assert opened.key == ClockKey(ClockKind.NOTICE_DISPATCH, ex.LI)
    assert opened.due_on == LETTER.due(ex.at(10), CAL).due_on
    for kept in (RefusalOutcome.REJECTED, RefusalOutcome.CHANGE_OF_LAWYER):
        assert not clock_changes(refusal(kept), appointed_view(), CAL)
    assert not clock_changes(
        refusal(RefusalOutcome.ALLOWED_MUST_RETAIN_COUNSEL), appointed_view(in_scope=False), CAL
    )

    view = appointed_view()
    view.open_clocks.add(opened.key)
    requested = pr.ReappointmentRequested(
        request_id=ex.ASSIGNMENT,
        suspect_id=ex.LI,
        previous_assignment_id=ex.ASSIGNMENT,
        reason=ReappointmentReason.REFUSAL_ALLOWED_NO_COUNSEL_RETAINED,
        requested_at=ex.at(11),
        addressee_center=ex.CENTER,
    )
    stops = [c for c in clock_changes(requested, view, CAL) if isinstance(c, Stop)]
    assert [(s.key, s.duty_done) for s in stops] == [(opened.key, True)]


def ended(reason: AssignmentEndReason, day: int = 10) -> aid.AssignmentEnded:
    return aid.AssignmentEnded(
        assignment_id=ex.ASSIGNMENT,
        suspect_id=ex.LI,
        lawyer_id=ex.LAWYER.lawyer_id,
        reason=reason,
        ended_at=ex.at(day),
    )


def test_an_ended_appointment_takes_the_written_opinion_from_the_lawyer() -> None:
    opinion = ClockKey(ClockKind.WRITTEN_OPINION, ex.LI)
    view = appointed_view()
    view.open_clocks.add(opinion)
    changes = clock_changes(ended(AssignmentEndReason.REFUSAL_ALLOWED), view, CAL)
    # After an allowed refusal the procuratorate's written request starts the next period.
    assert [(c.key, c.duty_done) for c in changes if isinstance(c, Stop)] == [(opinion, False)]
    assert not [c for c in changes if isinstance(c, Schedule)]


def test_a_replacement_nobody_took_keeps_the_centers_assignment_period_running() -> None:
    changes = clock_changes(ended(AssignmentEndReason.REPLACEMENT_NOT_FOUND), appointed_view(), CAL)
    [period] = [c for c in changes if isinstance(c, Schedule)]
    assert period.key == ClockKey(ClockKind.ASSIGNMENT, ex.LI)
    assert period.responsible is ResponsibleParty.AID_CENTER
    assert period.due_on == ASSIGNMENT.due(ex.at(10), CAL).due_on


CLAIM = ex.example_id("subsidy")
APPLICATION = ex.example_id("application")


def subsidy_approved(due_on: date = date(2026, 5, 1)) -> aid.SubsidyApproved:
    return aid.SubsidyApproved(
        claim_id=CLAIM,
        lawyer_id=ex.LAWYER_2.lawyer_id,
        approved_amount_fen=150000,
        standard_amount_fen=150000,
        approved_at=datetime(2026, 4, 1, 10, tzinfo=SH),
        payment_due_on=due_on,
        suspect_id=ex.LI,
    )


def subsidy_paid(paid_on: date) -> aid.SubsidyPaid:
    return aid.SubsidyPaid(
        claim_id=CLAIM,
        lawyer_id=ex.LAWYER_2.lawyer_id,
        paid_amount_fen=150000,
        paid_on=paid_on,
        reference="津河东财付〔2026〕88号",
        payment_due_on=date(2026, 5, 1),
        late=paid_on > date(2026, 5, 1),
        short=False,
    )


def test_an_approved_subsidy_is_due_on_the_day_the_approval_names() -> None:
    [change] = clock_changes(subsidy_approved(), CaseView(), CAL)
    assert isinstance(change, Schedule)
    assert change.key == ClockKey(ClockKind.SUBSIDY_PAYMENT, ex.LI, str(CLAIM))
    assert change.responsible is ResponsibleParty.AID_CENTER
    assert (change.started_on, change.due_on) == (date(2026, 4, 1), date(2026, 5, 1))


def test_a_subsidy_paid_on_its_due_day_is_met_and_a_day_later_is_late() -> None:
    key = ClockKey(ClockKind.SUBSIDY_PAYMENT, ex.LI, str(CLAIM))
    view = CaseView(open_clocks={key})
    for paid_on, outcome in (
        (date(2026, 5, 1), ClockOutcome.MET),
        (date(2026, 5, 2), ClockOutcome.MET_LATE),
    ):
        [stop] = clock_changes(subsidy_paid(paid_on), view, CAL)
        assert isinstance(stop, Stop) and stop.key == key
        assert stop_outcome(stop, date(2026, 5, 1)) is outcome
    # Another claim's payment leaves this one running.
    other = ClockKey(ClockKind.SUBSIDY_PAYMENT, ex.LI, "another claim")
    assert clock_changes(subsidy_paid(date(2026, 5, 1)), CaseView(open_clocks={other}), CAL) == []


def test_a_guessed_subsidy_day_is_provisional_and_moves_when_the_center_counts_it_again() -> None:
    guessed = subsidy_approved(date(2027, 1, 19)).model_copy(
        update={"payment_due_provisional": True, "payment_due_missing_years": (2027,)}
    )
    [change] = clock_changes(guessed, CaseView(), CAL)
    assert isinstance(change, Schedule)
    assert (change.provisional, change.missing_years) == (True, (2027,))
    recounted = aid.SubsidyPaymentDueRecounted(
        claim_id=CLAIM,
        lawyer_id=ex.LAWYER_2.lawyer_id,
        suspect_id=ex.LI,
        approved_at=datetime(2026, 4, 1, 10, tzinfo=SH),
        payment_due_on=date(2027, 1, 21),
        previous_payment_due_on=date(2027, 1, 19),
        payment_due_provisional=False,
        recounted_at=datetime(2026, 12, 1, 9, tzinfo=SH),
    )
    key = ClockKey(ClockKind.SUBSIDY_PAYMENT, ex.LI, str(CLAIM))
    [moved] = clock_changes(recounted, CaseView(open_clocks={key}), CAL)
    assert isinstance(moved, Schedule) and moved.key == key
    assert (moved.started_on, moved.due_on, moved.provisional) == (
        date(2026, 4, 1),
        date(2027, 1, 21),
        False,
    )
    # Paid already: the closed clock stays as it ended.
    assert clock_changes(recounted, CaseView(), CAL) == []


def forwarded() -> pr.LegalAidApplicationForwarded:
    return pr.LegalAidApplicationForwarded(
        application_id=APPLICATION,
        suspect_id=ex.ZHANG,
        applied_by=PersonRole.CLOSE_RELATIVE,
        applied_at=datetime(2026, 3, 2, 9, tzinfo=SH),
        forwarded_at=datetime(2026, 3, 2, 14, tzinfo=SH),  # Monday
        addressee_center=ex.CENTER,
    )


def application_decided(decision: ApplicationDecision, day: int = 6) -> aid.ApplicationDecided:
    return aid.ApplicationDecided(
        application_id=APPLICATION,
        suspect_id=ex.ZHANG,
        decision=decision,
        decided_at=datetime(2026, 3, day, 10, tzinfo=SH),
        reasons=None if decision is ApplicationDecision.GRANTED else "不符合经济困难标准",
    )


REVIEW = ClockKey(ClockKind.APPLICATION_REVIEW, ex.ZHANG, str(APPLICATION))
GRANT = ClockKey(ClockKind.APPLICATION_ASSIGNMENT, ex.ZHANG, str(APPLICATION))


def test_a_forwarded_application_is_decided_within_seven_days_of_its_receipt() -> None:
    [change] = clock_changes(forwarded(), CaseView(), CAL)
    assert isinstance(change, Schedule) and change.key == REVIEW
    assert change.responsible is ResponsibleParty.AID_CENTER
    due = APPLICATION_REVIEW.due(forwarded().forwarded_at, CAL)
    assert (change.started_on, change.due_on) == (date(2026, 3, 2), due.due_on)


def test_missing_material_moves_the_review_to_count_from_the_day_given() -> None:
    asked = aid.ApplicationMaterialsRequested(
        application_id=APPLICATION,
        suspect_id=ex.ZHANG,
        missing=("经济困难状况说明表",),
        requested_at=datetime(2026, 3, 3, 16, tzinfo=SH),
        due_on=date(2026, 3, 10),
    )
    [change] = clock_changes(asked, CaseView(open_clocks={REVIEW}), CAL)
    assert isinstance(change, Schedule) and change.started_on == date(2026, 3, 10)
    assert change.due_on == date(2026, 3, 17)
    assert clock_changes(asked, CaseView(), CAL) == []  # nothing runs to move


def test_the_material_supplied_restarts_the_review_from_its_arrival() -> None:
    supplied = aid.ApplicationMaterialsSupplied(
        application_id=APPLICATION,
        suspect_id=ex.ZHANG,
        supplied_at=datetime(2026, 3, 4, 10, tzinfo=SH),
        review_due_on=date(2026, 3, 11),
    )
    [change] = clock_changes(supplied, CaseView(open_clocks={REVIEW}), CAL)
    assert isinstance(change, Schedule) and change.key == REVIEW
    assert (change.started_on, change.due_on) == (date(2026, 3, 4), date(2026, 3, 11))
    assert clock_changes(supplied, CaseView(), CAL) == []  # decided already: nothing restarts


def test_a_refusal_meets_the_review_and_a_grant_starts_the_three_days_to_appoint() -> None:
    view = CaseView(open_clocks={REVIEW})
    [stop] = clock_changes(application_decided(ApplicationDecision.REFUSED), view, CAL)
    assert isinstance(stop, Stop) and stop.key == REVIEW and stop.duty_done
    stop_review, grant = clock_changes(application_decided(ApplicationDecision.GRANTED), view, CAL)
    assert stop_review.key == REVIEW
    assert isinstance(grant, Schedule) and grant.key == GRANT
    assert (
        grant.due_on == APPLICATION_ASSIGNMENT.due(datetime(2026, 3, 6, 10, tzinfo=SH), CAL).due_on
    )
    appointed = aid.LawyerAssigned(
        assignment_id=ex.ASSIGNMENT,
        suspect_id=ex.ZHANG,
        basis=AppointmentBasis.APPLICATION,
        application_id=APPLICATION,
        lawyer=ex.LAWYER,
        assigned_at=datetime(2026, 3, 6, 10, 5, tzinfo=SH),
    )
    [met] = clock_changes(appointed, CaseView(open_clocks={GRANT}), CAL)
    assert isinstance(met, Stop) and met.key == GRANT and met.duty_done
    # The appointment known first: the grant opens no period it already met.
    known = CaseView(
        suspects={
            ex.ZHANG: SuspectView(lawyer_assigned=True, lawyer_assigned_at=appointed.assigned_at)
        }
    )
    assert [
        c.key for c in clock_changes(application_decided(ApplicationDecision.GRANTED), known, CAL)
    ] == []
