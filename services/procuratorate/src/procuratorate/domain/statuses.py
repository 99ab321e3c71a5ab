"""The procuratorate's own statuses (its projection's vocabulary; the contracts' shared
vocabularies are in ``defense_schemas.vocabulary``)."""

from __future__ import annotations

from enum import StrEnum


class ReviewStatus(StrEnum):
    """Where the case's review for prosecution stands (CPL Art. 172, 175, 176-177)."""

    UNDER_REVIEW = "under_review"
    RETURNED = "returned"  # for supplementary investigation; the period restarts on re-transfer
    INDICTED = "indicted"
    NON_PROSECUTED = "non_prosecuted"
    TRANSFERRED_OUT = "transferred_out"  # change of jurisdiction


STAGE_ENDED = (ReviewStatus.INDICTED, ReviewStatus.NON_PROSECUTED, ReviewStatus.TRANSFERRED_OUT)


class NoticeStatus(StrEnum):
    """The notice-of-defense letter's state, as the center's events move it."""

    SENT = "sent"
    ACCEPTED = "accepted"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    SUPPLEMENTED = "supplemented"
    LAWYER_ASSIGNED = "lawyer_assigned"
    ASSIGNMENT_FAILED = "assignment_failed"


OPEN_NOTICE_STATUSES = (
    NoticeStatus.SENT,
    NoticeStatus.ACCEPTED,
    NoticeStatus.SUPPLEMENT_REQUESTED,
    NoticeStatus.SUPPLEMENTED,
)
"""A letter in these states is still with the center: no second letter goes for the suspect."""
