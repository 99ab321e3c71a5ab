"""Eligibility (应当通知辩护的情形) as a table of cases: each ground, pilot and non-pilot."""

from __future__ import annotations

from datetime import date

import pytest

from defense_schemas.events.common import SuspectParticulars
from defense_schemas.vocabulary import Ground as G
from procuratorate.domain.eligibility import (
    CaseFacts,
    PilotDistrict,
    eligibility_grounds,
    newly_discovered,
)

PILOT = (
    PilotDistrict("河东区", date(2023, 3, 1)),
    PilotDistrict("西青区", date(2023, 3, 1)),
)
ON = date(2026, 3, 2)


def person(**overrides: object) -> SuspectParticulars:
    data: dict[str, object] = {
        "suspect_id": "00000000-0000-0000-0000-000000000001",
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


def facts(district: str = "河东区", received_on: date = ON, **flags: bool) -> CaseFacts:
    return CaseFacts(
        district=district,
        received_on=received_on,
        major_and_complex=flags.get("major", False),
        social_impact=flags.get("impact", False),
    )


@pytest.mark.parametrize(
    ("suspect", "case", "expected"),
    [
        (person(), facts(), ()),
        (person(birth_date=date(2008, 3, 3)), facts(), (G.MINOR,)),
        (person(birth_date=date(2008, 3, 2)), facts(), ()),  # 18 on the very day
        (person(disabilities=["hearing"]), facts(), (G.VISUAL_HEARING_OR_SPEECH_DISABILITY,)),
        (person(limited_capacity=True), facts(), (G.LIMITED_CAPACITY_ADULT,)),
        (person(likely_sentence="life_or_death"), facts(), (G.POSSIBLE_LIFE_OR_DEATH_SENTENCE,)),
        (
            person(likely_sentence="3_years_or_more"),
            facts(),
            (G.POSSIBLE_SENTENCE_3_YEARS_OR_MORE,),
        ),
        (person(pleads_guilty=False), facts(), (G.GUILT_NOT_ADMITTED,)),
        (person(), facts(major=True), (G.MAJOR_AND_COMPLEX_CASE,)),
        (person(), facts(impact=True), (G.MAJOR_SOCIAL_IMPACT,)),
        # Outside the pilot, Measures Art. 2 does not apply; LAL Art. 25(1) does.
        (
            person(likely_sentence="3_years_or_more", pleads_guilty=False),
            facts("和平区", major=True, impact=True),
            (),
        ),
        (
            person(disabilities=["visual"]),
            facts("和平区"),
            (G.VISUAL_HEARING_OR_SPEECH_DISABILITY,),
        ),
        # Before the pilot's start date (Art. 17: in force 2023-03-01).
        (person(pleads_guilty=False), facts(received_on=date(2023, 2, 28)), ()),
        (person(pleads_guilty=False), facts(received_on=date(2023, 3, 1)), (G.GUILT_NOT_ADMITTED,)),
        # Every ground that applies, LAL first.
        (
            person(birth_date=date(2009, 1, 1), likely_sentence="3_years_or_more"),
            facts(major=True),
            (G.MINOR, G.POSSIBLE_SENTENCE_3_YEARS_OR_MORE, G.MAJOR_AND_COMPLEX_CASE),
        ),
    ],
)
def test_grounds(suspect: SuspectParticulars, case: CaseFacts, expected: tuple[G, ...]) -> None:
    assert eligibility_grounds(suspect, case, [], PILOT, assessed_on=ON) == expected


def test_a_co_suspect_denying_guilt_brings_in_every_co_suspect() -> None:
    denier = person(pleads_guilty=False)
    admits = person(suspect_id="00000000-0000-0000-0000-000000000002")
    assert eligibility_grounds(admits, facts(), [denier], PILOT, assessed_on=ON) == (
        G.GUILT_NOT_ADMITTED,
    )
    assert eligibility_grounds(admits, facts("和平区"), [denier], PILOT, assessed_on=ON) == ()


def test_pilot_scope_is_configuration() -> None:
    scope = (PilotDistrict("和平区", date(2026, 1, 1)),)
    denier = person(pleads_guilty=False)
    assert eligibility_grounds(denier, facts("和平区"), [], scope, assessed_on=ON) == (
        G.GUILT_NOT_ADMITTED,
    )
    assert eligibility_grounds(denier, facts("河东区"), [], scope, assessed_on=ON) == ()


def test_newly_discovered_grounds_are_the_new_ones_only() -> None:
    assert newly_discovered([G.GUILT_NOT_ADMITTED], [G.MINOR, G.GUILT_NOT_ADMITTED]) == (G.MINOR,)


@pytest.mark.parametrize(
    ("offence_date", "expected"),
    [
        (date(2025, 12, 20), (G.MINOR,)),  # 17 at the offence: a minor's case
        (None, ()),  # no offence date: judged at receipt, 18 by then
        (date(2026, 1, 10), ()),  # offended on the 18th birthday
    ],
)
def test_minority_is_judged_by_age_at_the_offence_where_the_transfer_states_it(
    offence_date: date | None, expected: tuple[G, ...]
) -> None:
    # Born 2008-01-10: 18 on receipt (2026-03-02), 17 until 2026-01-10.
    suspect = person(birth_date=date(2008, 1, 10), offence_date=offence_date)
    assert eligibility_grounds(suspect, facts(), [], PILOT, assessed_on=ON) == expected


def test_an_offence_date_before_birth_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="offence_date"):
        person(birth_date=date(2008, 1, 10), offence_date=date(2007, 1, 1))
