"""The defense path's rules, command by command, on the pure aggregate (milliseconds, no I/O),
and the pure rules behind the review errors: admission of guilt, the expedited procedure, the
custody reading of CPL Art. 105, who is informed, the center's canonical name."""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest

from defense_schemas.events.common import SuspectParticulars
from defense_schemas.vocabulary import (
    AssignmentEndReason,
    ClockKind,
    DefenseChoice,
    DefenseStatus,
    Ground,
    PersonRole,
    RefusalOutcome,
    SentenceBand,
    TerminationReason,
)
from legal_calendar import Months, load_bundled_calendar
from procuratorate.domain.clocks import (
    expedited_refusal,
    expedited_review_period,
    review_deadline,
    review_period,
)
from procuratorate.domain.defense_path import (
    LETTER_CLOCK_AT_REFUSAL,
    NO_RELATIVE_KNOWN,
    Decided,
    Defender,
    RuleViolation,
    StateConflict,
    SuspectDefense,
    relatives_not_informed,
)
from procuratorate.domain.eligibility import CaseFacts, PilotDistrict, eligibility_grounds
from procuratorate.domain.policy import SelfDefensePolicy
from procuratorate.settings import ProcuratorateSettings

POLICY = SelfDefensePolicy.MEASURES_ART_2_ONLY
CAL = load_bundled_calendar()


def person(**overrides: object) -> SuspectParticulars:
    data: dict[str, object] = {
        "suspect_id": str(uuid.uuid4()),
        "name": "张三",
        "birth_date": date(1990, 5, 1),
        "gender": "male",
        "limited_capacity": False,
        "custody_status": "detained",
        "place_of_detention_or_residence": "看守所",
        "charges": ["盗窃罪"],
        "likely_sentence": "one_year_or_less",
        "pleads_guilty": True,
    }
    data.update(overrides)
    return SuspectParticulars.model_validate(data)


# -- the aggregate ----------------------------------------------------------------------------


def test_duty_lawyer_help_is_no_defender_the_suspect_in_scope_gets_the_letter() -> None:
    path = SuspectDefense(uuid.uuid4(), informed=True)
    path.duty_lawyer_assigned()
    path.reassess((Ground.VISUAL_HEARING_OR_SPEECH_DISABILITY,), POLICY)
    assert path.letter_clocks == {Ground.VISUAL_HEARING_OR_SPEECH_DISABILITY.value}
    decided, _ = path.decide(DefenseChoice.NO_COUNSEL, POLICY)
    assert decided is Decided.LETTER
    path.send_letter()
    assert path.letter_in_flight and not path.letter_clocks


def test_a_suspect_in_scope_who_never_decides_has_a_clock_from_the_notification() -> None:
    path = SuspectDefense(uuid.uuid4(), grounds=(Ground.MINOR,))
    assert path.notify_rights() is True
    assert path.letter_clocks == {"rights_notification"}
    # The decision that follows does not open a second clock: the earliest one binds.
    assert path.decide(DefenseChoice.NO_COUNSEL, POLICY) == (Decided.LETTER, False)


def test_a_suspect_who_says_counsel_will_be_retained_keeps_the_clock_running() -> None:
    path = SuspectDefense(uuid.uuid4(), grounds=(Ground.MINOR,))
    path.notify_rights()
    assert path.decide(DefenseChoice.RETAIN_COUNSEL, POLICY) == (Decided.RECORDED, False)
    assert path.letter_clocks  # no defender until counsel is actually retained


def test_defend_self_in_the_decision_is_refused_on_a_legal_aid_law_ground() -> None:
    path = SuspectDefense(uuid.uuid4(), grounds=(Ground.MINOR, Ground.GUILT_NOT_ADMITTED))
    with pytest.raises(StateConflict, match=r"CPL Art\. 35") as refused:
        path.decide(DefenseChoice.DEFEND_SELF, POLICY)
    assert refused.value.field == "choice"
    assert path.decision is None
    measures_only = SuspectDefense(uuid.uuid4(), grounds=(Ground.GUILT_NOT_ADMITTED,))
    assert measures_only.decide(DefenseChoice.DEFEND_SELF, POLICY)[0] is Decided.RECORDED


