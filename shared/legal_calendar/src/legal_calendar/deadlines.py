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
- A written request to appoint another lawyer (Art. 5, ``ReappointmentRequested``) starts a
  new 3-day period from the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from legal_calendar.calendar import LegalCalendar
from legal_calendar.periods import CalendarDays, Deadline, Period, compute_deadline, legal_date


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
