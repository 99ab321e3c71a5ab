"""Quality supervision (质量监管, Measures Art. 14) as pure rules.

The national criminal legal aid service standard (《全国刑事法律援助服务规范》), as the notice's
section 五 puts it: 每个诉讼阶段至少会见一次并开展阅卷、调查取证、…提交书面辩护意见 — in each stage
at least one meeting, a file review, an investigation, and a written defense opinion. The Chinese
original lists the investigation among the required acts, so it is part of the checklist here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from defense_schemas.vocabulary import ActivityKind

SERVICE_STANDARD: tuple[ActivityKind, ...] = (
    ActivityKind.MEETING,
    ActivityKind.FILE_REVIEW,
    ActivityKind.INVESTIGATION,
    ActivityKind.WRITTEN_OPINION,
)


@dataclass(frozen=True)
class Checklist:
    """Which of the service standard's acts the stage has, and whether all are there."""

    done: dict[ActivityKind, bool]

    @property
    def met(self) -> bool:
        return all(self.done.values())

    @property
    def missing(self) -> tuple[ActivityKind, ...]:
        return tuple(kind for kind, done in self.done.items() if not done)

    def as_json(self) -> dict[str, bool]:
        return {kind.value: done for kind, done in self.done.items()}


def service_standard_checklist(activity_kinds: Iterable[ActivityKind]) -> Checklist:
    """The checklist for one assignment's stage, from the kinds of activity logged in it."""
    seen = set(activity_kinds)
    return Checklist({kind: kind in seen for kind in SERVICE_STANDARD})


def meeting_overdue(
    assigned_on: date, today: date, *, met_suspect: bool, flag_after_days: int
) -> bool:
    """The lawyer has not met the suspect ``flag_after_days`` days after the assignment
    (Measures Art. 7: 及时会见). Days are counted after the assignment day, as periods are."""
    return not met_suspect and today > assigned_on + timedelta(days=flag_after_days)