def test_retained_counsel_supersedes_the_appointment() -> None:
    path = SuspectDefense(uuid.uuid4(), grounds=(Ground.MINOR,), letter_in_flight=True)
    assignment = uuid.uuid4()
    assert path.lawyer_assigned(assignment, DefenseStatus.APPOINTED_ON_NOTICE)
    assert path.retain_counsel(uuid.uuid4()) == [assignment]
    assert [d.kind for d in path.defenders] == [DefenseStatus.RETAINED]
    # An appointment arriving after the retention never counts as a second defender.
    assert not path.lawyer_assigned(uuid.uuid4(), DefenseStatus.APPOINTED_ON_NOTICE)
    assert [d.kind for d in path.defenders] == [DefenseStatus.RETAINED]


def test_dismissal_after_termination_renotifies_only_on_a_legal_aid_law_ground() -> None:
    for grounds, renotified in (
        ((Ground.MINOR,), True),
        ((Ground.POSSIBLE_SENTENCE_3_YEARS_OR_MORE,), False),
    ):
        path = SuspectDefense(uuid.uuid4(), grounds=grounds, informed=True)
        assignment, retention = uuid.uuid4(), uuid.uuid4()
        path.send_letter()
        path.lawyer_assigned(assignment, DefenseStatus.APPOINTED_ON_NOTICE)
        path.retain_counsel(retention)
        path.record_aid_terminated(assignment, TerminationReason.COUNSEL_RETAINED)
        assert path.dismiss_counsel(retention) is renotified
        assert bool(path.letter_clocks) is renotified


def test_termination_for_another_reason_reopens_the_letter_clock() -> None:
    path = SuspectDefense(uuid.uuid4(), grounds=(Ground.POSSIBLE_SENTENCE_3_YEARS_OR_MORE,))
    path.notify_rights()
    path.send_letter()
    assignment = uuid.uuid4()
    path.lawyer_assigned(assignment, DefenseStatus.APPOINTED_ON_NOTICE)
    assert path.record_aid_terminated(assignment, TerminationReason.OTHER) is True
    assert path.letter_clocks == {"termination"}


@pytest.mark.parametrize(
    "reason", [TerminationReason.PROCEEDINGS_ENDED, TerminationReason.JURISDICTION_CHANGED]
)
def test_a_termination_that_ends_the_case_here_owes_no_letter(reason: TerminationReason) -> None:
    # A minor: on any other termination the letter would be owed again within 3 days.
    path = SuspectDefense(uuid.uuid4(), grounds=(Ground.MINOR,))
    path.notify_rights()
    path.send_letter()
    assignment = uuid.uuid4()
    path.lawyer_assigned(assignment, DefenseStatus.APPOINTED_ON_NOTICE)
    assert path.record_aid_terminated(assignment, reason) is False
    assert not path.letter_clocks and path.stage_left and not path.needs_letter
    # Nothing done here afterwards brings the letter back: the case is not this stage's now.
    with pytest.raises(StateConflict):
        path.decide(DefenseChoice.NO_COUNSEL, POLICY)
    assert not path.letter_clocks


def test_a_new_legal_aid_law_ground_revokes_a_permitted_self_defense() -> None:
    path = SuspectDefense(uuid.uuid4(), grounds=(Ground.GUILT_NOT_ADMITTED,), informed=True)
    path.permit_self_defense(POLICY)
    change = path.reassess((Ground.GUILT_NOT_ADMITTED, Ground.LIMITED_CAPACITY_ADULT), POLICY)
    assert change.self_defense_revoked and change.open_clocks_for
    assert path.status is DefenseStatus.NONE and path.letter_clocks


def test_hand_over_needs_a_defender_on_a_legal_aid_law_ground() -> None:
    path = SuspectDefense(uuid.uuid4(), grounds=(Ground.MINOR,), informed=True)
    with pytest.raises(StateConflict) as refused:
        path.hand_over()
    assert refused.value.field == "suspect_ids" and not path.handed_over
    SuspectDefense(uuid.uuid4(), grounds=(Ground.MAJOR_AND_COMPLEX_CASE,)).hand_over()


# -- Measures Art. 2(2): 拒不认罪 is denying guilt ------------------------------------------------


def grounds_of(suspect: SuspectParticulars, *others: SuspectParticulars) -> tuple[Ground, ...]:
    facts = CaseFacts("河东区", date(2026, 3, 2), major_and_complex=False, social_impact=False)
    pilot = (PilotDistrict("河东区", date(2023, 3, 1)),)
    return eligibility_grounds(suspect, facts, others, pilot, assessed_on=date(2026, 3, 2))


