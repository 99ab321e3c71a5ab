"""Unified statistical definitions of the work ledger (工作台账, notice §三–四): computed the same
way for every district and period.

Definitions (one place, used by the ledger, the statistics and the export):
- covered: any defense status but `none` (duty-lawyer help counts for coverage, Art. 15);
- mandatory covered: a mandatory-scope suspect with a defense lawyer or a permitted
  self-defense; duty-lawyer help does not satisfy the mandatory scope (Measures Art. 2, 15);
- a clock is on time when met before its exclusive close instant; cancelled clocks (the duty
  fell away before it was due) count nowhere; a lapsed clock (the duty fell away after its
  period had closed unmet) counts as settled late — the breach stays on record; an open clock
  past its close instant is overdue;
- terminations: every termination of aid (AidTerminated), by its reason;
- lawyer workload: the appointments (通知辩护 or 申请指派) each lawyer received, and how many are
  still active.

`compute_statistics` states these over a list of suspects' records; `Tally` holds the same
measures as the database sums them per district and receipt month (`GET /statistics` reads no
suspect row), and a tally test on the real database keeps the two in agreement.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from defense_schemas.vocabulary import DefenseStatus


@dataclass(frozen=True)
class ClockRecord:
    kind: str
    closes_at: datetime
    met_at: datetime | None
    cancelled: bool = False
    clock_id: UUID | None = None
    """A case-level clock (the review period) is shown on each of its suspects' records and
    counted once: records sharing a clock id are one clock."""


@dataclass(frozen=True)
class Appointment:
    """An appointed lawyer's assignment to a suspect, for the workload."""

    lawyer: str  # the lawyer's name and firm, as the center reported them
    active: bool


@dataclass(frozen=True)
class SuspectRecord:
    district: str
    status: DefenseStatus
    in_mandatory_scope: bool
    clocks: tuple[ClockRecord, ...] = ()
    received_on: date | None = None
    terminations: tuple[str, ...] = ()
    appointments: tuple[Appointment, ...] = ()


@dataclass(frozen=True)
class ClockRate:
    kind: str
    settled: int
    on_time: int
    overdue_open: int

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.settled if self.settled else None


@dataclass(frozen=True)
class LawyerLoad:
    lawyer: str
    appointments: int
    active: int


@dataclass
class Statistics:
    suspects: int = 0
    covered: int = 0
    mandatory_scope: int = 0
    mandatory_covered: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    clocks: list[ClockRate] = field(default_factory=list)
    terminations: dict[str, int] = field(default_factory=dict)
    lawyer_workload: list[LawyerLoad] = field(default_factory=list)

    @property
    def coverage_rate(self) -> float | None:
        return self.covered / self.suspects if self.suspects else None

    @property
    def mandatory_coverage_rate(self) -> float | None:
        return self.mandatory_covered / self.mandatory_scope if self.mandatory_scope else None


COVERED = frozenset(DefenseStatus) - {DefenseStatus.NONE}
"""A suspect is covered with any defense status but `none` (duty-lawyer help counts: Art. 15)."""


APPOINTED = frozenset({DefenseStatus.APPOINTED_ON_NOTICE, DefenseStatus.APPOINTED_ON_APPLICATION})
"""The defenders the workload counts: appointed lawyers (通知辩护, 申请指派)."""


def is_overdue(clock: ClockRecord, now: datetime) -> bool:
    """Still open past its exclusive close instant."""
    return clock.met_at is None and not clock.cancelled and now >= clock.closes_at


def compute_statistics(records: Iterable[SuspectRecord], now: datetime) -> Statistics:
    stats = Statistics()
    statuses: Counter[str] = Counter()
    terminations: Counter[str] = Counter()
    per_clock: dict[str, list[int]] = {}
    per_lawyer: dict[str, list[int]] = {}
    seen_clocks: set[UUID] = set()
    for record in records:
        stats.suspects += 1
        statuses[record.status.value] += 1
        covered = record.status in COVERED
        stats.covered += covered
        if record.in_mandatory_scope:
            stats.mandatory_scope += 1
            # Duty-lawyer help does not satisfy the mandatory scope (Measures Art. 2, 15).
            stats.mandatory_covered += (
                covered and record.status is not DefenseStatus.DUTY_LAWYER_ONLY
            )
        terminations.update(record.terminations)
        for appointment in record.appointments:
            load = per_lawyer.setdefault(appointment.lawyer, [0, 0])
            load[0] += 1
            load[1] += appointment.active
        for clock in record.clocks:
            if clock.clock_id is not None:
                if clock.clock_id in seen_clocks:
                    continue
                seen_clocks.add(clock.clock_id)
            counts = per_clock.setdefault(clock.kind, [0, 0, 0])
            if clock.cancelled:
                continue
            if clock.met_at is not None:
                counts[0] += 1
                counts[1] += clock.met_at < clock.closes_at
            elif is_overdue(clock, now):
                counts[2] += 1
    stats.by_status = dict(sorted(statuses.items()))
    stats.clocks = [ClockRate(kind, *counts) for kind, counts in sorted(per_clock.items())]
    stats.terminations = dict(sorted(terminations.items()))
    stats.lawyer_workload = [
        LawyerLoad(lawyer, total, active)
        for lawyer, (total, active) in sorted(per_lawyer.items(), key=lambda kv: (-kv[1][0], kv[0]))
    ]
    return stats


