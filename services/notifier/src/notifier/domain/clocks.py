"""The deadline watch's rules: which event starts, moves or stops which clock (期限).

Pure: :func:`clock_changes` takes an event, what the notifier already knows about the case
(:class:`CaseView`) and the legal calendar, and returns the changes to apply. Period arithmetic
is the shared ``legal_calendar``'s (CPL Art. 105, Measures Art. 8); it is never redone here.

The clocks (ClockKind):
- rights_notification — 3 days from the case's receipt (Measures Art. 3, CPL Art. 34);
- notice_dispatch — defined once in ``legal_calendar.deadlines.LETTER``: for a suspect in the
  mandatory scope without a defender, 3 days from the rights notification, from the discovery
  of a new ground, or from the decision not to retain counsel, whichever comes first (Measures
  Art. 3; the procuratorate's rules Art. 42: the 3 days run from finding that the suspect has
  no defender, so a suspect who never decides still has a clock); opened again when a
  termination of aid or a dismissal of counsel leaves the suspect without a defender (Art. 6,
  ``letter_owed_after_dismissal``), and by an allowed refusal of the appointed lawyer (Art. 5
  ¶1), which the written request for another lawyer meets. The procuratorate opens the same
  clock on the same events (``procuratorate.domain.defense_path``);
- assignment — defined once in ``legal_calendar.deadlines.ASSIGNMENT`` (Measures Art. 4, LAL
  Art. 36): 3 days from the letter's receipt (its sending), or from the supplement that
  completed it, which the center's acceptance states (``NoticeAccepted.received_at``); started
  again by a written request to appoint another lawyer (Measures Art. 5), and by a replacement
  nobody could take (``AssignmentEnded``, ``replacement_not_found``). Any appointment at or
  after a start closes that period, whichever event arrives first: the two topics are not
  ordered with each other;
- file_review — 3 working days from the lawyer's request when not arranged at once (Art. 8);
- written_opinion — before the review period ends (Art. 9): due on the review deadline;
- review_period — the last day the case carries (CPL Art. 172, 175): set by the procuratorate
  on receipt, shortened by the expedited procedure, moved by an extension;
- subsidy_payment — an approved case subsidy paid by the day the approval names (notice §四;
  the aid center counts it from its setting), one clock per claim; the payment closes it, met
  if paid on or before that day;
- application_review — defined once in ``legal_calendar.deadlines.APPLICATION_REVIEW`` (LAL
  Art. 43): 7 days from the forwarded application's receipt (its forwarding); the decision
  closes it, and a decision made at or after the forwarding and applied first keeps it from
  opening. A request for missing material moves it to count from the day given to supply it
  (the applicant's time is not the center's), and the material's arrival
  (``ApplicationMaterialsSupplied``) restarts it from that day;
- application_assignment — ``APPLICATION_ASSIGNMENT``: 3 days from a grant; an appointment on
  the application at or after the grant closes it, whichever event arrives first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from uuid import UUID

from defense_schemas import BaseEvent
from defense_schemas.events import aid_center as aid
from defense_schemas.events import procuratorate as pr
from defense_schemas.vocabulary import (
    ApplicationDecision,
    AssessmentTrigger,
    AssignmentEndReason,
    ClockKind,
    ClockOutcome,
    DefenseChoice,
    ProceduralDecisionKind,
    ReceiptKind,
    RefusalOutcome,
    ResponsibleParty,
    TerminationReason,
)
from legal_calendar import (
    LEGAL_TIMEZONE,
    LegalCalendar,
    Period,
    closes_at,
    compute_deadline,
    legal_date,
)
from legal_calendar.deadlines import (
    APPLICATION_ASSIGNMENT,
    APPLICATION_REVIEW,
    ASSIGNMENT,
    DECISIONS_ENDING_THE_STAGE_HERE,
    FILE_REVIEW,
    LETTER,
    PERIODS_ENDING_WITH_THE_STAGE,
    RIGHTS_NOTIFICATION,
    AfterTermination,
    closed_by,
    letter_after_termination,
    letter_owed_after_dismissal,
)

COUNTED: dict[ClockKind, Period] = {
    ClockKind.RIGHTS_NOTIFICATION: RIGHTS_NOTIFICATION.period,
    ClockKind.NOTICE_DISPATCH: LETTER.period,
    ClockKind.ASSIGNMENT: ASSIGNMENT.period,
    ClockKind.FILE_REVIEW: FILE_REVIEW.period,
    ClockKind.APPLICATION_REVIEW: APPLICATION_REVIEW.period,
    ClockKind.APPLICATION_ASSIGNMENT: APPLICATION_ASSIGNMENT.period,
}
"""The clocks whose due day the watch counts from their start, by the shared definitions
(``legal_calendar.deadlines``). The review period and the written opinions are due on the day
the procuratorate's events name."""