def test_admitting_guilt_without_accepting_punishment_is_not_a_denial() -> None:
    admits = person(pleads_guilty=False, admits_guilt=True)
    assert grounds_of(admits) == ()
    assert grounds_of(person(), admits) == ()
    denies = person(pleads_guilty=False, admits_guilt=False)
    assert grounds_of(denies) == (Ground.GUILT_NOT_ADMITTED,)
    assert grounds_of(person(), denies) == (Ground.GUILT_NOT_ADMITTED,)
    # A record from before admission was kept apart: read as a denial (keeps the scope).
    assert grounds_of(person(pleads_guilty=False)) == (Ground.GUILT_NOT_ADMITTED,)


def test_a_plea_without_admission_is_malformed() -> None:
    with pytest.raises(ValueError, match="admits_guilt"):
        person(pleads_guilty=True, admits_guilt=False)


# -- the expedited procedure (CPL Art. 172, 222-223) -----------------------------------------


@pytest.mark.parametrize(
    ("overrides", "social_impact", "why"),
    [
        ({"birth_date": date(2010, 1, 1)}, False, "minor"),
        # 18 on receipt, 17 at the offence: a juvenile case (CPL Art. 223(3)).
        ({"birth_date": date(2008, 1, 10), "offence_date": date(2025, 12, 20)}, False, "minor"),
        ({"disabilities": ["hearing"]}, False, "223\\(1\\)"),
        ({"limited_capacity": True}, False, "223\\(1\\)"),
        ({"likely_sentence": "3_years_or_more"}, False, "three years"),
        ({"pleads_guilty": False, "admits_guilt": True}, False, "认罪认罚"),
        ({}, True, "social impact"),
    ],
)
def test_expedited_procedure_is_refused_where_the_law_excludes_it(
    overrides: dict[str, object], social_impact: bool, why: str
) -> None:
    refusal = expedited_refusal(
        [person(), person(**overrides)], social_impact=social_impact, received_on=date(2026, 3, 2)
    )
    assert refusal is not None
    assert re.search(why, refusal[0])


def test_expedited_period_is_15_days_only_over_one_year() -> None:
    assert expedited_review_period([SentenceBand.ONE_YEAR_OR_LESS]).days == 10
    assert (
        expedited_review_period(
            [SentenceBand.ONE_YEAR_OR_LESS, SentenceBand.OVER_1_UNDER_3_YEARS]
        ).days
        == 15
    )
    with pytest.raises(ValueError):
        expedited_review_period([SentenceBand.THREE_YEARS_OR_MORE])
    assert expedited_refusal([person()], social_impact=False, received_on=date(2026, 3, 2)) is None


# -- CPL Art. 105: custody periods do not roll over holidays -----------------------------------


def test_review_period_in_custody_ends_on_its_calendar_day_even_on_a_holiday() -> None:
    # Received 2026-09-01: one month later is 2026-10-01, National Day.
    detained = review_deadline(date(2026, 9, 1), review_period(), CAL, in_custody=True)
    at_liberty = review_deadline(date(2026, 9, 1), review_period(), CAL, in_custody=False)
    assert detained.due_on == date(2026, 10, 1)
    assert at_liberty.due_on > date(2026, 10, 7)  # rolled past the Golden Week
    assert review_deadline(date(2026, 9, 1), Months(1), CAL, in_custody=True).missing_years == ()


# -- Art. 3 ¶1: the suspect and the close relatives are told -----------------------------------


def test_the_record_names_the_suspect_and_the_relatives_or_why_not() -> None:
    with pytest.raises(RuleViolation) as no_suspect:
        relatives_not_informed([PersonRole.GUARDIAN], relatives_known=True, reason=None)
    assert no_suspect.value.field == "informed"
    with pytest.raises(RuleViolation):
        relatives_not_informed([PersonRole.SUSPECT], relatives_known=True, reason=None)
    assert (
        relatives_not_informed([PersonRole.SUSPECT], relatives_known=True, reason="无法联系")
        == "无法联系"
    )
    assert (
        relatives_not_informed([PersonRole.SUSPECT], relatives_known=False, reason=None)
        == NO_RELATIVE_KNOWN
    )
    both = [PersonRole.SUSPECT, PersonRole.CLOSE_RELATIVE]
    assert relatives_not_informed(both, relatives_known=True, reason=None) is None


# -- the legal aid center's canonical name ------------------------------------------------------


