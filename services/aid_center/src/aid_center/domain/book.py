"""The center's appointments as one pure aggregate: who defends whom, and the rules that span
requests — a lawyer's places, Measures Art. 13's one firm per joint crime, LAL Art. 26.

``use_cases/appointing.py`` keeps the same state in PostgreSQL (caseloads counted from live
assignments, co-suspects' firms read under the case's lock) and asks the same pure rules
(:func:`~aid_center.domain.assignment.choose_lawyer`,
:func:`~aid_center.domain.assignment.hard_rule_failures`,
:func:`~aid_center.domain.assignment.art_26_failure`). This aggregate holds the state in memory,
so the invariants can be checked after any sequence of commands
(``tests/unit/test_book_state_machine.py``). Transitions raise :class:`AppointmentRefused`, a
domain error, never an HTTP one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from uuid import UUID, uuid4

from aid_center.domain.assignment import (
    AssignmentDecision,
    AssignmentNeed,
    Candidate,
    PassOverReason,
    art_26_failure,
    choose_lawyer,
    hard_rule_failures,
)

LAW_RULES = frozenset(
    {
        PassOverReason.CO_SUSPECT_FIRM,
        PassOverReason.FIRM_CONFLICT_REPORTED,
        PassOverReason.INSUFFICIENT_EXPERIENCE,
        PassOverReason.LAWYER_EXCLUDED,
        PassOverReason.INACTIVE,
        PassOverReason.ON_LEAVE,
    }
)
"""Rules staff cannot waive by hand: the law's, not the roster's (capacity, district)."""


class AppointmentRefused(Exception):
    """A command the state or the law does not allow; ``field`` names what was wrong."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Suspect:
    suspect_id: UUID
    case_id: UUID
    minor: bool = False
    possible_life_or_death: bool = False
    conflicted_firm_ids: frozenset[UUID] = frozenset()


@dataclass(frozen=True)
class Assignment:
    assignment_id: UUID
    suspect_id: UUID
    case_id: UUID
    lawyer_id: UUID
    firm_id: UUID
    waived: tuple[PassOverReason, ...] = ()