@dataclass(frozen=True)
class ClockKey:
    """Identifies one clock of a case: its kind, its suspect (none for the review period) and,
    where a suspect can have several at once (file review requests), the subject's id."""

    kind: ClockKind
    suspect_id: UUID | None = None
    subject: str = ""


@dataclass(frozen=True)
class Schedule:
    """Start the clock, or move its due day when it is already running."""

    key: ClockKey
    responsible: ResponsibleParty
    started_on: date
    due_on: date
    provisional: bool
    reason: str
    missing_years: tuple[int, ...] = ()
    """The calendar years the due day was guessed for (empty when ``provisional`` is False)."""


@dataclass(frozen=True)
class Stop:
    """End the clock: the duty was done (`met`), or it fell away (`cancelled`; `lapsed` when
    that was after the period had closed)."""

    key: ClockKey
    duty_done: bool
    at: datetime
    reason: str


ClockChange = Schedule | Stop


@dataclass
class SuspectView:
    """What the watch knows about one suspect, from earlier events."""

    in_scope: bool | None = None  # None: not assessed yet
    decided_no_counsel: bool = False
    notice_sent: bool = False
    has_defender: bool = False  # appointed lawyer, retained counsel or permitted self-defense
    lawyer_assigned: bool = False
    lawyer_assigned_at: datetime | None = None  # the latest appointment (or replacement)
    notice_sent_at: datetime | None = None  # the latest letter
    letter_reopened_at: datetime | None = None  # a termination or dismissal made it owed again
    aid_terminated: bool = False
    legal_aid_law_ground: bool = False  # an LAL Art. 25(1) ground (Measures Art. 6 ¶2)
    application_decided_at: datetime | None = None  # the latest decision on an application

    @property
    def letter_in_flight(self) -> bool:
        """A letter went and nothing since made a new one owed: a letter sent at or after the
        reopening answers it, whichever of the two events arrived first."""
        if not self.notice_sent:
            return False
        if self.letter_reopened_at is None:
            return True
        return closed_by(self.letter_reopened_at, self.notice_sent_at)


@dataclass
class CaseView:
    """What the watch knows about a case: its suspects and which clocks are open."""

    review_deadline: date | None = None
    suspects: dict[UUID, SuspectView] = field(default_factory=dict)
    open_clocks: set[ClockKey] = field(default_factory=set)

    def suspect(self, suspect_id: UUID) -> SuspectView:
        return self.suspects.get(suspect_id, SuspectView())


def _schedule(
    key: ClockKey,
    responsible: ResponsibleParty,
    trigger: datetime,
    period: Period,
    calendar: LegalCalendar,
    reason: str,
) -> Schedule:
    started_on = legal_date(trigger)
    deadline = compute_deadline(started_on, period, calendar, allow_provisional=True)
    return Schedule(
        key,
        responsible,
        started_on,
        deadline.due_on,
        deadline.provisional,
        reason,
        deadline.missing_years,
    )


def recount(
    kind: ClockKind, started_on: date, calendar: LegalCalendar
) -> tuple[date, tuple[int, ...]] | None:
    """A counted clock's due day from its start, and the years still guessed (a calendar year
    was loaded); None for a clock whose due day an event names."""
    period = COUNTED.get(kind)
    if period is None:
        return None
    deadline = compute_deadline(started_on, period, calendar, allow_provisional=True)
    return deadline.due_on, deadline.missing_years


def _stop_open(
    view: CaseView, keys: Iterable[ClockKey], *, duty_done: bool, at: datetime, reason: str
) -> list[ClockChange]:
    return [Stop(key, duty_done, at, reason) for key in keys if key in view.open_clocks]


def _open_of_kind(view: CaseView, kind: ClockKind) -> list[ClockKey]:
    return sorted(
        (key for key in view.open_clocks if key.kind is kind),
        key=lambda key: (str(key.suspect_id), key.subject),
    )


