"""The states of the aid a request asks for and of an assignment, named once."""

from __future__ import annotations

ACTIVE = "active"
ENDED = "ended"
REFUSAL_ALLOWED = "refusal_allowed"
"""``end_reason`` of an appointment whose refusal the procuratorate allowed (Measures Art. 5 ¶1):
the lawyer's place is free at once; another lawyer follows only on the written request."""


class NoticeStatus:
    """The state of the aid a notice (or an application) asks for."""

    SUPPLEMENT_REQUESTED = "supplement_requested"
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    UNASSIGNABLE = "unassignable"
    CLOSED = "closed"


FIRST_ASSIGNABLE = (NoticeStatus.ACCEPTED, NoticeStatus.UNASSIGNABLE)
"""The states in which a request gets a first assignment."""


class StageOutcome:
    """What became of an assignment when the case left the review stage (Measures Art. 13 ¶1:
    the same lawyer may go on defending in the trial stage)."""

    CONTINUES_TO_TRIAL = "continues_to_trial"
    ENDED_AT_INDICTMENT = "ended_at_indictment"


class DutyRequestStatus:
    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"