def lawyer_label(name: str, firm: str | None) -> str:
    """How a lawyer is counted in the workload: the name and firm, as the center reported them."""
    return f"{name}（{firm}）" if firm else name


@dataclass
class Tally:
    """The measures of a slice of the ledger as counts that add up across slices (a case's
    clocks stay in its district and receipt month, so no clock is in two slices)."""

    suspects: Counter[tuple[str, bool]] = field(default_factory=Counter)
    """Suspects by (defense status, in the mandatory scope)."""
    clocks: dict[str, list[int]] = field(default_factory=dict)
    """Per kind: [settled, on time, overdue open] (a kind with only cancelled clocks: zeros)."""
    terminations: Counter[str] = field(default_factory=Counter)
    lawyers: dict[str, list[int]] = field(default_factory=dict)
    """Per lawyer label: [appointments, active]."""

    def add(self, other: Tally) -> None:
        self.suspects.update(other.suspects)
        self.terminations.update(other.terminations)
        for mine, theirs in ((self.clocks, other.clocks), (self.lawyers, other.lawyers)):
            for key, counts in theirs.items():
                into = mine.setdefault(key, [0] * len(counts))
                for i, count in enumerate(counts):
                    into[i] += count

    def statistics(self) -> Statistics:
        stats = Statistics()
        statuses: Counter[str] = Counter()
        for (status, mandatory), count in self.suspects.items():
            stats.suspects += count
            statuses[status] += count
            covered = DefenseStatus(status) in COVERED
            stats.covered += count * covered
            if mandatory:
                stats.mandatory_scope += count
                stats.mandatory_covered += count * (
                    covered and status != DefenseStatus.DUTY_LAWYER_ONLY.value
                )
        stats.by_status = dict(sorted(statuses.items()))
        stats.clocks = [ClockRate(kind, *counts) for kind, counts in sorted(self.clocks.items())]
        stats.terminations = dict(sorted(self.terminations.items()))
        stats.lawyer_workload = [
            LawyerLoad(lawyer, total, active)
            for lawyer, (total, active) in sorted(
                self.lawyers.items(), key=lambda kv: (-kv[1][0], kv[0])
            )
        ]
        return stats


class Granularity(StrEnum):
    """The statistical period a suspect is counted in, by the case's receipt (受理) date."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    ALL = "all"


def period_label(day: date | None, granularity: Granularity) -> str:
    """`2026-03`, `2026-Q1`, `2026`, or `all`."""
    if granularity is Granularity.ALL or day is None:
        return "all"
    if granularity is Granularity.YEAR:
        return f"{day.year}"
    if granularity is Granularity.QUARTER:
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


@dataclass(frozen=True)
class Group:
    district: str
    period: str
    statistics: Statistics


def group_statistics(
    records: Iterable[SuspectRecord], now: datetime, granularity: Granularity
) -> list[Group]:
    """The statistics of each district in each period, ordered by district then period."""
    buckets: dict[tuple[str, str], list[SuspectRecord]] = {}
    for record in records:
        key = (record.district, period_label(record.received_on, granularity))
        buckets.setdefault(key, []).append(record)
    return [
        Group(district, period, compute_statistics(members, now))
        for (district, period), members in sorted(buckets.items())
    ]


def group_tallies(
    tallies: Iterable[tuple[str, date, Tally]], granularity: Granularity
) -> tuple[Statistics, list[Group]]:
    """The total and the groups of `group_statistics`, from tallies per (district, first day
    of the receipt month)."""
    total = Tally()
    buckets: dict[tuple[str, str], Tally] = {}
    for district, month, tally in tallies:
        total.add(tally)
        buckets.setdefault((district, period_label(month, granularity)), Tally()).add(tally)
    return total.statistics(), [
        Group(district, period, tally.statistics())
        for (district, period), tally in sorted(buckets.items())
    ]


def tally_to_json(tally: Tally) -> dict[str, Any]:
    """A tally as stored per month (``statistics_months.tallies``)."""
    return {
        "suspects": [[status, mandatory, n] for (status, mandatory), n in tally.suspects.items()],
        "clocks": tally.clocks,
        "terminations": dict(tally.terminations),
        "lawyers": tally.lawyers,
    }


def tally_from_json(stored: dict[str, Any]) -> Tally:
    return Tally(
        suspects=Counter({(status, mandatory): n for status, mandatory, n in stored["suspects"]}),
        clocks={kind: list(counts) for kind, counts in stored["clocks"].items()},
        terminations=Counter(stored["terminations"]),
        lawyers={label: list(counts) for label, counts in stored["lawyers"].items()},
    )
