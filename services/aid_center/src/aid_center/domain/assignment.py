"""Choosing the lawyer to appoint (确定承办律师): a pure function over plain data.

The law behind each rule:

- Availability: a lawyer on leave, or already holding their maximum number of concurrent
  legal-aid cases, is not assigned (Measures Art. 12: weigh "current legal-aid caseload").
- LAL Art. 26: for a suspect who may be sentenced to life imprisonment or death, only lawyers with
  three or more years of (criminal) practice (具有三年以上相关执业经历的律师).
- Measures Art. 13 ¶2: never lawyers of the same firm for two or more co-suspects of one joint
  crime at the same time. A firm holding an ACTIVE appointment for a co-suspect of the case is
  excluded outright; so is a firm that reported a conflict on this suspect.
- Districts served: a lawyer who lists districts only takes cases from those districts (an empty
  list serves every district).
- Measures Art. 12 ¶2: for a minor, lawyers who know juvenile psychology and juvenile law first.
- The recipient's wishes (受援人意愿, Art. 12): a named lawyer is appointed when eligible; a wished
  gender or language narrows the choice when someone eligible has it. A wish that cannot be met
  is recorded with the reason, never silently dropped.
- Measures Art. 13 ¶1: the lawyer of the previous stage may continue (continuity) — for a
  minor only when that lawyer is a juvenile specialist or no specialist is eligible: Art. 12
  ¶2's "应当优先" (must prefer) outranks Art. 13's "可以" (may).

The fair spread of load (after every rule above has narrowed the field), in this order:
1. the lowest caseload ratio, active legal-aid cases ÷ maximum concurrent cases — a lawyer at
   1 of 4 is freer than one at 1 of 2, so capacity is used in proportion;
2. then the fewest assignments in the recent window (the caller counts them, e.g. the last 90
   days), so that lawyers who just finished cases do not absorb every new one;
3. then the licence number (执业证号), ascending: a deterministic tie-break, so the same roster
   and the same case always give the same choice and a decision can be re-derived.

The result explains itself: who was chosen and why, who was passed over and why; when nobody
qualifies, an explicit unassignable result carrying the reasons.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from defense_schemas.vocabulary import AssignmentFailureReason, Gender

JUVENILE_SPECIALTY = "juvenile"
"""The specialty tag of lawyers who know juvenile psychology and law (Measures Art. 12 ¶2)."""

LIFE_OR_DEATH_MIN_YEARS = 3
"""LAL Art. 26: three or more years of relevant practice for a possible life or death sentence."""


class PassOverReason(StrEnum):
    """Why a lawyer was not chosen."""

    # Hard rules: the lawyer cannot be assigned to this suspect at all.
    DISTRICT_NOT_SERVED = "district_not_served"
    INSUFFICIENT_EXPERIENCE = "insufficient_experience"  # LAL Art. 26
    CO_SUSPECT_FIRM = "co_suspect_firm"  # Measures Art. 13 ¶2
    FIRM_CONFLICT_REPORTED = "firm_conflict_reported"  # Measures Art. 13 ¶2, the firm's check
    LAWYER_EXCLUDED = (
        "lawyer_excluded"  # the lawyer being replaced, or one the suspect refused (Art. 5)
    )
    INACTIVE = "inactive"
    ON_LEAVE = "on_leave"
    AT_CAPACITY = "at_capacity"
    # Soft rules: eligible, but someone else was preferred.
    NOT_NAMED_BY_RECIPIENT = "not_named_by_recipient"
    NOT_PREVIOUS_STAGE_LAWYER = "not_previous_stage_lawyer"
    NOT_JUVENILE_SPECIALIST = "not_juvenile_specialist"
    LANGUAGE_NOT_SPOKEN = "language_not_spoken"
    GENDER_NOT_WISHED = "gender_not_wished"
    HIGHER_LOAD = "higher_load"
    MORE_RECENT_ASSIGNMENTS = "more_recent_assignments"
    TIE_BREAK = "tie_break"


_QUALIFICATION = {PassOverReason.DISTRICT_NOT_SERVED, PassOverReason.INSUFFICIENT_EXPERIENCE}
_CONFLICT = {
    PassOverReason.CO_SUSPECT_FIRM,
    PassOverReason.FIRM_CONFLICT_REPORTED,
    PassOverReason.LAWYER_EXCLUDED,
}
_AVAILABILITY = {PassOverReason.INACTIVE, PassOverReason.ON_LEAVE, PassOverReason.AT_CAPACITY}


@dataclass(frozen=True)
class Candidate:
    """A lawyer on the roster as the engine sees them at the moment of choosing."""

    lawyer_id: UUID
    name: str
    license_number: str
    firm_id: UUID
    gender: Gender
    criminal_practice_years: int
    max_concurrent_cases: int
    active_cases: int
    recent_assignments: int = 0
    specialties: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    districts: frozenset[str] = frozenset()
    on_leave: bool = False
    active: bool = True

    @property
    def load_ratio(self) -> float:
        return self.active_cases / self.max_concurrent_cases if self.max_concurrent_cases else 1.0

    def fairness_key(self) -> tuple[float, int, str]:
        """Lowest caseload ratio, then fewest recent assignments, then licence number."""
        return (self.load_ratio, self.recent_assignments, self.license_number)


@dataclass(frozen=True)
class Wishes:
    """The recipient's wishes (受援人意愿); every part optional."""

    lawyer_license_number: str | None = None
    lawyer_name: str | None = None
    lawyer_gender: Gender | None = None
    language: str | None = None


