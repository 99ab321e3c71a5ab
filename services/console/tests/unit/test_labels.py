"""Every code a console page shows from the APIs' vocabularies has its Chinese word: a page
that fell back to the code would show staff `economic_situation_changed` instead of the ground."""

from __future__ import annotations

from enum import StrEnum

import pytest

from aid_center.domain.status import AssignmentStatus, NoticeStatus
from console.labels import LABELS
from defense_schemas.vocabulary import (
    ApplicationDecision,
    ClockKind,
    DefenseChoice,
    DefenseStatus,
    Ground,
    TerminationReason,
)


@pytest.mark.parametrize(
    "vocabulary",
    [
        ApplicationDecision,
        AssignmentStatus,
        ClockKind,
        DefenseChoice,
        DefenseStatus,
        Ground,
        NoticeStatus,
        TerminationReason,
    ],
)
def test_every_code_the_pages_show_has_its_chinese_label(vocabulary: type[StrEnum]) -> None:
    assert [code.value for code in vocabulary if code.value not in LABELS] == []
