"""The assignment engine's hard cases (Measures Art. 12–13, LAL Art. 26), without any I/O."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID, uuid4

import pytest

from aid_center.domain.assignment import (
    AssignmentNeed,
    Candidate,
    PassOverReason,
    Wishes,
    choose_lawyer,
)
from defense_schemas.vocabulary import AssignmentFailureReason, Gender

FIRM_A, FIRM_B, FIRM_C = uuid4(), uuid4(), uuid4()


def lawyer(
    license_number: str,
    firm: UUID,
    *,
    years: int = 5,
    active_cases: int = 0,
    max_cases: int = 4,
    gender: Gender = Gender.MALE,
    specialties: frozenset[str] = frozenset(),
    languages: frozenset[str] = frozenset({"普通话"}),
    recent: int = 0,
    on_leave: bool = False,
    districts: frozenset[str] = frozenset(),
) -> Candidate:
    return Candidate(
        lawyer_id=uuid4(),
        name=f"律师{license_number}",
        license_number=license_number,
        firm_id=firm,
        gender=gender,
        criminal_practice_years=years,
        max_concurrent_cases=max_cases,
        active_cases=active_cases,
        recent_assignments=recent,
        specialties=specialties,
        languages=languages,
        districts=districts,
        on_leave=on_leave,
    )


def need(**overrides: object) -> AssignmentNeed:
    values: dict[str, object] = {
        "suspect_id": uuid4(),
        "minor": False,
        "possible_life_or_death": False,
        "district": "河东区",
    }
    values.update(overrides)
    return AssignmentNeed(**values)  # type: ignore[arg-type]


def reasons_of(decision, candidate: Candidate) -> tuple[PassOverReason, ...]:  # type: ignore[no-untyped-def]
    return next(p.reasons for p in decision.passed_over if p.lawyer_id == candidate.lawyer_id)


def test_capacity_exhausted_everywhere_is_unassignable_with_reasons() -> None:
    roster = [
        lawyer("001", FIRM_A, active_cases=4, max_cases=4),
        lawyer("002", FIRM_B, active_cases=2, max_cases=2),
    ]
    decision = choose_lawyer(need(), roster)
    assert decision.chosen is None
    assert decision.failure is AssignmentFailureReason.NO_CAPACITY
    assert {p.reasons for p in decision.passed_over} == {(PassOverReason.AT_CAPACITY,)}
    assert "4 of at most 4" in decision.passed_over[0].explanation


def test_empty_roster_is_unassignable() -> None:
    decision = choose_lawyer(need(), [])
    assert decision.chosen is None and decision.failure is AssignmentFailureReason.NO_CAPACITY
    assert decision.reasons == ("no lawyer on the roster",)


def test_life_sentence_with_only_junior_lawyers_free_is_unassignable() -> None:
    junior_1 = lawyer("001", FIRM_A, years=1)
    junior_2 = lawyer("002", FIRM_B, years=2)
    senior_busy = lawyer("003", FIRM_C, years=10, active_cases=3, max_cases=3)
    decision = choose_lawyer(need(possible_life_or_death=True), [junior_1, junior_2, senior_busy])
    assert decision.chosen is None
    # A qualified lawyer exists but is at capacity: the want is capacity, not qualification.
    assert decision.failure is AssignmentFailureReason.NO_CAPACITY
    assert reasons_of(decision, junior_1) == (PassOverReason.INSUFFICIENT_EXPERIENCE,)
    assert "LAL Art. 26" in next(
        p.explanation for p in decision.passed_over if p.lawyer_id == junior_1.lawyer_id
    )


def test_life_sentence_with_no_senior_on_roster_is_no_qualified_lawyer() -> None:
    decision = choose_lawyer(need(possible_life_or_death=True), [lawyer("001", FIRM_A, years=2)])
    assert decision.failure is AssignmentFailureReason.NO_QUALIFIED_LAWYER


def test_life_sentence_picks_the_experienced_lawyer_even_if_busier() -> None:
    junior = lawyer("001", FIRM_A, years=2)
    senior = lawyer("002", FIRM_B, years=3, active_cases=3)
    decision = choose_lawyer(need(possible_life_or_death=True), [junior, senior])
    assert decision.chosen == senior


def test_minor_suspect_gets_juvenile_specialist() -> None:
    general = lawyer("001", FIRM_A)
    specialist = lawyer("002", FIRM_B, specialties=frozenset({"juvenile"}), active_cases=2)
    decision = choose_lawyer(need(minor=True), [general, specialist])
    assert decision.chosen == specialist
    assert reasons_of(decision, general) == (PassOverReason.NOT_JUVENILE_SPECIALIST,)


def test_two_co_suspects_and_one_firm_holding_every_juvenile_specialist() -> None:
    """The first minor gets firm A's specialist; the second cannot (Art. 13) and gets the best
    non-specialist of another firm, with the missing specialty said out loud."""
    spec_1 = lawyer("001", FIRM_A, specialties=frozenset({"juvenile"}))
    spec_2 = lawyer("002", FIRM_A, specialties=frozenset({"juvenile"}))
    general = lawyer("003", FIRM_B)
    roster = [spec_1, spec_2, general]
    first_suspect, second_suspect = uuid4(), uuid4()
    first = choose_lawyer(need(suspect_id=first_suspect, minor=True), roster)
    assert first.chosen is not None and first.chosen.firm_id == FIRM_A
    roster = [
        replace(c, active_cases=c.active_cases + 1) if c == first.chosen else c for c in roster
    ]
    second = choose_lawyer(
        need(
            suspect_id=second_suspect,
            minor=True,
            co_suspect_firms={FIRM_A: (first_suspect,)},
        ),
        roster,
    )
    assert second.chosen == general
    assert "no eligible juvenile specialist" in " ".join(second.reasons)
    assert reasons_of(second, spec_2) == (PassOverReason.CO_SUSPECT_FIRM,)


def test_every_firm_defending_a_co_suspect_is_all_firms_conflicted() -> None:
    a, b = lawyer("001", FIRM_A), lawyer("002", FIRM_B)
    other = uuid4()
    decision = choose_lawyer(need(co_suspect_firms={FIRM_A: (other,), FIRM_B: (other,)}), [a, b])
    assert decision.failure is AssignmentFailureReason.ALL_FIRMS_CONFLICTED


def test_wish_for_named_lawyer_is_honoured_when_eligible() -> None:
    freer = lawyer("001", FIRM_A)
    named = lawyer("002", FIRM_B, active_cases=3)
    decision = choose_lawyer(need(wishes=Wishes(lawyer_license_number="002")), [freer, named])
    assert decision.chosen == named
    assert decision.unmet_wishes == ()


def test_wish_that_cannot_be_met_is_recorded_with_the_reason() -> None:
    named = lawyer("002", FIRM_B, active_cases=4, max_cases=4)
    other = lawyer("001", FIRM_A)
    decision = choose_lawyer(
        need(wishes=Wishes(lawyer_license_number="002", language="维吾尔语")), [named, other]
    )
    assert decision.chosen == other
    assert any("律师002" in w and "4 of at most 4" in w for w in decision.unmet_wishes)
    assert any("维吾尔语" in w for w in decision.unmet_wishes)


def test_gender_and_language_wishes_narrow_the_choice() -> None:
    male = lawyer("001", FIRM_A, languages=frozenset({"普通话", "英语"}))
    female = lawyer(
        "002", FIRM_B, gender=Gender.FEMALE, languages=frozenset({"普通话", "英语"}), active_cases=3
    )
    female_no_english = lawyer("003", FIRM_C, gender=Gender.FEMALE)
    decision = choose_lawyer(
        need(wishes=Wishes(lawyer_gender=Gender.FEMALE, language="英语")),
        [male, female, female_no_english],
    )
    assert decision.chosen == female
    assert reasons_of(decision, female_no_english) == (PassOverReason.LANGUAGE_NOT_SPOKEN,)
    assert reasons_of(decision, male) == (PassOverReason.GENDER_NOT_WISHED,)


def test_lawyer_on_leave_is_passed_over() -> None:
    away = lawyer("001", FIRM_A, on_leave=True)
    here = lawyer("002", FIRM_B, active_cases=3)
    decision = choose_lawyer(need(), [away, here])
    assert decision.chosen == here
    assert reasons_of(decision, away) == (PassOverReason.ON_LEAVE,)


def test_previous_stage_lawyer_continues() -> None:
    previous = lawyer("002", FIRM_B, active_cases=2)
    decision = choose_lawyer(
        need(previous_stage_lawyer_id=previous.lawyer_id), [lawyer("001", FIRM_A), previous]
    )
    assert decision.chosen == previous and decision.continued_from_previous_stage


def test_for_a_minor_a_juvenile_specialist_outranks_the_previous_stage_lawyer() -> None:
    """Art. 12 ¶2 says the center 应当优先 (must prefer) a juvenile specialist for a minor;
    Art. 13 ¶1 only allows (可以) the previous stage's lawyer to continue."""
    previous = lawyer("001", FIRM_A)
    specialist = lawyer("002", FIRM_B, active_cases=2, specialties=frozenset({"juvenile"}))
    decision = choose_lawyer(
        need(minor=True, previous_stage_lawyer_id=previous.lawyer_id), [previous, specialist]
    )
    assert decision.chosen == specialist
    assert not decision.continued_from_previous_stage
    assert reasons_of(decision, previous) == (PassOverReason.NOT_JUVENILE_SPECIALIST,)
    assert any("juvenile specialist" in wish for wish in decision.unmet_wishes)