@dataclass
class AppointmentBook:
    lawyers: dict[UUID, Candidate] = field(default_factory=dict)
    """The roster; ``active_cases`` is derived from the assignments, never stored."""
    suspects: dict[UUID, Suspect] = field(default_factory=dict)
    active: dict[UUID, Assignment] = field(default_factory=dict)
    """suspect → their active assignment."""
    refused: dict[UUID, Assignment] = field(default_factory=dict)
    """suspect → the appointment whose refusal was allowed, until another lawyer answers the
    written request (Measures Art. 5 ¶1)."""
    refused_lawyers: dict[UUID, frozenset[UUID]] = field(default_factory=dict)
    """suspect → every lawyer whose refusal by that suspect was allowed: never appointed to
    them again, by the engine or by hand."""

    # --- reading -------------------------------------------------------------------------

    def caseload(self, lawyer_id: UUID) -> int:
        return sum(1 for a in self.active.values() if a.lawyer_id == lawyer_id)

    def roster(self) -> list[Candidate]:
        return [
            replace(lawyer, active_cases=self.caseload(lawyer.lawyer_id))
            for lawyer in self.lawyers.values()
        ]

    def need(self, suspect_id: UUID, *, excluded: frozenset[UUID] = frozenset()) -> AssignmentNeed:
        suspect = self.suspects[suspect_id]
        excluded = excluded | self.refused_lawyers.get(suspect_id, frozenset())
        co_suspect_firms: dict[UUID, tuple[UUID, ...]] = {}
        for other in self.active.values():
            if other.case_id == suspect.case_id and other.suspect_id != suspect_id:
                co_suspect_firms[other.firm_id] = (
                    *co_suspect_firms.get(other.firm_id, ()),
                    other.suspect_id,
                )
        return AssignmentNeed(
            suspect_id=suspect_id,
            minor=suspect.minor,
            possible_life_or_death=suspect.possible_life_or_death,
            co_suspect_firms=co_suspect_firms,
            conflicted_firm_ids=suspect.conflicted_firm_ids,
            excluded_lawyer_ids=excluded,
        )

    # --- commands ------------------------------------------------------------------------

    def appoint(self, suspect_id: UUID) -> AssignmentDecision:
        """The engine's choice for a suspect without a lawyer (a notice or an application)."""
        if suspect_id in self.active:
            raise AppointmentRefused("the suspect already has a lawyer", field="status")
        return self._record(suspect_id, choose_lawyer(self.need(suspect_id), self.roster()))

    def appoint_by_hand(self, suspect_id: UUID, lawyer_id: UUID) -> Assignment:
        """Staff's choice: roster limits may be waived (and are recorded), the law's never."""
        if suspect_id in self.active:
            raise AppointmentRefused("the suspect already has a lawyer", field="status")
        chosen = next((c for c in self.roster() if c.lawyer_id == lawyer_id), None)
        if chosen is None:
            raise AppointmentRefused(f"lawyer {lawyer_id} is not on the roster", field="lawyer_id")
        failures = hard_rule_failures(chosen, self.need(suspect_id))
        forbidden = [text for rule, text in failures if rule in LAW_RULES]
        if forbidden:
            raise AppointmentRefused("; ".join(forbidden), field="lawyer_id")
        return self._add(suspect_id, chosen, tuple(rule for rule, _ in failures))

    def end(self, suspect_id: UUID) -> Assignment | None:
        """Aid terminated (counsel retained, self-defense, end of the stage)."""
        self.refused.pop(suspect_id, None)
        return self.active.pop(suspect_id, None)

    def refusal_allowed(self, suspect_id: UUID) -> Assignment:
        """Measures Art. 5 ¶1: the suspect's refusal was allowed. The appointment ends at once
        (the lawyer's place and the firm's line under Art. 13 are free); aid itself goes on
        until counsel is retained or another lawyer is appointed on the written request."""
        current = self.active.pop(suspect_id, None)
        if current is None:
            raise AppointmentRefused("the suspect has no active lawyer", field="assignment_id")
        self.refused[suspect_id] = current
        self.refused_lawyers[suspect_id] = self.refused_lawyers.get(suspect_id, frozenset()) | {
            current.lawyer_id
        }
        return current

    def reappoint(self, suspect_id: UUID) -> AssignmentDecision:
        """另行指派 after an allowed refusal: another lawyer, never the refused one."""
        if suspect_id in self.active:
            raise AppointmentRefused("the suspect already has a lawyer", field="status")
        refused = self.refused.get(suspect_id)
        if refused is None:
            raise AppointmentRefused(
                "no refused appointment awaits another lawyer", field="previous_assignment_id"
            )
        return self._record(suspect_id, choose_lawyer(self.need(suspect_id), self.roster()))

    def replace_lawyer(
        self, suspect_id: UUID, *, conflicted_firm: bool = False
    ) -> AssignmentDecision:
        """Another lawyer, never the same one; a firm's reported conflict excludes the firm."""
        current = self.active.pop(suspect_id, None)
        if current is None:
            raise AppointmentRefused("the suspect has no active lawyer", field="status")
        suspect = self.suspects[suspect_id]
        if conflicted_firm:
            suspect.conflicted_firm_ids = suspect.conflicted_firm_ids | {current.firm_id}
        need = self.need(suspect_id, excluded=frozenset({current.lawyer_id}))
        return self._record(suspect_id, choose_lawyer(need, self.roster()))

    def escalate(self, suspect_id: UUID) -> AssignmentDecision | None:
        """A possible life or death sentence is found: a lawyer LAL Art. 26 now excludes is
        replaced; returns the replacement's decision, or None when nothing had to change."""
        self.suspects[suspect_id].possible_life_or_death = True
        current = self.active.get(suspect_id)
        if current is None:
            return None
        years = self.lawyers[current.lawyer_id].criminal_practice_years
        if art_26_failure(years, possible_life_or_death=True) is None:
            return None
        return self.replace_lawyer(suspect_id)

    # --- internals -----------------------------------------------------------------------

    def _record(self, suspect_id: UUID, decision: AssignmentDecision) -> AssignmentDecision:
        if decision.chosen is not None:
            self._add(suspect_id, decision.chosen, ())
        return decision

    def _add(
        self, suspect_id: UUID, chosen: Candidate, waived: tuple[PassOverReason, ...]
    ) -> Assignment:
        suspect = self.suspects[suspect_id]
        # Any new appointment (on the request, a fresh letter, or by hand) answers a refusal.
        self.refused.pop(suspect_id, None)
        assignment = Assignment(
            uuid4(), suspect_id, suspect.case_id, chosen.lawyer_id, chosen.firm_id, waived
        )
        self.active[suspect_id] = assignment
        return assignment