def _review_deadline_moved(
    view: CaseView,
    due_on: date,
    at: datetime,
    reason: str,
    missing_years: tuple[int, ...] = (),
) -> list[ClockChange]:
    """The review period's last day is also the written opinions' (Measures Art. 9). The
    procuratorate counts it (the case's period depends on its custody and procedure) and says
    whether it was guessed, for which years (``missing_years``); it publishes the day again
    when the year is loaded (``ReviewDeadlineRecounted``)."""
    started_on = min(legal_date(at), due_on)
    provisional = bool(missing_years)
    changes: list[ClockChange] = [
        Schedule(
            ClockKey(ClockKind.REVIEW_PERIOD),
            ResponsibleParty.PROCURATORATE,
            started_on,
            due_on,
            provisional,
            reason,
            missing_years,
        )
    ]
    for key in _open_of_kind(view, ClockKind.WRITTEN_OPINION):
        changes.append(
            Schedule(
                key, ResponsibleParty.LAWYER, started_on, due_on, provisional, reason, missing_years
            )
        )
    return changes


def _assignment_period(
    view: CaseView, suspect_id: UUID, started_at: datetime, calendar: LegalCalendar, reason: str
) -> list[ClockChange]:
    """Start (or move) the suspect's assignment period from ``started_at`` — unless an
    appointment at or after that instant is already known: the period was met before the event
    that starts it arrived (the two topics are not ordered with each other), and opening it now
    would leave a clock open for a suspect who has a lawyer."""
    if closed_by(started_at, view.suspect(suspect_id).lawyer_assigned_at):
        return []
    return [
        _schedule(
            ClockKey(ClockKind.ASSIGNMENT, suspect_id),
            ResponsibleParty.AID_CENTER,
            started_at,
            ASSIGNMENT.period,
            calendar,
            reason,
        )
    ]


def _letter_owed(view: CaseView, suspect_id: UUID, suspect: SuspectView) -> bool:
    """A letter clock opens: none runs yet, no letter went, and the suspect has no defender.
    The earliest open clock is the one the letter must meet, so a later trigger never moves it.

    Only the procuratorate's own facts count here (retained counsel, self-defense, the letter):
    they come on its topic, in order with the trigger. An appointment is the aid center's fact,
    which may be applied before the letter it answers; counting it would open the clock or not
    depending on which topic was read first."""
    defended_by_procuratorate_facts = suspect.has_defender and not suspect.lawyer_assigned
    return (
        ClockKey(ClockKind.NOTICE_DISPATCH, suspect_id) not in view.open_clocks
        and not suspect.letter_in_flight
        and not defended_by_procuratorate_facts
    )


def termination_reopens_letter(reason: TerminationReason) -> bool:
    """Whether a termination for ``reason`` can leave the suspect owed a letter, by the shared
    definition (``legal_calendar.deadlines.letter_after_termination``): not when aid ended
    because the suspect has another defender, nor when the case is no longer this stage's
    (handed over, proceedings ended, jurisdiction changed)."""
    return letter_after_termination(reason) is AfterTermination.REOPENS


def termination_leaves_a_defender(reason: TerminationReason) -> bool:
    """Aid ended because the suspect has another defender (counsel, self-defense)."""
    return letter_after_termination(reason) is AfterTermination.DEFENDED


def dismissal_reopens_letter(suspect: SuspectView) -> bool:
    """Whether dismissing retained counsel makes the letter owed again (Measures Art. 6)."""
    return letter_owed_after_dismissal(
        in_scope=bool(suspect.in_scope),
        aid_was_terminated=suspect.aid_terminated,
        on_legal_aid_law_ground=suspect.legal_aid_law_ground,
    )


def _letter_reopened_by_termination(
    view: CaseView, event: aid.AidTerminated, calendar: LegalCalendar
) -> list[ClockChange]:
    """A termination that leaves a suspect in the scope without a defender makes the letter
    owed again within 3 days (the procuratorate's rules Art. 42), as the procuratorate's
    aggregate decides (``record_aid_terminated``). A letter already sent at or after the
    termination (its event came first, on the other topic) answered it."""
    suspect = view.suspect(event.suspect_id)
    if not termination_reopens_letter(event.reason) or not suspect.in_scope:
        return []
    # A letter sent at or after the termination keeps the letter in flight (letter_in_flight).
    reopened = replace(suspect, letter_reopened_at=event.terminated_at)
    if not _letter_owed(view, event.suspect_id, reopened):
        return []
    return [
        _schedule(
            ClockKey(ClockKind.NOTICE_DISPATCH, event.suspect_id),
            ResponsibleParty.PROCURATORATE,
            event.terminated_at,
            LETTER.period,
            calendar,
            f"aid terminated ({event.reason.value}), the suspect is left without a defender: "
            "notify legal aid again within 3 days (procuratorate rules Art. 42)",
        )
    ]


