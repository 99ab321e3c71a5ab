"""The defense path as a state machine: random sequences of the real commands over one case's
suspects, and after every step the invariant of Measures Art. 3, 5, 6 and LAL Art. 25(1).

Pure (no I/O). The normal suite runs the `default` profile (a few thousand steps, a few
seconds); `DC_HYPOTHESIS_PROFILE=deep` runs far more.
"""

from __future__ import annotations

import os
import uuid
from uuid import UUID

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from defense_schemas.vocabulary import (
    AssignmentEndReason,
    DefenseChoice,
    DefenseStatus,
    Ground,
    RefusalOutcome,
    TerminationReason,
)
from procuratorate.domain.defense_path import DomainError, SuspectDefense
from procuratorate.domain.policy import SelfDefensePolicy

settings.register_profile(
    "default",
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "deep",
    max_examples=5000,
    stateful_step_count=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = os.environ.get("DC_HYPOTHESIS_PROFILE", "default")

GROUND_SETS = st.lists(st.sampled_from(list(Ground)), unique=True, max_size=3).map(tuple)
POLICY = SelfDefensePolicy.MEASURES_ART_2_ONLY


LAL_GROUNDS = {
    Ground.MINOR,
    Ground.VISUAL_HEARING_OR_SPEECH_DISABILITY,
    Ground.LIMITED_CAPACITY_ADULT,
    Ground.POSSIBLE_LIFE_OR_DEATH_SENTENCE,
    Ground.DEATH_PENALTY_REVIEW_APPLICANT,
    Ground.TRIAL_IN_ABSENTIA,
    Ground.OTHER_STATUTORY_GROUND,
}
APPOINTED = {DefenseStatus.APPOINTED_ON_NOTICE, DefenseStatus.APPOINTED_ON_APPLICATION}


CASE_LEFT_THIS_STAGE = {TerminationReason.PROCEEDINGS_ENDED, TerminationReason.JURISDICTION_CHANGED}
"""Aid terminated because the proceedings ended here (withdrawn, not prosecuted) or the case went
to another procuratorate (whose own receipt starts its clocks): the exception to the letter."""


def gaps(suspect: SuspectDefense, *, left_stage: bool = False) -> list[str]:
    """The invariant, stated from the law rather than from the aggregate's own properties.
    ``left_stage``: the aid center terminated the suspect's aid for a reason in
    :data:`CASE_LEFT_THIS_STAGE` — no letter is owed here, and none may be pending."""
    found: list[str] = []
    if left_stage:
        if suspect.letter_clocks:
            found.append("a letter clock open after the case left this stage")
        return found
    kinds = [d.kind for d in suspect.defenders]
    lawyers = [k for k in kinds if k is DefenseStatus.RETAINED or k in APPOINTED]
    has_defender = bool(lawyers) or suspect.self_defense_permitted  # duty help is not one
    on_lal_ground = bool(set(suspect.grounds) & LAL_GROUNDS)
    # Art. 6 ¶2: after a termination, a dismissal of counsel re-notifies on LAL grounds only.
    waived = suspect.aid_terminated and suspect.counsel_dismissed and not on_lal_ground
    if suspect.grounds and not has_defender and not waived and not suspect.handed_over:
        if not (suspect.informed or suspect.decision is not None):
            if not suspect.rights_clock_open:
                found.append("not informed, and no rights-notification clock")
        elif not (
            suspect.letter_clocks or suspect.letter_in_flight or suspect.assignment_clock_open
        ):
            found.append(
                "in scope without a defender, and no letter clock, letter or assignment period"
            )
    if DefenseStatus.RETAINED in kinds and set(kinds) & APPOINTED:
        found.append("retained counsel and an appointed lawyer at once")
    if len(set(kinds) & APPOINTED) > 1:
        found.append("two appointments of different kinds")
    if suspect.handed_over and on_lal_ground and not suspect.handed_over_with:
        found.append("handed over on an LAL Art. 25(1) ground without a defense lawyer")
    if suspect.self_defense_permitted and on_lal_ground:
        found.append("self-defense permitted on an LAL Art. 25(1) ground")
    return found


class DefensePath(RuleBasedStateMachine):
    """Two co-suspects; the procuratorate's commands and the aid center's events in any order."""

    retentions = Bundle("retentions")

    def __init__(self) -> None:
        super().__init__()
        self.suspects: list[SuspectDefense] = []
        self.left_stage: set[int] = set()
        self.awaiting_center: set[int] = set()
        """Suspects whose written request for another lawyer (Art. 5) the center has not
        answered with a lawyer yet, nor made moot by counsel or permitted self-defense."""

    @initialize(first=GROUND_SETS, second=GROUND_SETS)
    def receive(self, first: tuple[Ground, ...], second: tuple[Ground, ...]) -> None:
        self.suspects = [
            SuspectDefense(uuid.uuid4(), grounds=first),
            SuspectDefense(uuid.uuid4(), grounds=second),
        ]

    def _apply(self, index: int, command: str, *args: object) -> object:
        """Run a command; a refused command must leave the aggregate as it was."""
        suspect = self.suspects[index]
        before = repr(suspect)
        try:
            return getattr(suspect, command)(*args)
        except DomainError:
            assert repr(suspect) == before, f"{command} refused but changed the state"
            return None

    @rule(index=st.integers(0, 1))
    def notify_rights(self, index: int) -> None:
        self._apply(index, "notify_rights")

    @rule(index=st.integers(0, 1), choice=st.sampled_from(list(DefenseChoice)))
    def decide(self, index: int, choice: DefenseChoice) -> None:
        outcome = self._apply(index, "decide", choice, POLICY)
        if outcome is not None:
            decided, _ = outcome  # type: ignore[misc]
            if decided.value == "letter" and self.suspects[index].letter_clocks:
                # The workflow sends the letter in the same transaction as the decision.
                self._apply(index, "send_letter")

    @rule(index=st.integers(0, 1))
    def send_letter(self, index: int) -> None:
        self._apply(index, "send_letter")

    @rule(index=st.integers(0, 1), grounds=GROUND_SETS)
    def reassess(self, index: int, grounds: tuple[Ground, ...]) -> None:
        self._apply(index, "reassess", grounds, POLICY)

    @rule(index=st.integers(0, 1))
    def permit_self_defense(self, index: int) -> None:
        self._apply(index, "permit_self_defense", POLICY)
        if self.suspects[index].self_defense_permitted:
            self.awaiting_center.discard(index)

    @rule(target=retentions, index=st.integers(0, 1))
    def retain_counsel(self, index: int) -> object:
        retention_id = uuid.uuid4()
        if self._apply(index, "retain_counsel", retention_id) is None:
            return multiple()
        self.awaiting_center.discard(index)
        return (index, retention_id)

    @rule(retention=consumes(retentions))
    def dismiss_counsel(self, retention: tuple[int, UUID]) -> None:
        index, retention_id = retention
        self._apply(index, "dismiss_counsel", retention_id)

    @rule(index=st.integers(0, 1), outcome=st.sampled_from(list(RefusalOutcome)))
    def rule_refusal(self, index: int, outcome: RefusalOutcome) -> None:
        suspect = self.suspects[index]
        target = suspect.appointments[-1].ref if suspect.appointments else uuid.uuid4()
        if self._apply(index, "rule_refusal", target, outcome):
            self.awaiting_center.add(index)  # a justified change: asked in writing at once

    @rule(index=st.integers(0, 1))
    def request_reappointment(self, index: int) -> None:
        suspect = self.suspects[index]
        try:
            suspect.request_reappointment()
        except DomainError:
            return
        self.awaiting_center.add(index)

    @rule(index=st.integers(0, 1))
    def center_reappoints(self, index: int) -> None:
        """The center answers a reappointment request after an allowed refusal."""
        suspect = self.suspects[index]
        if suspect.letter_in_flight and not suspect.appointments:
            if self._apply(
                index,
                "lawyer_replaced",
                uuid.uuid4(),
                uuid.uuid4(),
                DefenseStatus.APPOINTED_ON_NOTICE,
            ):
                self.awaiting_center.discard(index)

    @rule(index=st.integers(0, 1))
    def duty_lawyer_helps(self, index: int) -> None:
        self._apply(index, "duty_lawyer_assigned")

    @precondition(lambda self: any(s.letter_in_flight for s in self.suspects))
    @rule(index=st.integers(0, 1), on_application=st.booleans())
    def center_assigns(self, index: int, on_application: bool) -> None:
        kind = (
            DefenseStatus.APPOINTED_ON_APPLICATION
            if on_application
            else DefenseStatus.APPOINTED_ON_NOTICE
        )
        if self.suspects[index].letter_in_flight:
            self._apply(index, "lawyer_assigned", uuid.uuid4(), kind)
            self.awaiting_center.discard(index)  # answered (or superseded by counsel)

    @rule(index=st.integers(0, 1))
    def center_replaces(self, index: int) -> None:
        suspect = self.suspects[index]
        if suspect.appointments:
            self._apply(index, "lawyer_replaced", suspect.appointments[0].ref, uuid.uuid4())
            self.awaiting_center.discard(index)

    @rule(index=st.integers(0, 1))
    def center_finds_nobody(self, index: int) -> None:
        """AssignmentFailed for the letter or the written request in flight."""
        if self.suspects[index].letter_in_flight:
            self._apply(index, "assignment_failed")

    @rule(index=st.integers(0, 1), reason=st.sampled_from(list(AssignmentEndReason)))
    def center_ends_appointment(self, index: int, reason: AssignmentEndReason) -> None:
        suspect = self.suspects[index]
        if suspect.appointments:
            self._apply(index, "appointment_ended", suspect.appointments[0].ref, reason)

    @rule(index=st.integers(0, 1), reason=st.sampled_from(list(TerminationReason)))
    def center_terminates(self, index: int, reason: TerminationReason) -> None:
        suspect = self.suspects[index]
        if suspect.appointments:
            self._apply(index, "record_aid_terminated", suspect.appointments[0].ref, reason)
            if reason in CASE_LEFT_THIS_STAGE:
                self.left_stage.add(index)

    @rule(index=st.integers(0, 1))
    def hand_over(self, index: int) -> None:
        self._apply(index, "hand_over")

    @invariant()
    def a_written_request_runs_the_centers_period_here(self) -> None:
        """Measures Art. 4-5: the center counts a new assignment period from the written
        request for another lawyer; the procuratorate runs the same one from the request until
        a lawyer answers it or counsel makes it moot — never beside retained counsel."""
        for index in self.awaiting_center:
            assert self.suspects[index].assignment_clock_open, self.suspects[index]
        for suspect in self.suspects:
            retained = any(d.kind is DefenseStatus.RETAINED for d in suspect.defenders)
            assert not (retained and suspect.assignment_clock_open), suspect

    @invariant()
    def every_suspect_in_scope_is_on_its_way_to_a_defender(self) -> None:
        for index, suspect in enumerate(self.suspects):
            found = gaps(suspect, left_stage=index in self.left_stage)
            assert not found, (found, suspect)


DefensePath.TestCase.settings = settings.get_profile(PROFILE)
test_defense_path = DefensePath.TestCase
