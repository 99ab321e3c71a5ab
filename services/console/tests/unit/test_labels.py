"""Every code the APIs can return has its Chinese word: a page that fell back to the code would
show staff `economic_situation_changed` instead of the ground. The codes are taken from the
services' own vocabularies (enums, event registry, response models), never from a hand list, so
a code added to an API without its word fails here."""

from __future__ import annotations

import inspect
import re
import typing
from enum import StrEnum
from types import ModuleType

import pytest
from pydantic import BaseModel

import defense_schemas.events  # noqa: F401  (registers every event)
from aid_center.api import work_stations
from aid_center.domain import assignment, duty, status
from aid_center.domain import subsidies as subsidy_rules
from aid_center.use_cases import subsidies
from console.labels import LABELS, zh
from defense_schemas import topics, vocabulary
from defense_schemas.base import registered_events
from notifier.api.deliveries import DeliveryView
from procuratorate.api.ledger import ClockRateView, LawyerLoadView, StatisticsView
from procuratorate.domain import ledger, statuses

CHINESE = re.compile(r"[\u4e00-\u9fff]")
EXCLUDED: set[type[StrEnum]] = {
    vocabulary.GroundBasis,  # the legal basis: shown as the article, never as its code
}


def _enums(*modules: ModuleType) -> list[type[StrEnum]]:
    return [
        value
        for module in modules
        for _, value in inspect.getmembers(module, inspect.isclass)
        if issubclass(value, StrEnum)
        and value is not StrEnum
        and value.__module__ == module.__name__
        and value not in EXCLUDED
    ]


VOCABULARIES = [
    *_enums(vocabulary, status, assignment, duty, statuses, ledger),
    work_stations.HostKind,
    topics.Producer,
]


def _field_names(*models: type[BaseModel]) -> list[str]:
    return [name for model in models for name in model.model_fields]


CODES: dict[str, list[str]] = {
    **{enum.__name__: [code.value for code in enum] for enum in VOCABULARIES},
    "event types": sorted({event.event_type for event in registered_events()}),
    "statistics": _field_names(StatisticsView, ClockRateView, LawyerLoadView),
    "delivery statuses": list(typing.get_args(DeliveryView.model_fields["status"].annotation)),
    "subsidy stages": [subsidy_rules.REVIEW_STAGE],
    "subsidy claim statuses": [
        subsidies.OPEN,
        subsidies.SUBMITTED,
        subsidies.APPROVED,
        subsidies.PAID,
    ],
}


@pytest.mark.parametrize("vocabulary_name", sorted(CODES))
def test_every_code_the_apis_return_has_a_chinese_label(vocabulary_name: str) -> None:
    codes = CODES[vocabulary_name]
    assert codes, "the vocabulary was found empty"
    assert [code for code in codes if not CHINESE.search(LABELS.get(code, ""))] == []


def test_the_vocabularies_are_found_in_the_services() -> None:
    """The search above must see the enums it is meant to cover."""
    names = {enum.__name__ for enum in VOCABULARIES}
    assert {
        "Ground",
        "ClockKind",
        "TerminationReason",
        "PassOverReason",
        "NoticeStatus",
        "Urgency",
    } <= names
    assert "LawyerAssigned" in CODES["event types"]


def test_a_lawyers_work_and_a_clock_sharing_a_code_each_get_their_own_word() -> None:
    assert zh("file_review") == "安排阅卷（3个工作日）"
    assert zh("file_review", "activity") == "阅卷"
    assert zh("meeting", "activity") == "会见"
    assert zh("pending") == "待发送" and zh("pending", "report") == "待处理"
    assert zh("an_unknown_code") == "an_unknown_code"
    assert zh(None) == "—"