def _letter_reopened_by_dismissal(
    view: CaseView, event: pr.PrivateCounselDismissed, calendar: LegalCalendar
) -> list[ClockChange]:
    """Retained counsel dismissed: the letter is owed again (Measures Art. 6), except after a
    termination of aid on Measures Art. 2 grounds alone (``letter_owed_after_dismissal``)."""
    suspect = view.suspect(event.suspect_id)
    owed = dismissal_reopens_letter(suspect)
    reopened = replace(
        suspect, letter_reopened_at=event.dismissed_at, has_defender=suspect.lawyer_assigned
    )
    if not owed or not _letter_owed(view, event.suspect_id, reopened):
        return []
    return [
        _schedule(
            ClockKey(ClockKind.NOTICE_DISPATCH, event.suspect_id),
            ResponsibleParty.PROCURATORATE,
            event.dismissed_at,
            LETTER.period,
            calendar,
            "retained counsel dismissed: notify legal aid within 3 days (Measures Art. 6)",
        )
    ]


def _letter_reopened_by_refusal(
    view: CaseView, event: pr.LawyerRefusalRuled, calendar: LegalCalendar
) -> list[ClockChange]:
    """An allowed refusal (Measures Art. 5 ¶1) ends the refused appointment: a suspect in the
    scope is owed the written request for another lawyer within 3 days, as the procuratorate's
    aggregate decides (``rule_refusal``); the request meets it."""
    suspect = view.suspect(event.suspect_id)
    if event.outcome is not RefusalOutcome.ALLOWED_MUST_RETAIN_COUNSEL or not suspect.in_scope:
        return []
    reopened = replace(suspect, letter_reopened_at=event.ruled_at, has_defender=False)
    if not _letter_owed(view, event.suspect_id, reopened):
        return []
    return [
        _schedule(
            ClockKey(ClockKind.NOTICE_DISPATCH, event.suspect_id),
            ResponsibleParty.PROCURATORATE,
            event.ruled_at,
            LETTER.period,
            calendar,
            "refusal allowed, the suspect is left without a defender: ask legal aid in writing "
            "for another lawyer within 3 days unless counsel is retained (Measures Art. 5)",
        )
    ]


def _defender_found(view: CaseView, suspect_id: UUID, at: datetime, why: str) -> list[ClockChange]:
    """Counsel retained or self-defense permitted: the letter and the assignment fall away."""
    keys = [
        ClockKey(ClockKind.NOTICE_DISPATCH, suspect_id),
        ClockKey(ClockKind.ASSIGNMENT, suspect_id),
    ]
    return _stop_open(view, keys, duty_done=False, at=at, reason=why)