def test_letters_go_to_the_centers_registered_name_never_one_built_from_the_district() -> None:
    settings = ProcuratorateSettings()
    assert settings.aid_center_for("河东区") == "天津市河东区法律援助中心"
    assert settings.aid_center_for("某某区") is None
    custom = ProcuratorateSettings(aid_centers={"南开区": "天津市南开区法律援助中心（本部）"})
    assert custom.aid_center_for("南开区") == "天津市南开区法律援助中心（本部）"


def test_an_allowed_refusal_ends_the_appointment_and_opens_the_reappointment_clock() -> None:
    assignment = uuid.uuid4()
    path = SuspectDefense(uuid.uuid4(), grounds=(Ground.MINOR,), informed=True)
    path.lawyer_assigned(assignment, DefenseStatus.APPOINTED_ON_NOTICE)

    path.rule_refusal(assignment, RefusalOutcome.ALLOWED_MUST_RETAIN_COUNSEL)

    assert path.status is DefenseStatus.NONE and not path.has_defender
    assert path.letter_clocks == {LETTER_CLOCK_AT_REFUSAL}
    path.request_reappointment()
    assert path.letter_in_flight and not path.letter_clocks
    replacement = uuid.uuid4()
    assert path.lawyer_replaced(assignment, replacement, DefenseStatus.APPOINTED_ON_NOTICE)
    assert path.appointments == [Defender(DefenseStatus.APPOINTED_ON_NOTICE, replacement)]


def test_a_failed_reappointment_is_no_longer_in_flight_and_the_centers_period_runs() -> None:
    # The center found nobody for the written request: the suspect has no defender, is not
    # waiting on a letter in flight, and the assignment period is what runs (Measures Art. 4).
    assignment = uuid.uuid4()
    path = SuspectDefense(uuid.uuid4(), grounds=(Ground.MINOR,), informed=True)
    path.lawyer_assigned(assignment, DefenseStatus.APPOINTED_ON_NOTICE)
    path.rule_refusal(assignment, RefusalOutcome.ALLOWED_MUST_RETAIN_COUNSEL)
    path.request_reappointment()
    # The written request restarted the center's period: it runs here from the request.
    assert path.assignment_clock_open

    assert path.assignment_failed() is False  # one clock: the failure does not restart it
    assert not path.letter_in_flight and not path.has_defender
    assert path.status is DefenseStatus.NONE
    assert path.assignment_clock_open

    # A request made before its clock opened with it (stored without one): the failure opens
    # the period then.
    earlier = SuspectDefense(
        uuid.uuid4(), grounds=(Ground.MINOR,), informed=True, letter_in_flight=True
    )
    assert earlier.assignment_failed() is True and earlier.assignment_clock_open

    # Staff at the center then appoint by hand: the clock is met.
    path.lawyer_assigned(uuid.uuid4(), DefenseStatus.APPOINTED_ON_NOTICE)
    assert not path.assignment_clock_open and path.has_defender


def test_an_ended_appointment_leaves_no_defender_and_something_running() -> None:
    assignment = uuid.uuid4()
    path = SuspectDefense(uuid.uuid4(), grounds=(Ground.MINOR,), informed=True)
    path.lawyer_assigned(assignment, DefenseStatus.APPOINTED_ON_NOTICE)
    # The lawyer had to be replaced and nobody qualified: the center's period runs.
    assert (
        path.appointment_ended(assignment, AssignmentEndReason.REPLACEMENT_NOT_FOUND)
        is ClockKind.ASSIGNMENT
    )
    assert not path.appointments and path.assignment_clock_open

    refused = uuid.uuid4()
    other = SuspectDefense(uuid.uuid4(), grounds=(Ground.MINOR,), informed=True)
    other.lawyer_assigned(refused, DefenseStatus.APPOINTED_ON_NOTICE)
    other.rule_refusal(refused, RefusalOutcome.ALLOWED_MUST_RETAIN_COUNSEL)
    # The ruling already ended it here: the center's confirmation changes nothing.
    before = repr(other)
    assert other.appointment_ended(refused, AssignmentEndReason.REFUSAL_ALLOWED) is None
    assert repr(other) == before


def test_a_rejected_refusal_keeps_the_lawyer() -> None:
    assignment = uuid.uuid4()
    path = SuspectDefense(uuid.uuid4(), grounds=(Ground.MINOR,), informed=True)
    path.lawyer_assigned(assignment, DefenseStatus.APPOINTED_ON_NOTICE)
    path.rule_refusal(assignment, RefusalOutcome.REJECTED)
    assert path.status is DefenseStatus.APPOINTED_ON_NOTICE and not path.letter_clocks
    with pytest.raises(StateConflict):
        path.request_reappointment()