def test_a_minors_previous_lawyer_who_is_a_specialist_continues() -> None:
    previous = lawyer("002", FIRM_A, active_cases=2, specialties=frozenset({"juvenile"}))
    other = lawyer("001", FIRM_B, specialties=frozenset({"juvenile"}))
    decision = choose_lawyer(
        need(minor=True, previous_stage_lawyer_id=previous.lawyer_id), [previous, other]
    )
    assert decision.chosen == previous and decision.continued_from_previous_stage


def test_a_minors_previous_lawyer_continues_when_no_specialist_is_eligible() -> None:
    previous = lawyer("002", FIRM_A, active_cases=2)
    decision = choose_lawyer(
        need(minor=True, previous_stage_lawyer_id=previous.lawyer_id),
        [previous, lawyer("001", FIRM_B)],
    )
    assert decision.chosen == previous


def test_district_not_served_is_passed_over() -> None:
    elsewhere = lawyer("001", FIRM_A, districts=frozenset({"西青区"}))
    everywhere = lawyer("002", FIRM_B, active_cases=1)
    decision = choose_lawyer(need(district="河东区"), [elsewhere, everywhere])
    assert decision.chosen == everywhere


def test_conflicted_firm_and_replaced_lawyer_are_excluded() -> None:
    replaced = lawyer("001", FIRM_A)
    same_firm = lawyer("002", FIRM_A)
    other_firm = lawyer("003", FIRM_B, active_cases=3)
    decision = choose_lawyer(
        need(
            conflicted_firm_ids=frozenset({FIRM_A}),
            excluded_lawyer_ids=frozenset({replaced.lawyer_id}),
        ),
        [replaced, same_firm, other_firm],
    )
    assert decision.chosen == other_firm
    assert PassOverReason.FIRM_CONFLICT_REPORTED in reasons_of(decision, same_firm)