def clock_changes(event: BaseEvent, view: CaseView, calendar: LegalCalendar) -> list[ClockChange]:
    """The clock changes `event` causes, given what is known of its case."""
    match event:
        case pr.CaseReceived():
            reason = f"case received ({event.receipt_kind.value}), review period ends " + str(
                event.review_deadline
            )
            changes: list[ClockChange] = []
            # Each receipt restarts the review period (CPL Art. 172, 175; a change of
            # jurisdiction restarts it at the new procuratorate).
            changes += _review_deadline_moved(
                view,
                event.review_deadline,
                event.received_at,
                reason,
                event.review_deadline_missing_years,
            )
            if event.receipt_kind is not ReceiptKind.RETRANSFER_AFTER_SUPPLEMENTARY_INVESTIGATION:
                # A re-transfer returns to the procuratorate that already informed the suspect.
                for suspect in event.suspects:
                    changes.append(
                        _schedule(
                            ClockKey(ClockKind.RIGHTS_NOTIFICATION, suspect.suspect_id),
                            ResponsibleParty.PROCURATORATE,
                            event.received_at,
                            RIGHTS_NOTIFICATION.period,
                            calendar,
                            "inform of the right to counsel within 3 days of receipt "
                            "(Measures Art. 3)",
                        )
                    )
            for suspect in event.suspects:
                known = view.suspect(suspect.suspect_id)
                key = ClockKey(ClockKind.WRITTEN_OPINION, suspect.suspect_id)
                if known.lawyer_assigned and key not in view.open_clocks:
                    # From the later of the receipt and the appointment: the same day whether
                    # the appointment's event arrived before this one or after it.
                    since = max(event.received_at, known.lawyer_assigned_at or event.received_at)
                    changes.append(
                        Schedule(
                            key,
                            ResponsibleParty.LAWYER,
                            min(legal_date(since), event.review_deadline),
                            event.review_deadline,
                            False,
                            "written opinion before the restarted review period ends (Art. 9)",
                        )
                    )
            return changes

        case pr.RightsNotified():
            key = ClockKey(ClockKind.RIGHTS_NOTIFICATION, event.suspect_id)
            changes = _stop_open(
                view, [key], duty_done=True, at=event.notified_at, reason="rights notified"
            )
            informed = view.suspect(event.suspect_id)
            if event.grounds and _letter_owed(view, event.suspect_id, informed):
                changes.append(
                    _schedule(
                        ClockKey(ClockKind.NOTICE_DISPATCH, event.suspect_id),
                        ResponsibleParty.PROCURATORATE,
                        event.notified_at,
                        LETTER.period,
                        calendar,
                        "informed, in the mandatory scope, without a defender: the letter "
                        "within 3 days unless counsel is retained (procuratorate rules Art. 42)",
                    )
                )
            return changes

        case pr.EligibilityAssessed():
            key = ClockKey(ClockKind.NOTICE_DISPATCH, event.suspect_id)
            if not event.grounds:
                return _stop_open(
                    view, [key], duty_done=False, at=event.assessed_at, reason="out of scope"
                )
            assessed = view.suspect(event.suspect_id)
            # At receipt every ground is "discovered"; the suspect is then informed first and
            # the rights notification starts the letter's clock. A ground found later starts
            # it itself.
            if (
                event.trigger is AssessmentTrigger.NEW_INFORMATION
                and event.discovered_grounds
                and _letter_owed(view, event.suspect_id, assessed)
            ):
                # The 3 days run from the ground's discovery (procuratorate rules Art. 42).
                return [
                    _schedule(
                        key,
                        ResponsibleParty.PROCURATORATE,
                        event.assessed_at,
                        LETTER.period,
                        calendar,
                        "ground discovered for a suspect without counsel: send the letter "
                        "within 3 days",
                    )
                ]
            return []

        case pr.DefenseDecisionRecorded():
            key = ClockKey(ClockKind.NOTICE_DISPATCH, event.suspect_id)
            deciding = view.suspect(event.suspect_id)
            if event.choice is DefenseChoice.NO_COUNSEL:
                if deciding.in_scope and _letter_owed(view, event.suspect_id, deciding):
                    return [
                        _schedule(
                            key,
                            ResponsibleParty.PROCURATORATE,
                            event.decided_at,
                            LETTER.period,
                            calendar,
                            "no counsel retained: send the notice-of-defense letter within "
                            "3 days (Measures Art. 3)",
                        )
                    ]
            # Any other choice gives the suspect no defender yet: the clock runs until counsel
            # is retained, self-defense permitted, or the letter sent.
            return []

        case pr.DefenseNoticeSent():
            changes = _stop_open(
                view,
                [ClockKey(ClockKind.NOTICE_DISPATCH, event.suspect_id)],
                duty_done=True,
                at=event.sent_at,
                reason="notice-of-defense letter sent",
            )
            # Electronic document flow: the center receives the letter when it is sent. A
            # period the center's acceptance already started (it came first, on the other
            # topic) is the center's statement of the start and is left as it is.
            if ClockKey(ClockKind.ASSIGNMENT, event.suspect_id) not in view.open_clocks:
                changes += _assignment_period(
                    view,
                    event.suspect_id,
                    event.sent_at,
                    calendar,
                    "assign a lawyer within 3 days of receiving the letter (Measures Art. 4)",
                )
            return changes

        case aid.NoticeAccepted():
            # The start the shared definition gives: the receipt, or the completing supplement
            # (a supplement itself moves nothing here: only the center knows whether it
            # completed the letter).
            return _assignment_period(
                view,
                event.suspect_id,
                event.received_at,
                calendar,
                "letter received by the center (Measures Art. 4, LAL Art. 36)",
            )

        case pr.LawyerRefusalRuled():
            return _letter_reopened_by_refusal(view, event, calendar)

        case pr.ReappointmentRequested():
            # After an allowed refusal the written request is what the letter clock asked for.
            met = _stop_open(
                view,
                [ClockKey(ClockKind.NOTICE_DISPATCH, event.suspect_id)],
                duty_done=True,
                at=event.requested_at,
                reason="another lawyer requested in writing (Measures Art. 5)",
            )
            return met + _assignment_period(
                view,
                event.suspect_id,
                event.requested_at,
                calendar,
                "appoint another lawyer (Measures Art. 5, LAL Art. 36)",
            )

        case aid.LawyerAssigned() | aid.LawyerReplaced():
            at = event.assigned_at if isinstance(event, aid.LawyerAssigned) else event.replaced_at
            stopped = [ClockKey(ClockKind.ASSIGNMENT, event.suspect_id)]
            if isinstance(event, aid.LawyerAssigned) and event.application_id is not None:
                stopped += _of_subject(
                    view, ClockKind.APPLICATION_ASSIGNMENT, str(event.application_id)
                )
            changes = _stop_open(view, stopped, duty_done=True, at=at, reason="lawyer assigned")
            key = ClockKey(ClockKind.WRITTEN_OPINION, event.suspect_id)
            if view.review_deadline is not None and key not in view.open_clocks:
                changes.append(
                    Schedule(
                        key,
                        ResponsibleParty.LAWYER,
                        min(legal_date(at), view.review_deadline),
                        view.review_deadline,
                        False,
                        "written opinion before the review period ends (Measures Art. 9)",
                    )
                )
            return changes

        case aid.AssignmentEnded():
            # The lawyer no longer acts for the suspect: the opinion is no longer theirs to
            # deliver (the next lawyer's appointment opens it again).
            changes = _stop_open(
                view,
                [ClockKey(ClockKind.WRITTEN_OPINION, event.suspect_id)],
                duty_done=False,
                at=event.ended_at,
                reason=f"appointment ended ({event.reason.value})",
            )
            if event.reason is AssignmentEndReason.REPLACEMENT_NOT_FOUND:
                # Nobody took over: the center owes another lawyer, within the same period.
                changes += _assignment_period(
                    view,
                    event.suspect_id,
                    event.ended_at,
                    calendar,
                    "the lawyer had to be replaced and nobody qualified: appoint another "
                    "(Measures Art. 4, LAL Art. 36)",
                )
            # After an allowed refusal the procuratorate's written request starts the period.
            return changes

        case aid.AidTerminated():
            changes = _stop_open(
                view,
                [ClockKey(ClockKind.WRITTEN_OPINION, event.suspect_id)],
                duty_done=False,
                at=event.terminated_at,
                reason=f"aid terminated ({event.reason.value})",
            )
            return changes + _letter_reopened_by_termination(view, event, calendar)

        case pr.PrivateCounselDismissed():
            return _letter_reopened_by_dismissal(view, event, calendar)

        case pr.PrivateCounselRetained():
            return _defender_found(
                view, event.suspect_id, event.retained_at, "counsel retained (Measures Art. 6)"
            )

        case pr.SelfDefensePermitted():
            return _defender_found(
                view, event.suspect_id, event.permitted_at, "self-defense permitted (Art. 5)"
            )

        case pr.FileReviewRequested():
            return [
                _schedule(
                    ClockKey(ClockKind.FILE_REVIEW, event.suspect_id, str(event.request_id)),
                    ResponsibleParty.PROCURATORATE,
                    event.requested_at,
                    FILE_REVIEW.period,
                    calendar,
                    "arrange file review within 3 working days (Measures Art. 8)",
                )
            ]

        case pr.FileReviewScheduled():
            key = ClockKey(ClockKind.FILE_REVIEW, event.suspect_id, str(event.request_id))
            return _stop_open(
                view, [key], duty_done=True, at=event.scheduled_at, reason="file review arranged"
            )

        case pr.WrittenOpinionReceived():
            key = ClockKey(ClockKind.WRITTEN_OPINION, event.suspect_id)
            return _stop_open(
                view, [key], duty_done=True, at=event.received_at, reason="written opinion received"
            )

        case pr.ExpeditedProcedureApplied():
            return _review_deadline_moved(
                view,
                event.review_deadline,
                event.decided_at,
                "expedited procedure: review period shortened (CPL Art. 172)",
                event.review_deadline_missing_years,
            )

        case pr.ReviewDeadlineRecounted():
            if ClockKey(ClockKind.REVIEW_PERIOD) not in view.open_clocks:
                return []  # the period already ended here: nothing runs to move
            return _review_deadline_moved(
                view,
                event.review_deadline,
                datetime.combine(event.counted_from, datetime.min.time(), LEGAL_TIMEZONE),
                "review period counted again with the legal calendar loaded for its year",
                event.review_deadline_missing_years,
            )

        case pr.ProceduralDecisionMade():
            return _procedural_decision(view, event)

        case aid.SubsidyApproved():
            return [
                Schedule(
                    ClockKey(ClockKind.SUBSIDY_PAYMENT, event.suspect_id, str(event.claim_id)),
                    ResponsibleParty.AID_CENTER,
                    min(legal_date(event.approved_at), event.payment_due_on),
                    event.payment_due_on,
                    event.payment_due_provisional,
                    "pay the approved case subsidy promptly and in full (notice §四)",
                    tuple(event.payment_due_missing_years),
                )
            ]

        case aid.SubsidyPaymentDueRecounted():
            # The center counts the days (its setting) and says the day again when a year it
            # guessed is loaded; a clock already closed by the payment stays as it ended.
            key = ClockKey(ClockKind.SUBSIDY_PAYMENT, event.suspect_id, str(event.claim_id))
            if key not in view.open_clocks:
                return []
            return [
                Schedule(
                    key,
                    ResponsibleParty.AID_CENTER,
                    min(legal_date(event.approved_at), event.payment_due_on),
                    event.payment_due_on,
                    event.payment_due_provisional,
                    "last day to pay counted again with the legal calendar loaded for its year",
                    tuple(event.payment_due_missing_years),
                )
            ]

        case aid.SubsidyPaid():
            # Paid on a day: the payment made that day meets a period that closes after it.
            paid_at = datetime.combine(event.paid_on, time.min, LEGAL_TIMEZONE)
            return _stop_open(
                view,
                _of_subject(view, ClockKind.SUBSIDY_PAYMENT, str(event.claim_id)),
                duty_done=True,
                at=paid_at,
                reason=f"subsidy paid ({event.reference})",
            )

        case pr.LegalAidApplicationForwarded():
            # The decision is the aid center's fact, on the other topic: one made at or after
            # the forwarding already answered it, whichever event arrived first.
            if closed_by(event.forwarded_at, view.suspect(event.suspect_id).application_decided_at):
                return []
            return [
                _schedule(
                    ClockKey(
                        ClockKind.APPLICATION_REVIEW, event.suspect_id, str(event.application_id)
                    ),
                    ResponsibleParty.AID_CENTER,
                    event.forwarded_at,
                    APPLICATION_REVIEW.period,
                    calendar,
                    "decide on the application for legal aid within 7 days of receiving it "
                    "(LAL Art. 43)",
                )
            ]

        case aid.ApplicationMaterialsRequested():
            key = ClockKey(
                ClockKind.APPLICATION_REVIEW, event.suspect_id, str(event.application_id)
            )
            if key not in view.open_clocks:
                return []
            return [
                _schedule(
                    key,
                    ResponsibleParty.AID_CENTER,
                    datetime.combine(event.due_on, time.min, LEGAL_TIMEZONE),
                    APPLICATION_REVIEW.period,
                    calendar,
                    "material asked for: the 7 days run again from its arrival, at the latest "
                    "the day given to supply it (LAL Art. 43)",
                )
            ]

        case aid.ApplicationMaterialsSupplied():
            key = ClockKey(
                ClockKind.APPLICATION_REVIEW, event.suspect_id, str(event.application_id)
            )
            if key not in view.open_clocks:
                return []
            return [
                _schedule(
                    key,
                    ResponsibleParty.AID_CENTER,
                    event.supplied_at,
                    APPLICATION_REVIEW.period,
                    calendar,
                    "the material asked for came: the application is complete, decide within 7 "
                    "days (LAL Art. 43)",
                )
            ]

        case aid.ApplicationDecided():
            changes = _stop_open(
                view,
                _of_subject(view, ClockKind.APPLICATION_REVIEW, str(event.application_id)),
                duty_done=True,
                at=event.decided_at,
                reason=f"application decided ({event.decision.value})",
            )
            appointed_at = view.suspect(event.suspect_id).lawyer_assigned_at
            if event.decision is ApplicationDecision.GRANTED and not closed_by(
                event.decided_at, appointed_at
            ):
                changes.append(
                    _schedule(
                        ClockKey(
                            ClockKind.APPLICATION_ASSIGNMENT,
                            event.suspect_id,
                            str(event.application_id),
                        ),
                        ResponsibleParty.AID_CENTER,
                        event.decided_at,
                        APPLICATION_ASSIGNMENT.period,
                        calendar,
                        "legal aid granted: appoint a lawyer within 3 days of the decision "
                        "(LAL Art. 43)",
                    )
                )
            return changes

    return []


