"""One suspect's way to a defender at the review-for-prosecution stage, as an aggregate.

Pure: no I/O. :class:`SuspectDefense` holds what the rules turn on — the grounds, whether the
suspect was informed, the active defenders, the letter (通知辩护公函) and its clock — and each
transition is a method that checks the state and raises a :class:`DomainError` when the law or
the state forbids it. The workflow loads the aggregate from the projection, calls one method,
and writes what the method decided; the consumer of the aid center's events does the same.

The invariant the methods keep (proved with generated command sequences in the tests):

- an informed suspect in the mandatory scope without a defender always has an open letter
  clock, a letter in flight, an appointment, or the center's open assignment period (the
  center received the letter or the written request and found nobody yet: Measures Art. 4);
  before being informed, the rights-notification clock runs (Measures Art. 3; CPL Art. 34-35;
  the procuratorate's rules Art. 42);
- a suspect on an LAL Art. 25(1) ground leaves the stage with a defender (CPL Art. 35, 278);
- no suspect holds two active defense lawyers of different kinds (Art. 6: aid ends when counsel
  is retained).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from defense_schemas.vocabulary import (
    AssignmentEndReason,
    ClockKind,
    DefenseChoice,
    DefenseStatus,
    Ground,
    PersonRole,
    RefusalOutcome,
    TerminationReason,
)
from legal_calendar.deadlines import AfterTermination, LetterTrigger, letter_after_termination
from procuratorate.domain.eligibility import has_legal_aid_law_ground, newly_discovered
from procuratorate.domain.policy import (
    SelfDefensePolicy,
    derive_status,
    renotify_after_dismissal,
    self_defense_refusal,
)


class DomainError(Exception):
    """A command the rules refuse. ``kind`` says how the edges report it: a route maps it to an
    HTTP status, a consumer to a permanent (dead-lettered) handler error."""

    kind: ClassVar[str] = "conflict"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class StateConflict(DomainError):
    """Well-formed, but the suspect's or the case's state forbids it (HTTP 409)."""

    kind = "conflict"


class RuleViolation(DomainError):
    """Input only the domain can tell is wrong (HTTP 400)."""

    kind = "invalid_input"


class NotKnown(DomainError):
    """The command names something the aggregate does not hold (HTTP 404)."""

    kind = "not_found"


DEFENSE_LAWYER_KINDS = (
    DefenseStatus.RETAINED,
    DefenseStatus.APPOINTED_ON_NOTICE,
    DefenseStatus.APPOINTED_ON_APPLICATION,
)
APPOINTED_KINDS = (DefenseStatus.APPOINTED_ON_NOTICE, DefenseStatus.APPOINTED_ON_APPLICATION)


@dataclass(frozen=True)
class Defender:
    """An active defender: an appointment (its assignment id), a retention (its retention id),
    or duty-lawyer help (no id; not a defender in law, Art. 15)."""

    kind: DefenseStatus
    ref: UUID | None = None


class Decided(StrEnum):
    """What a recorded decision leads to."""

    LETTER = "letter"  # in scope, no counsel: the notice-of-defense letter (Art. 3)
    APPLICATION = "application"  # outside the scope, applies: forwarded to the center
    DUTY_LAWYER = "duty_lawyer"  # outside the scope, no counsel: duty lawyer (Art. 15)
    RECORDED = "recorded"  # nothing follows yet (counsel to be retained, self-defense asked)


@dataclass(frozen=True)
class Reassessed:
    """What a reassessment of the grounds changed."""

    discovered: tuple[Ground, ...]
    open_clocks_for: tuple[Ground, ...]
    """Grounds whose 3-day letter clock opens now (the procuratorate's rules Art. 42)."""
    cancel_letter_clocks: bool
    """Out of scope now: the pending duty to send the letter falls away."""
    self_defense_revoked: bool
    """A ground now makes the permitted self-defense unlawful under the policy."""


# What opened a letter clock (its subject), as the shared definition names the triggers
# (legal_calendar.deadlines.LETTER); a newly found ground's clock is named by the ground.
LETTER_CLOCK_AT_RIGHTS_NOTIFICATION = LetterTrigger.RIGHTS_NOTIFICATION.value
LETTER_CLOCK_AT_DECISION = LetterTrigger.DECISION.value
LETTER_CLOCK_AT_DISMISSAL = LetterTrigger.DISMISSAL.value
LETTER_CLOCK_AT_TERMINATION = LetterTrigger.TERMINATION.value
LETTER_CLOCK_AT_REFUSAL = LetterTrigger.REFUSAL_ALLOWED.value


@dataclass
class SuspectDefense:
    """A suspect's defense at this stage (the aggregate's state, loaded from the projection)."""

    suspect_id: UUID
    grounds: tuple[Ground, ...] = ()
    informed: bool = False
    rights_clock_open: bool = True
    decision: DefenseChoice | None = None
    defenders: list[Defender] = field(default_factory=list)
    self_defense_permitted: bool = False
    aid_terminated: bool = False
    counsel_dismissed: bool = False
    letter_in_flight: bool = False
    letter_clocks: set[str] = field(default_factory=set)
    """Subjects of the open letter (notice_dispatch) clocks: a ground, or what opened it."""
    assignment_clock_open: bool = False
    """The center's assignment period (Measures Art. 4) runs: it received the letter or the
    written request, and no lawyer is appointed yet."""
    handed_over: bool = False
    handed_over_with: tuple[Defender, ...] = ()
    """The defense lawyers the suspect had when handed over to the court."""
    stage_left: bool = False
    """The case is no longer this stage's here: the proceedings ended (withdrawn, not
    prosecuted) or it went to another procuratorate. No letter is owed here
    (``legal_calendar.deadlines.letter_after_termination``)."""

    # -- what the state means -------------------------------------------------------------

    @property
    def in_scope(self) -> bool:
        return bool(self.grounds)

    @property
    def on_legal_aid_law_ground(self) -> bool:
        return has_legal_aid_law_ground(self.grounds)

    @property
    def defense_lawyers(self) -> list[Defender]:
        return [d for d in self.defenders if d.kind in DEFENSE_LAWYER_KINDS]

    @property
    def appointments(self) -> list[Defender]:
        return [d for d in self.defenders if d.kind in APPOINTED_KINDS]

    @property
    def has_defender(self) -> bool:
        """A defense lawyer or a permitted self-defense; duty-lawyer help is not a defender
        (Art. 15)."""
        return bool(self.defense_lawyers) or self.self_defense_permitted

    @property
    def status(self) -> DefenseStatus:
        return derive_status(
            [d.kind.value for d in self.defenders],
            self_defense_permitted=self.self_defense_permitted,
        )

    @property
    def renotification_waived(self) -> bool:
        """Aid was terminated and the suspect then dismissed retained counsel: on Measures
        Art. 2 grounds only, legal aid is not notified again (Art. 6 ¶2, 原则上不再通知)."""
        return self.counsel_dismissed and not renotify_after_dismissal(
            self.grounds, aid_was_terminated=self.aid_terminated
        )

    @property
    def needs_letter(self) -> bool:
        """The procuratorate owes the center a letter for this suspect (or one is on its way)."""
        return (
            self.in_scope
            and not self.has_defender
            and not self.renotification_waived
            and not self.handed_over
            and not self.stage_left
        )

    def _open_letter_clock(self, subject: str) -> bool:
        """Open a letter clock unless one runs or the letter is already on its way: the earliest
        open clock is the one the letter must meet."""
        if self.letter_clocks or self.letter_in_flight or not self.needs_letter:
            return False
        self.letter_clocks.add(subject)
        return True

    def _require_stage(self) -> None:
        if self.handed_over:
            raise StateConflict("the suspect was handed over to the court; the stage is closed")
        if self.stage_left:
            raise StateConflict(
                "the proceedings ended here or the case went to another procuratorate; "
                "the stage is closed"
            )

    # -- commands of the procuratorate -----------------------------------------------------

    def notify_rights(self) -> bool:
        """Art. 3 ¶1: the suspect and relatives were informed. For a suspect in the scope with
        no defender, the 3 days for the letter run from here when no decision follows (the
        procuratorate's rules Art. 42). Returns whether a letter clock opened."""
        self._require_stage()
        self.informed = True
        self.rights_clock_open = False
        return self._open_letter_clock(LETTER_CLOCK_AT_RIGHTS_NOTIFICATION)

    def decide(self, choice: DefenseChoice, policy: SelfDefensePolicy) -> tuple[Decided, bool]:
        """Art. 3: record the suspect's decision. Returns what follows and whether a letter
        clock opened. Duty-lawyer help is not a defender: a suspect who has only that is asked
        again and gets the letter when in scope (Art. 15)."""
        self._require_stage()
        if choice is DefenseChoice.DEFEND_SELF and self.in_scope:
            refusal = self_defense_refusal(policy, self.grounds)
            if refusal is not None:
                raise StateConflict(refusal, field="choice")
        if choice in (DefenseChoice.NO_COUNSEL, DefenseChoice.APPLY_FOR_LEGAL_AID):
            if self.has_defender:
                raise StateConflict(
                    f"the suspect already has a defender ({self.status.value})", field="choice"
                )
            if self.in_scope and self.letter_in_flight:
                raise StateConflict(
                    "the letter for this suspect is still open at the legal aid center",
                    field="choice",
                )
        self.informed = True
        self.rights_clock_open = False
        self.decision = choice
        if choice not in (DefenseChoice.NO_COUNSEL, DefenseChoice.APPLY_FOR_LEGAL_AID):
            # Counsel still to be retained, or self-defense still to be permitted: until then
            # the suspect has no defender and the letter's clock runs.
            return Decided.RECORDED, self._open_letter_clock(LETTER_CLOCK_AT_DECISION)
        if self.in_scope and not self.renotification_waived:
            opened = self._open_letter_clock(LETTER_CLOCK_AT_DECISION)
            return Decided.LETTER, opened
        if choice is DefenseChoice.APPLY_FOR_LEGAL_AID:
            return Decided.APPLICATION, False
        return Decided.DUTY_LAWYER, False

    def send_letter(self) -> None:
        """The letter goes to the center; it meets every open letter clock."""
        self._require_stage()
        if self.letter_in_flight:
            raise StateConflict(
                "the letter for this suspect is still open at the legal aid center",
                field="choice",
            )
        if not self.in_scope:
            raise StateConflict("the suspect is not in the mandatory scope", field="grounds")
        self.letter_in_flight = True
        self.letter_clocks.clear()

    def reassess(self, grounds: tuple[Ground, ...], policy: SelfDefensePolicy) -> Reassessed:
        """New facts: the grounds now. A newly found ground opens its own 3-day clock for a
        suspect without a defender (the procuratorate's rules Art. 42); leaving the scope
        cancels the pending letter; a ground that makes self-defense unlawful revokes it."""
        self._require_stage()
        discovered = newly_discovered(self.grounds, grounds)
        self.grounds = grounds
        revoked = False
        if self.self_defense_permitted and self_defense_refusal(policy, grounds) is not None:
            self.self_defense_permitted = False
            revoked = True
        cancel = not grounds and bool(self.letter_clocks)
        if cancel:
            self.letter_clocks.clear()
        opened: tuple[Ground, ...] = ()
        if discovered and self.needs_letter and not self.letter_in_flight:
            opened = discovered
            self.letter_clocks.update(g.value for g in discovered)
        return Reassessed(discovered, opened, cancel, revoked)

    def permit_self_defense(self, policy: SelfDefensePolicy) -> None:
        """Art. 5: self-defense with the procuratorate's permission, unless the policy forbids
        it on these grounds (LAL Art. 25(1): CPL Art. 35, 278)."""
        self._require_stage()
        refusal = self_defense_refusal(policy, self.grounds)
        if refusal is not None:
            raise StateConflict(refusal, field="grounds")
        if self.self_defense_permitted:
            raise StateConflict("self-defense is already permitted")
        self.self_defense_permitted = True
        self.letter_clocks.clear()
        self.assignment_clock_open = False  # the center's period falls away with the need

    def retain_counsel(self, retention_id: UUID) -> list[UUID]:
        """Art. 6: counsel retained. Aid ends: the appointments are superseded at once (the
        center's termination follows). Returns the superseded assignment ids."""
        self._require_stage()
        superseded = [d.ref for d in self.appointments if d.ref is not None]
        self.defenders = [d for d in self.defenders if d.kind not in APPOINTED_KINDS]
        self.defenders.append(Defender(DefenseStatus.RETAINED, retention_id))
        self.letter_clocks.clear()
        self.assignment_clock_open = False  # the center's period falls away with the need
        return superseded

    def dismiss_counsel(self, retention_id: UUID) -> bool:
        """The suspect dismissed retained counsel. Returns whether a letter clock opened (Art. 6:
        after a termination of aid, only on an LAL Art. 25(1) ground)."""
        self._require_stage()
        retained = Defender(DefenseStatus.RETAINED, retention_id)
        if retained not in self.defenders:
            raise NotKnown(f"active retention {retention_id} not found")
        self.defenders.remove(retained)
        self.counsel_dismissed = True
        return self._open_letter_clock(LETTER_CLOCK_AT_DISMISSAL)

    def _appointment(self, assignment_id: UUID) -> Defender:
        for defender in self.appointments:
            if defender.ref == assignment_id:
                return defender
        raise StateConflict(
            f"assignment {assignment_id} is not an active appointment of this suspect",
            field="assignment_id",
        )

    def rule_refusal(self, assignment_id: UUID, outcome: RefusalOutcome) -> bool:
        """Art. 5: rule on a refusal. Returns whether the center is asked for another lawyer at
        once (a justified change of lawyer): that written request restarts the center's
        assignment period (``legal_calendar.deadlines.ASSIGNMENT``), which runs here too.

        An allowed refusal (正当理由, Art. 5 ¶1) ends the refused appointment now: the suspect
        is no longer defended by that lawyer and counts as a gap until they retain counsel or
        the center appoints another on the procuratorate's written request. A suspect in the
        scope gets the 3-day clock for that request."""
        self._require_stage()
        refused = self._appointment(assignment_id)
        if outcome is RefusalOutcome.ALLOWED_MUST_RETAIN_COUNSEL:
            self.defenders.remove(refused)
            self._open_letter_clock(LETTER_CLOCK_AT_REFUSAL)
        if outcome is RefusalOutcome.CHANGE_OF_LAWYER:
            self.assignment_clock_open = True
            return True
        return False

    def request_reappointment(self) -> None:
        """Art. 5 ¶1: the refusal was allowed and the suspect retained no one: the center is
        asked in writing for another lawyer. The request stands in for the letter: it meets the
        open letter clocks and is in flight until the center answers. The center counts a new
        assignment period from the request (``legal_calendar.deadlines.ASSIGNMENT``), and so
        does the procuratorate: it opens here now, not only when the center finds nobody."""
        self._require_stage()
        if any(d.kind is DefenseStatus.RETAINED for d in self.defenders):
            raise StateConflict("the suspect retained counsel: no reappointment is needed")
        if self.appointments:
            raise StateConflict(
                "the suspect still has an appointed lawyer: rule the refusal allowed first",
                field="assignment_id",
            )
        self.letter_in_flight = True
        self.letter_clocks.clear()
        self.assignment_clock_open = True

    def hand_over(self) -> None:
        """Indictment: the suspect goes to the court with its defense. A suspect on an LAL
        Art. 25(1) ground must have a defender by then (CPL Art. 35, 278)."""
        self._require_stage()
        if self.on_legal_aid_law_ground and not self.defense_lawyers:
            raise StateConflict(
                "a suspect on an LAL Art. 25(1) ground must have a defense lawyer before the "
                "case is handed over to the court (CPL Art. 35)",
                field="suspect_ids",
            )
        self.handed_over = True
        self.handed_over_with = tuple(self.defense_lawyers)
        self.letter_clocks.clear()

    # -- the aid center's events -----------------------------------------------------------

    def lawyer_assigned(self, assignment_id: UUID, kind: DefenseStatus) -> bool:
        """LawyerAssigned. Returns False when the appointment is superseded on arrival: counsel
        was retained (or self-defense permitted) meanwhile, and aid is to end (Art. 5, 6)."""
        self.letter_in_flight = False
        self.letter_clocks.clear()
        self.assignment_clock_open = False
        if any(d.kind is DefenseStatus.RETAINED for d in self.defenders):
            return False
        self.defenders = [d for d in self.defenders if d.kind not in APPOINTED_KINDS]
        self.defenders.append(Defender(kind, assignment_id))
        return True

    def lawyer_replaced(
        self, previous: UUID, assignment_id: UUID, kind: DefenseStatus | None = None
    ) -> DefenseStatus | None:
        """LawyerReplaced: the new appointment takes the previous one's kind. When the previous
        appointment already ended on an allowed refusal, the replacement answers the
        reappointment request in flight and takes ``kind``. None when the replacement does not
        count: nothing to replace, or counsel was retained meanwhile (Art. 6)."""
        for defender in self.appointments:
            if defender.ref == previous:
                self.defenders.remove(defender)
                self.defenders.append(Defender(defender.kind, assignment_id))
                self.assignment_clock_open = False  # a written request for a change answered
                return defender.kind
        if self.letter_in_flight and kind is not None:
            self.letter_in_flight = False
            self.assignment_clock_open = False
            if any(d.kind is DefenseStatus.RETAINED for d in self.defenders):
                return None
            self.defenders.append(Defender(kind, assignment_id))
            return kind
        return None

    def assignment_failed(self) -> bool:
        """AssignmentFailed: the center found no lawyer for the letter or the written request.
        That answer is no longer in flight — the suspect shows without a defender and is not
        covered — and the center's assignment period runs on while its staff retry or choose by
        hand (Measures Art. 4). Returns whether an assignment clock opens here (none ran: a
        written request for another lawyer made before its clock opened with the request)."""
        self.letter_in_flight = False
        if not self.needs_letter or self.assignment_clock_open:
            return False
        self.assignment_clock_open = True
        return True

    def appointment_ended(
        self, assignment_id: UUID, reason: AssignmentEndReason
    ) -> ClockKind | None:
        """AssignmentEnded: the lawyer no longer acts for the suspect, and aid goes on. After an
        allowed refusal the ruling here already ended it (and opened the clock for the written
        request); a replacement nobody could take leaves the center's assignment period
        running. Returns the kind of clock that opens, if any."""
        ended = [d for d in self.appointments if d.ref == assignment_id]
        if not ended:
            return None
        self.defenders.remove(ended[0])
        if reason is AssignmentEndReason.REFUSAL_ALLOWED:
            opened = self._open_letter_clock(LETTER_CLOCK_AT_REFUSAL)
            return ClockKind.NOTICE_DISPATCH if opened else None
        if self.needs_letter and not self.assignment_clock_open and not self.letter_in_flight:
            self.assignment_clock_open = True
            return ClockKind.ASSIGNMENT
        return None

    def record_aid_terminated(self, assignment_id: UUID, reason: TerminationReason) -> bool:
        """AidTerminated. Returns whether a letter clock opened: a suspect left in the scope
        without a defender (and not waived by Art. 6) must be notified again within 3 days —
        unless the proceedings ended here or the jurisdiction changed: the case is no longer
        this stage's, and no letter is owed (the shared definition of the letter period)."""
        self.aid_terminated = True
        self.defenders = [d for d in self.defenders if d.ref != assignment_id]
        if letter_after_termination(reason) is AfterTermination.DUTY_ENDS:
            self.stage_left = True
            self.letter_clocks.clear()
            return False
        if self.handed_over:
            return False
        return self._open_letter_clock(LETTER_CLOCK_AT_TERMINATION)

    def duty_lawyer_assigned(self) -> None:
        """Duty-lawyer help (Art. 15): recorded, but it is not a defender."""
        if Defender(DefenseStatus.DUTY_LAWYER_ONLY) not in self.defenders:
            self.defenders.append(Defender(DefenseStatus.DUTY_LAWYER_ONLY))


NO_RELATIVE_KNOWN = "no close relative or guardian is named in the case materials"


def relatives_not_informed(
    informed_roles: Iterable[PersonRole], *, relatives_known: bool, reason: str | None
) -> str | None:
    """Measures Art. 3 ¶1 (告知犯罪嫌疑人及其近亲属): the suspect and the close relatives are told.
    Returns why no relative was told (to be recorded), or raises when the record lacks the
    suspect, or lacks the relatives the case names without saying why."""
    roles = set(informed_roles)
    if PersonRole.SUSPECT not in roles:
        raise RuleViolation("the suspect must be among those informed", field="informed")
    if roles & {PersonRole.CLOSE_RELATIVE, PersonRole.GUARDIAN}:
        return None
    if reason:
        return reason
    if relatives_known:
        raise RuleViolation(
            "the case names close relatives or a guardian: inform them too, or give "
            "relatives_not_informed_reason",
            field="informed",
        )
    return NO_RELATIVE_KNOWN
