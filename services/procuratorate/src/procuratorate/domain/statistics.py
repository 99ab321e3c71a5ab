"""Unified statistical definitions of the work ledger (工作台账, notice §三–四): computed the same
way for every district and period."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from defense_schemas.vocabulary import DefenseStatus


@dataclass(frozen=True)
class ClockRecord:
    kind: str
    closes_at: datetime
    met_at: datetime | None
    cancelled: bool = False


@dataclass(frozen=True)
class SuspectRecord:
    district: str
    status: DefenseStatus
    in_mandatory_scope: bool
    clocks: tuple[ClockRecord, ...] = ()


@dataclass(frozen=True)
class ClockRate:
    kind: str
    settled: int
    on_time: int
    overdue_open: int

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.settled if self.settled else None


@dataclass
class Statistics:
    suspects: int = 0
    covered: int = 0
    mandatory_scope: int = 0
    mandatory_covered: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    clocks: list[ClockRate] = field(default_factory=list)

    @property
    def coverage_rate(self) -> float | None:
        return self.covered / self.suspects if self.suspects else None

    @property
    def mandatory_coverage_rate(self) -> float | None:
        return self.mandatory_covered / self.mandatory_scope if self.mandatory_scope else None


COVERED = frozenset(DefenseStatus) - {DefenseStatus.NONE}
"""A suspect is covered with any defense status but `none` (duty-lawyer help counts: Art. 15)."""


def is_overdue(clock: ClockRecord, now: datetime) -> bool:
    """Still open past its exclusive close instant."""
    return clock.met_at is None and not clock.cancelled and now >= clock.closes_at


def compute_statistics(records: Iterable[SuspectRecord], now: datetime) -> Statistics:
    stats = Statistics()
    statuses: Counter[str] = Counter()
    per_clock: dict[str, list[int]] = {}
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
        for clock in record.clocks:
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
    return stats