def _of_subject(view: CaseView, kind: ClockKind, subject: str) -> list[ClockKey]:
    """The open clocks of ``kind`` about ``subject`` (a claim, an application), whichever
    suspect they name: the event that closes one need not name it."""
    return [key for key in _open_of_kind(view, kind) if key.subject == subject]


def _procedural_decision(view: CaseView, event: pr.ProceduralDecisionMade) -> list[ClockChange]:
    at = event.decided_at
    if event.kind is ProceduralDecisionKind.EXTENSION:
        assert event.review_deadline is not None  # the contract requires it for an extension
        return _review_deadline_moved(
            view,
            event.review_deadline,
            at,
            "review period extended (CPL Art. 172)",
            event.review_deadline_missing_years,
        )
    # Every other decision ends the review period at this procuratorate: indictment and
    # non-prosecution decide the case; a return suspends it until re-transfer (CPL Art. 175),
    # a change of jurisdiction hands it to another procuratorate. All are the decision the
    # period is for, made in time or late.
    changes = _stop_open(
        view,
        [ClockKey(ClockKind.REVIEW_PERIOD)],
        duty_done=True,
        at=at,
        reason=f"procedural decision: {event.kind.value}",
    )
    # The opinion was due before the decision; once it is made the duty falls away (a new one
    # starts on re-transfer).
    changes += _stop_open(
        view,
        _open_of_kind(view, ClockKind.WRITTEN_OPINION),
        duty_done=False,
        at=at,
        reason=f"review ended by {event.kind.value}",
    )
    if event.kind.value in DECISIONS_ENDING_THE_STAGE_HERE:
        suspects = set(event.suspect_ids)
        ending = [
            key
            for period in PERIODS_ENDING_WITH_THE_STAGE
            for key in _open_of_kind(view, ClockKind(period.name))
            if key.suspect_id in suspects
        ]
        changes += _stop_open(
            view,
            ending,
            duty_done=False,
            at=at,
            reason=f"the case is no longer this procuratorate's: {event.kind.value}",
        )
    return changes


