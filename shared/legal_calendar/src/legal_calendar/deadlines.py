"""Statutory periods defined once: what starts each, its length and counting rule, what stops
or restarts it. Every service that shows or watches one of these uses the definition here, so
the procuratorate, the legal aid center and the notifier cannot count the same period three
ways.

The assignment period (Measures Art. 4; LAL Art. 36):
    法律援助机构应当自收到通知辩护公函之日起三日内，确定承办律师并将辩护律师姓名、所属单位及
    联系方式函告人民检察院。
- **Starts** when the center receives the notice-of-defense letter. Letters travel by electronic
  document flow, so the center receives a letter when the procuratorate sends it:
  ``DefenseNoticeSent.sent_at`` — never the moment the center's system got round to processing
  it (a backlog must not lengthen a statutory period).
- **Restarts** when the procuratorate supplements a letter the center found incomplete (Art. 3
  ¶3: 商请人民检察院予以补充). Until the content and materials the letter must carry are there, the
  center has not received a 公函 it can act on; the complete letter is received on the day of
  the supplement (``NoticeSupplemented.supplemented_at``). A supplement sent while nothing was
  outstanding changes nothing. The center states the start it counted from in
  ``NoticeAccepted.received_at``, so services that never saw the supplement request agree.
- **Length**: 3 days, counted by CPL Art. 105 (the starting day not counted; a last day that is
  a rest day moves to the next working day) — :class:`~legal_calendar.periods.CalendarDays`.
- **Stops** when a lawyer is assigned (``LawyerAssigned``; ``LawyerReplaced`` for a
  reappointment), met if that happened before the period closed; it falls away when counsel
  is retained or self-defense permitted. A stopping fact that happened at or after the start
  closes the period whatever order the events arrive in.
- A written request to appoint another lawyer (Art. 5, ``ReappointmentRequested``: after an
  allowed refusal, or a justified change of lawyer) starts a new 3-day period from the request
  (``requested_at``; received when sent, as the letter is). The center restarts its period
  then, the notifier opens its clock then, and the procuratorate opens its own then too — an
  earlier period still open gives way to it — not only when the center finds nobody.

The letter period (Measures Art. 3 ¶2; the procuratorate's rules, SPP Criminal Procedure Rules
Art. 42):
    犯罪嫌疑人决定不自行委托辩护人的，人民检察院应当自收到其决定之日起三日以内……通知法律援助机构
    (Art. 3 ¶2); where no decision is recorded, Art. 42 counts the 3 days from finding that a
    suspect in the mandatory scope has no defender.
- **Starts** (:class:`LetterTrigger`) for a suspect in the mandatory scope without a defender
  and without a letter on its way: the rights notification (informed, no decision yet), a
  ground found later (one clock per ground), the decision not to retain counsel (or any
  decision that leaves the suspect without a defender), the dismissal of retained counsel, the
  termination of aid that leaves the suspect without a defender.
- **One clock at a time**: the earliest open clock is the one the letter must meet; a later
  trigger never moves it.
- **Length**: 3 days by CPL Art. 105 — :class:`~legal_calendar.periods.CalendarDays`.
- **Stops** when the letter is sent (``DefenseNoticeSent``: met, or met late); it falls away
  (cancelled) when counsel is retained, self-defense is permitted, or the suspect leaves the
  scope.
- **After a termination of aid** (:func:`letter_after_termination`): owed again for a suspect
  left in the scope without a defender — except where the case is no longer this stage's: it
  ended here (``proceedings_ended``: withdrawn, not prosecuted — CPL Art. 177, nobody is left to
  defend at review), it went to another procuratorate (``jurisdiction_changed``: the receiving
  unit informs the suspect and counts its own period from its own receipt, CPL Art. 34), or it
  was handed over to the court (``stage_ended``, Measures Art. 13). Nor when aid ended because
  the suspect has another defender (counsel retained, self-defense permitted). Every other
  ground of LAL Art. 48 — deception, concealed facts or false evidence, unlawful use, a changed
  economic situation, the recipient's justified request, another ground by law — ends the
  appointed lawyer's work but not the duty to defend a suspect in the mandatory scope (CPL
  Art. 35): the letter is owed again, and a new appointment follows it.
- **Not again after a dismissal** (Measures Art. 6 ¶2, 原则上不再通知): once aid was terminated
  because counsel was retained, dismissing that counsel starts the period only on an LAL Art.
  25(1) ground — :func:`letter_owed_after_dismissal`.

The review of an application for legal aid (LAL Art. 43):
    法律援助机构应当自收到法律援助申请之日起七日内进行审查，作出是否给予法律援助的决定；决定给予法律
    援助的，应当自作出决定之日起三日内指派法律援助人员为受援人提供法律援助；决定不给予法律援助的，
    应当书面告知申请人，并说明理由。申请人提交的申请材料不齐全的，法律援助机构应当一次性告知申请人需要
    补充的材料或者要求申请人作出说明。申请人未按要求补充材料或者作出说明的，视为撤回申请。
- **Starts** when the center receives the application (a forwarded one: its forwarding,
  ``LegalAidApplicationForwarded.forwarded_at``, as for letters in electronic flow).
- **Restarts** when the applicant supplies the material the center asked for: the complete
  application is received that day (the time to supplement is not the center's to count, as
  for an incomplete letter above); ``ApplicationMaterialsSupplied.supplied_at``.
- **Length**: 7 days by CPL Art. 105 — :data:`APPLICATION_REVIEW`.
- **Stops** at the decision: granted, refused, or deemed withdrawn.
- A grant starts the assignment of the application: 3 days from the decision —
  :data:`APPLICATION_ASSIGNMENT`.

The rights notification (Measures Art. 3 ¶1, CPL Art. 34): within 3 days of receiving the case.
The file review (Measures Art. 8): within 3 working days of a request not arranged at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from legal_calendar.calendar import LegalCalendar
from legal_calendar.periods import (
    CalendarDays,
    Deadline,
    Period,
    WorkingDays,
    compute_deadline,
    legal_date,
)


@dataclass(frozen=True)
class StatutoryPeriod:
    """One statutory period: its length and where the law says so."""

    name: str
    period: Period
    basis: str

    def due(self, started_at: datetime, calendar: LegalCalendar) -> Deadline:
        """The period's last day for a trigger at ``started_at``; provisional (and saying which
        years are missing) when the calendar lacks a year it needs."""
        return compute_deadline(
            legal_date(started_at), self.period, calendar, allow_provisional=True
        )


ASSIGNMENT = StatutoryPeriod(
    name="assignment",
    period=CalendarDays(3),
    basis="Measures Art. 4, LAL Art. 36: a lawyer within 3 days of receiving the letter",
)


LETTER = StatutoryPeriod(
    name="notice_dispatch",
    period=CalendarDays(3),
    basis="Measures Art. 3 ¶2, SPP Rules Art. 42: the letter to legal aid within 3 days",
)

RIGHTS_NOTIFICATION = StatutoryPeriod(
    name="rights_notification",
    period=CalendarDays(3),
    basis="Measures Art. 3 ¶1, CPL Art. 34: inform the suspect within 3 days of receipt",
)

FILE_REVIEW = StatutoryPeriod(
    name="file_review",
    period=WorkingDays(3),
    basis="Measures Art. 8: arrange a deferred file review within 3 working days",
)


APPLICATION_REVIEW = StatutoryPeriod(
    name="application_review",
    period=CalendarDays(7),
    basis="LAL Art. 43: decide on an application within 7 days of receiving it",
)

APPLICATION_ASSIGNMENT = StatutoryPeriod(
    name="application_assignment",
    period=CalendarDays(3),
    basis="LAL Art. 43: a lawyer within 3 days of the decision to grant legal aid",
)


DECISIONS_ENDING_THE_STAGE_HERE = frozenset({"non_prosecution", "jurisdiction_change"})
"""Procedural decisions (``ProceduralDecisionKind`` values) after which the case is no longer
this procuratorate's to review: non-prosecution ends the proceedings (CPL Art. 177; the aid
ends with them, LAL Art. 48), a change of jurisdiction hands the case to a unit that informs
the suspect and counts its own periods from its own receipt (CPL Art. 34)."""

PERIODS_ENDING_WITH_THE_STAGE = (RIGHTS_NOTIFICATION, LETTER, ASSIGNMENT, FILE_REVIEW)
"""A suspect's periods that fall away (cancelled) on such a decision, in every service that
watches them. Left open, a letter no longer owed would show as overdue on the boards and in
the statistics for ever. (The review period itself ends met by the decision; the written
opinion's falls away with it.)"""


class LetterTrigger(StrEnum):
    """What starts the letter period (besides a newly found ground, whose clock is named by
    the ground itself)."""

    RIGHTS_NOTIFICATION = "rights_notification"
    DECISION = "decision"
    DISMISSAL = "dismissal"
    TERMINATION = "termination"
    REFUSAL_ALLOWED = "refusal_allowed"
    """Measures Art. 5 ¶1: an allowed refusal ended the appointment; the written request for
    another lawyer is owed unless the suspect retains counsel first."""


class AfterTermination(StrEnum):
    """What a termination of aid (by its reason) means for the letter period."""

    REOPENS = "reopens"
    """The suspect may be left in the scope without a defender: the letter is owed again."""
    DEFENDED = "defended"
    """Aid ended because the suspect has another defender (counsel, permitted self-defense)."""
    HANDED_OVER = "handed_over"
    """The case went to the court (Measures Art. 13): the trial stage's own duties follow."""
    DUTY_ENDS = "duty_ends"
    """The case is no longer this procuratorate's to review: proceedings ended here, or the
    jurisdiction changed. No letter is owed here, and the suspect's defense at this stage is
    closed."""


_AFTER_TERMINATION: dict[str, AfterTermination] = {
    "counsel_retained": AfterTermination.DEFENDED,
    "self_defense_permitted": AfterTermination.DEFENDED,
    "stage_ended": AfterTermination.HANDED_OVER,
    "proceedings_ended": AfterTermination.DUTY_ENDS,
    "jurisdiction_changed": AfterTermination.DUTY_ENDS,
    # LAL Art. 48(1)-(4), (7), (8) and a lost ground: the lawyer goes, the duty stays.
    "obtained_by_deception": AfterTermination.REOPENS,
    "facts_concealed": AfterTermination.REOPENS,
    "unlawful_use": AfterTermination.REOPENS,
    "economic_situation_changed": AfterTermination.REOPENS,
    "recipient_request": AfterTermination.REOPENS,
    "no_longer_eligible": AfterTermination.REOPENS,
    "other": AfterTermination.REOPENS,
}


def termination_reasons_defined() -> frozenset[str]:
    """The termination reasons this module names explicitly (every ``TerminationReason`` should
    be one: a reason left to the default is a reason nobody decided about)."""
    return frozenset(_AFTER_TERMINATION)


def letter_after_termination(reason: str) -> AfterTermination:
    """What ending aid for ``reason`` (a ``TerminationReason`` value) means for the letter;
    any reason not named here may leave the suspect owed a letter."""
    return _AFTER_TERMINATION.get(str(reason), AfterTermination.REOPENS)


def letter_owed_after_dismissal(
    *, in_scope: bool, aid_was_terminated: bool, on_legal_aid_law_ground: bool
) -> bool:
    """Whether dismissing retained counsel makes the letter owed again (Measures Art. 6): on
    any ground of the mandatory scope, except that after aid was terminated (counsel having
    been retained) only an LAL Art. 25(1) ground brings a new letter (原则上不再通知)."""
    if aid_was_terminated:
        return on_legal_aid_law_ground
    return in_scope


def assignment_started_at(
    letter_sent_at: datetime, completing_supplement_at: datetime | None
) -> datetime:
    """When the assignment period of a letter starts: the letter's receipt (its sending, in
    electronic document flow), or the supplement that completed a letter the center had found
    incomplete."""
    return completing_supplement_at if completing_supplement_at is not None else letter_sent_at


def closed_by(started_at: datetime, stopped_at: datetime | None) -> bool:
    """Whether a stopping fact (an assignment at ``stopped_at``) closes a period that started
    at ``started_at``: it does when it happened at or after the start, whatever order the two
    facts became known in."""
    return stopped_at is not None and stopped_at >= started_at
