"""The aid center's appointment aggregate under random sequences of commands (Hypothesis
stateful testing, no I/O): after every step, no lawyer holds more places than their maximum
(plus what staff knowingly waived), co-suspects of one case never have lawyers of one firm
(Measures Art. 13), and every active lawyer of a suspect facing a possible life or death
sentence has 3+ years of criminal practice (LAL Art. 26)."""

from __future__ import annotations

from uuid import UUID, uuid4

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
)

from aid_center.domain.assignment import LIFE_OR_DEATH_MIN_YEARS, Candidate, PassOverReason
from aid_center.domain.book import AppointmentBook, AppointmentRefused, Suspect
from defense_schemas.vocabulary import Gender

FIRMS = [uuid4() for _ in range(3)]


class Book(RuleBasedStateMachine):
    suspects = Bundle("suspects")

    def __init__(self) -> None:
        super().__init__()
        self.book = AppointmentBook()
        self.cases: list[UUID] = []

    @initialize(
        lawyers=st.lists(
            st.tuples(st.sampled_from(FIRMS), st.integers(0, 8), st.integers(1, 3), st.booleans()),
            min_size=1,
            max_size=6,
        )
    )
    def roster(self, lawyers: list[tuple[UUID, int, int, bool]]) -> None:
        for number, (firm, years, places, juvenile) in enumerate(lawyers):
            lawyer_id = uuid4()
            self.book.lawyers[lawyer_id] = Candidate(
                lawyer_id=lawyer_id,
                name=f"律师{number}",
                license_number=f"{number:03d}",
                firm_id=firm,
                gender=Gender.FEMALE,
                criminal_practice_years=years,
                max_concurrent_cases=places,
                active_cases=0,
                specialties=frozenset({"juvenile"}) if juvenile else frozenset(),
            )

    @rule(target=suspects, joint=st.booleans(), minor=st.booleans(), grave=st.booleans())
    def receive(self, joint: bool, minor: bool, grave: bool) -> UUID:
        """A suspect of a new case, or a co-suspect of the last one (a joint crime)."""
        if not joint or not self.cases:
            self.cases.append(uuid4())
        suspect = Suspect(uuid4(), self.cases[-1], minor=minor, possible_life_or_death=grave)
        self.book.suspects[suspect.suspect_id] = suspect
        return suspect.suspect_id

    @rule(suspect=suspects)
    def notice(self, suspect: UUID) -> None:
        try:
            decision = self.book.appoint(suspect)
        except AppointmentRefused:
            assert suspect in self.book.active
            return
        assert (decision.chosen is None) == (suspect not in self.book.active)

    @rule(suspect=suspects, pick=st.integers(0, 5))
    def by_hand(self, suspect: UUID, pick: int) -> None:
        lawyer_id = list(self.book.lawyers)[pick % len(self.book.lawyers)]
        try:
            self.book.appoint_by_hand(suspect, lawyer_id)
        except AppointmentRefused:
            pass

    @rule(suspect=suspects, conflict=st.booleans())
    def replace(self, suspect: UUID, conflict: bool) -> None:
        before = self.book.active.get(suspect)
        try:
            self.book.replace_lawyer(suspect, conflicted_firm=conflict)
        except AppointmentRefused:
            assert before is None
            return
        after = self.book.active.get(suspect)
        assert before is not None
        assert after is None or after.lawyer_id != before.lawyer_id

    @rule(suspect=suspects)
    def escalate(self, suspect: UUID) -> None:
        self.book.escalate(suspect)

    @rule(suspect=suspects)
    def refusal_allowed(self, suspect: UUID) -> None:
        before = self.book.active.get(suspect)
        try:
            refused = self.book.refusal_allowed(suspect)
        except AppointmentRefused:
            assert before is None
            return
        assert refused == before and suspect not in self.book.active

    @rule(suspect=suspects)
    def reappoint(self, suspect: UUID) -> None:
        refused = self.book.refused.get(suspect)
        try:
            decision = self.book.reappoint(suspect)
        except AppointmentRefused:
            assert refused is None or suspect in self.book.active
            return
        assert refused is not None
        assert decision.chosen is None or decision.chosen.lawyer_id != refused.lawyer_id

    @rule(suspect=consumes(suspects))
    def terminate(self, suspect: UUID) -> None:
        self.book.end(suspect)

    @invariant()
    def places_never_given_beyond_the_maximum(self) -> None:
        for lawyer_id, lawyer in self.book.lawyers.items():
            held = [a for a in self.book.active.values() if a.lawyer_id == lawyer_id]
            waived = sum(1 for a in held if PassOverReason.AT_CAPACITY in a.waived)
            assert len(held) <= lawyer.max_concurrent_cases + waived

    @invariant()
    def a_refused_appointment_is_never_active(self) -> None:
        for suspect_id, refused in self.book.refused.items():
            assert suspect_id not in self.book.active, "refused and still appointed"
            assert refused.assignment_id not in {a.assignment_id for a in self.book.active.values()}

    @invariant()
    def a_refused_lawyer_never_defends_that_suspect_again(self) -> None:
        for suspect_id, assignment in self.book.active.items():
            assert assignment.lawyer_id not in self.book.refused_lawyers.get(suspect_id, ())

    @invariant()
    def co_suspects_never_share_a_firm(self) -> None:
        seen: set[tuple[UUID, UUID]] = set()
        for assignment in self.book.active.values():
            key = (assignment.case_id, assignment.firm_id)
            assert key not in seen, "two co-suspects defended by one firm (Measures Art. 13)"
            seen.add(key)

    @invariant()
    def art_26_holds_for_every_active_assignment(self) -> None:
        for suspect_id, assignment in self.book.active.items():
            if self.book.suspects[suspect_id].possible_life_or_death:
                years = self.book.lawyers[assignment.lawyer_id].criminal_practice_years
                assert years >= LIFE_OR_DEATH_MIN_YEARS, "LAL Art. 26"


Book.TestCase.settings = settings(max_examples=100, stateful_step_count=25, deadline=None)
test_appointment_book = Book.TestCase