@pytest.mark.parametrize(
    ("a_kwargs", "b_kwargs", "reason"),
    [
        ({"active_cases": 1, "max_cases": 4}, {"active_cases": 1, "max_cases": 2}, "higher_load"),
        ({"recent": 1}, {"recent": 3}, "more_recent_assignments"),
        ({}, {}, "tie_break"),
    ],
)
def test_fair_spread_of_load(
    a_kwargs: dict[str, int], b_kwargs: dict[str, int], reason: str
) -> None:
    a = lawyer("A-100", FIRM_A, **a_kwargs)  # type: ignore[arg-type]
    b = lawyer("B-200", FIRM_B, **b_kwargs)  # type: ignore[arg-type]
    decision = choose_lawyer(need(), [b, a])
    assert decision.chosen == a
    assert reasons_of(decision, b) == (PassOverReason(reason),)


def test_twenty_co_suspects_never_share_a_firm() -> None:
    firms = [uuid4() for _ in range(25)]
    roster = [lawyer(f"{i:03d}", firms[i % 25], max_cases=3) for i in range(50)]
    held: dict[UUID, tuple[UUID, ...]] = {}
    chosen_firms = []
    for _ in range(20):
        suspect = uuid4()
        decision = choose_lawyer(need(suspect_id=suspect, co_suspect_firms=dict(held)), roster)
        assert decision.chosen is not None
        chosen_firms.append(decision.chosen.firm_id)
        held[decision.chosen.firm_id] = (*held.get(decision.chosen.firm_id, ()), suspect)
        roster = [
            replace(c, active_cases=c.active_cases + 1) if c == decision.chosen else c
            for c in roster
        ]
    assert len(set(chosen_firms)) == 20


def test_more_co_suspects_than_firms_leaves_the_rest_unassignable() -> None:
    roster = [lawyer("001", FIRM_A), lawyer("002", FIRM_B)]
    held = {FIRM_A: (uuid4(),), FIRM_B: (uuid4(),)}
    decision = choose_lawyer(need(co_suspect_firms=held), roster)
    assert decision.chosen is None
    assert decision.failure is AssignmentFailureReason.ALL_FIRMS_CONFLICTED


def test_narrowing_a_large_roster_compares_no_lawyer_with_every_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each narrowing (juvenile specialists, language, gender) sets the others aside by id: a
    centre's roster of thousands takes linear time per letter (comparing each lawyer with each
    kept one took seconds per letter and stalled the consumer past its session)."""
    roster = [
        lawyer(
            f"{n:05d}",
            (FIRM_A, FIRM_B, FIRM_C)[n % 3],
            gender=(Gender.MALE, Gender.FEMALE)[n % 2],
            specialties=frozenset({"juvenile"}) if n % 3 else frozenset(),
            languages=frozenset({"普通话", "英语"}) if n % 5 else frozenset({"普通话"}),
        )
        for n in range(3000)
    ]
    compared = 0
    equal = Candidate.__eq__

    def counting(self: Candidate, other: object) -> bool:
        nonlocal compared
        compared += 1
        return equal(self, other)

    monkeypatch.setattr(Candidate, "__eq__", counting)
    decision = choose_lawyer(
        need(minor=True, wishes=Wishes(lawyer_gender=Gender.FEMALE, language="英语")), roster
    )
    assert decision.chosen is not None
    assert compared < len(roster)