@dataclass(frozen=True)
class AssignmentNeed:
    """Who needs a lawyer and what constrains the choice."""

    suspect_id: UUID
    minor: bool
    possible_life_or_death: bool
    district: str | None = None
    wishes: Wishes = field(default_factory=Wishes)
    previous_stage_lawyer_id: UUID | None = None
    co_suspect_firms: Mapping[UUID, tuple[UUID, ...]] = field(default_factory=dict)
    """Firm id → the co-suspects of the same case that firm's lawyers actively defend."""
    conflicted_firm_ids: frozenset[UUID] = frozenset()
    """Firms that reported a conflict on this suspect: reassign to ANOTHER firm."""
    excluded_lawyer_ids: frozenset[UUID] = frozenset()
    """Lawyers who may not be chosen again (e.g. the one being replaced)."""


@dataclass(frozen=True)
class PassedOver:
    lawyer_id: UUID
    name: str
    reasons: tuple[PassOverReason, ...]
    explanation: str


@dataclass(frozen=True)
class AssignmentDecision:
    """The engine's answer: a chosen lawyer, or an explicit unassignable result."""

    chosen: Candidate | None
    reasons: tuple[str, ...]
    """Why the chosen lawyer was chosen, or why nobody could be."""
    passed_over: tuple[PassedOver, ...]
    unmet_wishes: tuple[str, ...] = ()
    failure: AssignmentFailureReason | None = None
    continued_from_previous_stage: bool = False

    @property
    def assignable(self) -> bool:
        return self.chosen is not None

    def explanation(self) -> dict[str, object]:
        """A JSON-ready record of the decision, stored with the assignment."""
        return {
            "chosen_lawyer_id": str(self.chosen.lawyer_id) if self.chosen else None,
            "reasons": list(self.reasons),
            "unmet_wishes": list(self.unmet_wishes),
            "failure": self.failure.value if self.failure else None,
            "continued_from_previous_stage": self.continued_from_previous_stage,
            "passed_over": [
                {
                    "lawyer_id": str(p.lawyer_id),
                    "name": p.name,
                    "reasons": [r.value for r in p.reasons],
                    "explanation": p.explanation,
                }
                for p in self.passed_over
            ],
        }


def art_26_failure(criminal_practice_years: int, *, possible_life_or_death: bool) -> str | None:
    """Why a lawyer may not defend this suspect under LAL Art. 26, or None when they may."""
    if possible_life_or_death and criminal_practice_years < LIFE_OR_DEATH_MIN_YEARS:
        return (
            f"{criminal_practice_years} years of criminal practice; a possible life or death "
            f"sentence needs {LIFE_OR_DEATH_MIN_YEARS}+ (LAL Art. 26)"
        )
    return None


def hard_rule_failures(
    candidate: Candidate, need: AssignmentNeed
) -> list[tuple[PassOverReason, str]]:
    """Every hard rule the candidate fails for this need, with a sentence for each."""
    failures: list[tuple[PassOverReason, str]] = []
    if need.district and candidate.districts and need.district not in candidate.districts:
        failures.append(
            (PassOverReason.DISTRICT_NOT_SERVED, f"does not serve the district {need.district}")
        )
    art_26 = art_26_failure(
        candidate.criminal_practice_years, possible_life_or_death=need.possible_life_or_death
    )
    if art_26 is not None:
        failures.append((PassOverReason.INSUFFICIENT_EXPERIENCE, art_26))
    if candidate.lawyer_id in need.excluded_lawyer_ids:
        failures.append(
            (
                PassOverReason.LAWYER_EXCLUDED,
                "is the lawyer being replaced or refused by the suspect",
            )
        )
    co_suspects = need.co_suspect_firms.get(candidate.firm_id, ())
    if co_suspects:
        failures.append(
            (
                PassOverReason.CO_SUSPECT_FIRM,
                "the firm already defends co-suspect(s) "
                + ", ".join(str(s) for s in co_suspects)
                + " of this case (Measures Art. 13)",
            )
        )
    if candidate.firm_id in need.conflicted_firm_ids:
        failures.append(
            (PassOverReason.FIRM_CONFLICT_REPORTED, "the firm reported a conflict on this suspect")
        )
    if not candidate.active:
        failures.append((PassOverReason.INACTIVE, "is not taking legal-aid cases"))
    if candidate.on_leave:
        failures.append((PassOverReason.ON_LEAVE, "is on leave"))
    if candidate.active_cases >= candidate.max_concurrent_cases:
        failures.append(
            (
                PassOverReason.AT_CAPACITY,
                f"holds {candidate.active_cases} of at most {candidate.max_concurrent_cases} "
                "concurrent legal-aid cases",
            )
        )
    return failures