def stop_outcome(stop: Stop, due_on: date) -> ClockOutcome:
    """Met on time if done before the period closed (00:00 after the due day), else late."""
    in_time = stop.at < closes_at(due_on)
    if not stop.duty_done:
        return ClockOutcome.CANCELLED if in_time else ClockOutcome.LAPSED
    return ClockOutcome.MET if in_time else ClockOutcome.MET_LATE


class Alert(StrEnum):
    APPROACHING = "approaching"
    BREACHED = "breached"


def alert_due(
    due_on: date,
    now: datetime,
    lead_days: int,
    *,
    approaching_sent: bool,
    breached_sent: bool,
) -> Alert | None:
    """The alert an open clock needs at `now`, if any.

    A breach is when the period closed (00:00 Asia/Shanghai after the due day) with the clock
    still open. A reminder is for the last `lead_days` days before the due day. A breach found
    before its reminder was sent replaces the reminder (a late reminder is noise).
    """
    if breached_sent:
        return None
    if now >= closes_at(due_on):
        return Alert.BREACHED
    if not approaching_sent and legal_date(now) >= due_on - timedelta(days=lead_days):
        return Alert.APPROACHING
    return None


def days_left(due_on: date, now: datetime) -> int:
    """Whole days left after today (0 on the due day itself)."""
    return max((due_on - legal_date(now)).days, 0)
