"""Ids of what the notifier creates, derived from what caused it (no I/O, no randomness).

Applying the same events gives the same ids, so a projection rebuilt from the topics names its
clocks and delivery jobs as the original run did, and a clock event or alert published twice
(a replay, a second scanner) carries the id its consumers' inboxes already hold.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid5

NAMESPACE = UUID("5b0f4a86-6a55-4b8e-9d0e-8e2f61f3c0a1")
"""The notifier's own: a derived id never collides with another service's uuid5."""


def clock_id(case_id: UUID, kind: str, suspect_id: UUID | None, subject: str, opened: int) -> UUID:
    """The ``opened``-th clock (from 0) of one key (kind, suspect, subject) in a case. Not
    derived from the event that opens it: which event that is depends on the order the two
    topics are read in (the center's acceptance can open the assignment period its letter
    would have opened), and a rebuild reads them in another order than the original run."""
    return uuid5(NAMESPACE, f"clock/{case_id}/{kind}/{suspect_id}/{subject}/{opened}")


def caused_event_id(cause: UUID, index: int) -> UUID:
    """The ``index``-th event the notifier publishes because of event ``cause``."""
    return uuid5(NAMESPACE, f"event/{cause}/{index}")


def notification_id(event_id: UUID, role: str, address_hash: str, channel: str) -> UUID:
    """A delivery job: one per (event, recipient role, address, channel), the jobs' unique key.
    The address enters by its keyed hash only: an id must not let anyone guess a phone number."""
    return uuid5(NAMESPACE, f"delivery/{event_id}/{role}/{address_hash}/{channel}")


def alert_event_id(clock: UUID, alert: str, due_on: date) -> UUID:
    """The scanner's DeadlineApproaching / DeadlineBreached for one due day of one clock."""
    return uuid5(NAMESPACE, f"alert/{clock}/{alert}/{due_on.isoformat()}")


def recount_event_id(clock: UUID, due_on: date, missing_years: list[int]) -> UUID:
    """The ClockScheduled a calendar recount publishes for one clock's new due day."""
    years = ",".join(str(year) for year in missing_years)
    return uuid5(NAMESPACE, f"recount/{clock}/{due_on.isoformat()}/{years}")