def _failure_reason(
    rejected: Mapping[UUID, list[tuple[PassOverReason, str]]],
) -> AssignmentFailureReason:
    """The one reason that explains why nobody qualified.

    Nobody meets the qualification rules → `no_qualified_lawyer`; of the qualified, someone is
    free of conflicts but unavailable → `no_capacity`; otherwise every qualified lawyer's firm is
    conflicted → `all_firms_conflicted`.
    """
    qualified = [
        {reason for reason, _ in failures}
        for failures in rejected.values()
        if not {reason for reason, _ in failures} & _QUALIFICATION
    ]
    if not qualified:
        return AssignmentFailureReason.NO_QUALIFIED_LAWYER
    if any(not (reasons & _CONFLICT) for reasons in qualified):
        return AssignmentFailureReason.NO_CAPACITY
    return AssignmentFailureReason.ALL_FIRMS_CONFLICTED


def choose_lawyer(need: AssignmentNeed, roster: Iterable[Candidate]) -> AssignmentDecision:
    """Choose the lawyer for ``need`` from ``roster``; see the module docstring for the rules."""
    candidates = sorted(roster, key=lambda c: c.license_number)
    by_id = {c.lawyer_id: c for c in candidates}
    passed: dict[UUID, PassedOver] = {}
    rejected: dict[UUID, list[tuple[PassOverReason, str]]] = {}
    eligible: list[Candidate] = []
    for candidate in candidates:
        failures = hard_rule_failures(candidate, need)
        if failures:
            rejected[candidate.lawyer_id] = failures
            passed[candidate.lawyer_id] = PassedOver(
                candidate.lawyer_id,
                candidate.name,
                tuple(reason for reason, _ in failures),
                "; ".join(text for _, text in failures),
            )
        else:
            eligible.append(candidate)

    unmet: list[str] = []
    wishes = need.wishes
    named = _named_lawyer(wishes, candidates)
    if wishes.lawyer_license_number or wishes.lawyer_name:
        wished = wishes.lawyer_name or wishes.lawyer_license_number
        if named is None:
            unmet.append(f"the lawyer asked for ({wished}) is not on the roster")
        elif named.lawyer_id in rejected:
            unmet.append(
                f"the lawyer asked for ({named.name}) {passed[named.lawyer_id].explanation}"
            )

    if not eligible:
        failure = _failure_reason(rejected) if rejected else AssignmentFailureReason.NO_CAPACITY
        reasons = (
            ("no lawyer on the roster",)
            if not candidates
            else (f"no lawyer qualifies ({failure.value}); {len(candidates)} considered",)
        )
        return AssignmentDecision(
            chosen=None,
            reasons=reasons,
            passed_over=tuple(passed.values()),
            unmet_wishes=tuple(unmet),
            failure=failure,
        )

    def decided(
        chosen: Candidate, why: list[str], others: list[tuple[Candidate, PassOverReason, str]]
    ) -> AssignmentDecision:
        for other, reason, text in others:
            if other.lawyer_id != chosen.lawyer_id and other.lawyer_id not in passed:
                passed[other.lawyer_id] = PassedOver(other.lawyer_id, other.name, (reason,), text)
        return AssignmentDecision(
            chosen=chosen,
            reasons=tuple(why),
            passed_over=tuple(passed.values()),
            unmet_wishes=tuple(unmet),
            continued_from_previous_stage=chosen.lawyer_id == need.previous_stage_lawyer_id,
        )

    # 1. The lawyer the recipient named, when eligible (Art. 12: the recipient's wishes).
    if named is not None and named in eligible:
        return decided(
            named,
            ["the recipient asked for this lawyer (Measures Art. 12)"],
            [
                (c, PassOverReason.NOT_NAMED_BY_RECIPIENT, "the recipient named another lawyer")
                for c in eligible
            ],
        )

    # 2. Continuity with the previous stage's lawyer (Measures Art. 13 ¶1) — a 可以 (may),
    # which yields to Art. 12 ¶2's 应当优先 (must prefer): for a minor, a previous lawyer who
    # is not a juvenile specialist continues only when no eligible specialist exists.
    previous = by_id.get(need.previous_stage_lawyer_id) if need.previous_stage_lawyer_id else None
    specialist_available = any(JUVENILE_SPECIALTY in c.specialties for c in eligible)
    if (
        previous is not None
        and previous in eligible
        and need.minor
        and specialist_available
        and JUVENILE_SPECIALTY not in previous.specialties
    ):
        unmet.append(
            f"the previous stage's lawyer ({previous.name}) does not continue: a juvenile "
            "specialist must be preferred for a minor (Measures Art. 12 ¶2 over Art. 13 ¶1)"
        )
    elif previous is not None and previous in eligible:
        return decided(
            previous,
            ["continues from the previous stage (Measures Art. 13)"],
            [
                (
                    c,
                    PassOverReason.NOT_PREVIOUS_STAGE_LAWYER,
                    "the previous stage's lawyer continues",
                )
                for c in eligible
            ],
        )
    elif previous is not None:
        unmet.append(
            f"the previous stage's lawyer ({previous.name}) cannot continue: "
            f"{passed[previous.lawyer_id].explanation}"
        )

    why: list[str] = []
    pool = eligible
    others: list[tuple[Candidate, PassOverReason, str]] = []

    # 3. Juvenile specialists first for a minor (Measures Art. 12 ¶2).
    if need.minor:
        specialists = [c for c in pool if JUVENILE_SPECIALTY in c.specialties]
        if specialists:
            kept = {c.lawyer_id for c in specialists}  # by id: a roster holds thousands
            why.append("juvenile specialist for a minor (Measures Art. 12)")
            others += [
                (c, PassOverReason.NOT_JUVENILE_SPECIALIST, "a juvenile specialist was available")
                for c in pool
                if c.lawyer_id not in kept
            ]
            pool = specialists
        else:
            why.append("no eligible juvenile specialist; the best available lawyer instead")

    # 4. The recipient's language, then gender, when someone eligible fits.
    if wishes.language:
        speakers = [c for c in pool if wishes.language in c.languages]
        if speakers:
            kept = {c.lawyer_id for c in speakers}
            why.append(f"speaks {wishes.language} as the recipient asked")
            others += [
                (c, PassOverReason.LANGUAGE_NOT_SPOKEN, f"does not speak {wishes.language}")
                for c in pool
                if c.lawyer_id not in kept
            ]
            pool = speakers
        else:
            unmet.append(f"no eligible lawyer speaks {wishes.language}")
    if wishes.lawyer_gender:
        matching = [c for c in pool if c.gender == wishes.lawyer_gender]
        if matching:
            kept = {c.lawyer_id for c in matching}
            why.append(f"{wishes.lawyer_gender.value} lawyer as the recipient asked")
            others += [
                (
                    c,
                    PassOverReason.GENDER_NOT_WISHED,
                    f"the recipient asked for a {wishes.lawyer_gender.value} lawyer",
                )
                for c in pool
                if c.lawyer_id not in kept
            ]
            pool = matching
        else:
            unmet.append(f"no eligible {wishes.lawyer_gender.value} lawyer")

    # 5. Fair spread of load: lowest caseload ratio, fewest recent assignments, licence number.
    pool = sorted(pool, key=Candidate.fairness_key)
    chosen = pool[0]
    why.append(
        f"lowest caseload among the rest: {chosen.active_cases}/{chosen.max_concurrent_cases}, "
        f"{chosen.recent_assignments} recent assignment(s)"
    )
    for other in pool[1:]:
        if other.load_ratio > chosen.load_ratio:
            reason, text = (
                PassOverReason.HIGHER_LOAD,
                f"higher caseload {other.active_cases}/{other.max_concurrent_cases}",
            )
        elif other.recent_assignments > chosen.recent_assignments:
            reason, text = (
                PassOverReason.MORE_RECENT_ASSIGNMENTS,
                f"same caseload ratio, {other.recent_assignments} recent assignment(s)",
            )
        else:
            reason, text = (
                PassOverReason.TIE_BREAK,
                "equal load; licence number orders after the chosen lawyer's",
            )
        others.append((other, reason, text))
    return decided(chosen, why, others)


def _named_lawyer(wishes: Wishes, candidates: list[Candidate]) -> Candidate | None:
    if wishes.lawyer_license_number:
        for c in candidates:
            if c.license_number == wishes.lawyer_license_number:
                return c
        return None
    if wishes.lawyer_name:
        matches = [c for c in candidates if c.name == wishes.lawyer_name]
        return matches[0] if len(matches) == 1 else None
    return None
