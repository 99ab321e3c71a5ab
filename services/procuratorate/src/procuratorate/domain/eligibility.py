"""Who must get an appointed lawyer (应当通知辩护的情形): LAL Art. 25(1) and Measures Art. 2.

Pure: plain values in, the grounds out. The pilot scope (which districts apply Measures Art. 2,
from when) is configuration passed in, never code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from defense_schemas.events.common import SuspectParticulars
from defense_schemas.vocabulary import Ground, GroundBasis, SentenceBand

ADULT_AGE = 18


@dataclass(frozen=True)
class PilotDistrict:
    """A district applying Measures Art. 2 from `starts_on` (the notice names 河东区 and 西青区
    from 2023-03-01; others join by configuration)."""

    district: str
    starts_on: date


@dataclass(frozen=True)
class CaseFacts:
    """The case-level facts eligibility turns on."""

    district: str
    received_on: date
    major_and_complex: bool
    social_impact: bool


def age_on(birth_date: date, day: date) -> int:
    """Full years of age on `day`."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


def in_pilot(district: str, on: date, pilot_scope: Iterable[PilotDistrict]) -> bool:
    """Measures Art. 2 applies in `district` on day `on` (Art. 17: in force from its start)."""
    return any(p.district == district and on >= p.starts_on for p in pilot_scope)


def eligibility_grounds(
    suspect: SuspectParticulars,
    case: CaseFacts,
    co_suspects: Sequence[SuspectParticulars],
    pilot_scope: Iterable[PilotDistrict],
    *,
    assessed_on: date,
) -> tuple[Ground, ...]:
    """Every ground on which `suspect`, with no defender, must get an appointed lawyer.

    `co_suspects` are the other natural-person suspects of the same case (organisations, 单位,
    are never suspects for appointed defense and are not passed here). Minority is judged by
    age at the offence where the transfer states it, else on `assessed_on` (the day the case
    is received or the facts change).
    """
    grounds: list[Ground] = []
    # LAL Art. 25(1): everywhere.
    if age_on(suspect.birth_date, suspect.minority_judged_on(assessed_on)) < ADULT_AGE:
        grounds.append(Ground.MINOR)
    if suspect.disabilities:
        grounds.append(Ground.VISUAL_HEARING_OR_SPEECH_DISABILITY)
    if suspect.limited_capacity:
        grounds.append(Ground.LIMITED_CAPACITY_ADULT)
    if suspect.likely_sentence is SentenceBand.LIFE_OR_DEATH:
        grounds.append(Ground.POSSIBLE_LIFE_OR_DEATH_SENTENCE)
    # Measures Art. 2: only in pilot districts, from their start date (judged on receipt).
    if in_pilot(case.district, case.received_on, pilot_scope):
        # (a) 可能判处三年以上有期徒刑. Life or death is not fixed-term imprisonment; it is
        # already covered by LAL Art. 25(1)(4).
        if suspect.likely_sentence is SentenceBand.THREE_YEARS_OR_MORE:
            grounds.append(Ground.POSSIBLE_SENTENCE_3_YEARS_OR_MORE)
        # (b) 本人或其共同犯罪嫌疑人拒不认罪: one co-suspect's denial brings in all of them.
        # 拒不认罪 is denying the offence; admitting it while not accepting the proposed
        # punishment (认罪 without 认罚) is not a denial.
        if suspect.denies_guilt or any(c.denies_guilt for c in co_suspects):
            grounds.append(Ground.GUILT_NOT_ADMITTED)
        if case.major_and_complex:
            grounds.append(Ground.MAJOR_AND_COMPLEX_CASE)
        if case.social_impact:
            grounds.append(Ground.MAJOR_SOCIAL_IMPACT)
    return tuple(grounds)


def has_legal_aid_law_ground(grounds: Iterable[Ground]) -> bool:
    """Any LAL Art. 25(1) ground: the law itself requires a defender (CPL Art. 35, 278)."""
    return any(g.basis is GroundBasis.LEGAL_AID_LAW_ART_25_1 for g in grounds)


def newly_discovered(previous: Iterable[Ground], current: Iterable[Ground]) -> tuple[Ground, ...]:
    """Grounds in `current` not in `previous`, in `current`'s order: each starts its own 3-day
    clock for notifying legal aid (the procuratorate's rules, Art. 42)."""
    before = set(previous)
    return tuple(g for g in current if g not in before)
