"""The states of the aid a request asks for, of an assignment and of a duty request, named once
(one ``StrEnum`` per concept; the columns store their values)."""

from __future__ import annotations

from enum import StrEnum

from defense_schemas.vocabulary import AssignmentEndReason


class NoticeStatus(StrEnum):
    """The state of the aid a notice (or an application) asks for.

    - ``supplement_requested`` — the letter is incomplete (Measures Art. 3); nothing runs until
      the supplement that completes it;
    - ``accepted`` — complete; the assignment period (Art. 4) runs and the engine chooses at
      once, so a request rests here only between its acceptance and its first appointment;
    - ``assigned`` — a lawyer is appointed and the assignment is active;
    - ``unassignable`` — the engine found nobody (``unassignable_reason``); the assignment
      period runs on and staff retry or choose by hand;
    - ``awaiting_reappointment`` — the suspect's refusal of the appointed lawyer was allowed
      (Art. 5 ¶1): that appointment ended and no lawyer is active; the suspect retains counsel
      (the request closes) or the procuratorate's written request for another lawyer starts a
      new assignment period;
    - ``closed`` — aid ended (``closed_reason``).

    An application is first reviewed (LAL Art. 43): ``under_review`` (the 7-day period runs),
    ``materials_requested`` (missing material asked for once; the period restarts when it
    comes), then ``accepted`` on a grant (and appointed at once, as above), ``refused`` (the
    written decision sent to the applicant), or ``withdrawn`` (not completed as asked).
    """

    UNDER_REVIEW = "under_review"
    MATERIALS_REQUESTED = "materials_requested"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    UNASSIGNABLE = "unassignable"
    AWAITING_REAPPOINTMENT = "awaiting_reappointment"
    CLOSED = "closed"


FIRST_ASSIGNABLE = (NoticeStatus.ACCEPTED, NoticeStatus.UNASSIGNABLE)
"""The states in which a request gets a first assignment."""

IN_REVIEW = (NoticeStatus.UNDER_REVIEW, NoticeStatus.MATERIALS_REQUESTED)
"""An application the center has not decided on yet (LAL Art. 43)."""

FINISHED = (NoticeStatus.CLOSED, NoticeStatus.REFUSED, NoticeStatus.WITHDRAWN)
"""A request no event or command opens again: aid ended, or an application turned down."""


class AssignmentStatus(StrEnum):
    """An assignment (指派) is active until it is replaced, terminated or its refusal allowed."""

    ACTIVE = "active"
    ENDED = "ended"


REFUSAL_ALLOWED = AssignmentEndReason.REFUSAL_ALLOWED
"""``end_reason`` of an appointment whose refusal the procuratorate allowed (Measures Art. 5 ¶1):
the lawyer's place is free at once; another lawyer follows only on the written request. The
other end reasons are the contracts' ``ReplacementReason`` and ``TerminationReason`` values."""


class StageOutcome(StrEnum):
    """What became of an assignment when the case left the review stage (Measures Art. 13 ¶1:
    the same lawyer may go on defending in the trial stage)."""

    CONTINUES_TO_TRIAL = "continues_to_trial"
    ENDED_AT_INDICTMENT = "ended_at_indictment"


class DutyRequestStatus(StrEnum):
    """A duty-lawyer request (Measures Art. 15): served by a lawyer on the rota, or waiting."""

    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"


class ReportStatus(StrEnum):
    """A lawyer's report of a ground for ending aid (LAL Art. 48 ¶2)."""

    PENDING = "pending"
    """Staff have not decided yet."""
    TERMINATED = "terminated"
    """Staff ended the aid on the ground reported."""
    DISMISSED = "dismissed"
    """Staff found no ground: the aid goes on."""
