"""Checking the notice-of-defense letter and its materials (Measures Art. 3)."""

from __future__ import annotations

from datetime import date

from aid_center.domain.minors import is_minor_on
from aid_center.domain.notice_intake import LetterFacts, check_notice
from aid_center.domain.quality import meeting_overdue, service_standard_checklist
from defense_schemas.vocabulary import ActivityKind, Ground, NoticeItem


def facts(**overrides: object) -> LetterFacts:
    values: dict[str, object] = {
        "suspect_name": "李某某",
        "charges": ["盗窃罪"],
        "place_of_detention_or_residence": "天津市河东区看守所",
        "grounds": [Ground.POSSIBLE_SENTENCE_3_YEARS_OR_MORE],
        "case_handler_name": "王检察官",
        "case_handler_contact": "022-24000000",
        "transferring_agency": "天津市公安局河东分局",
        "has_guardian": False,
    }
    values.update(overrides)
    return LetterFacts(**values)  # type: ignore[arg-type]


def test_complete_letter_with_required_materials_is_accepted() -> None:
    check = check_notice(facts(), ["起诉意见书", "户籍证明"], ["起诉意见书"])
    assert check.complete and check.detail() is None


def test_missing_material_is_named_exactly() -> None:
    check = check_notice(facts(), ["户籍证明"], ["起诉意见书", "户籍证明"])
    assert check.missing_items == (NoticeItem.CASE_MATERIALS,)
    assert check.missing_materials == ("起诉意见书",)
    assert "起诉意见书" in (check.detail() or "")


def test_minor_without_guardian_needs_a_supplement() -> None:
    check = check_notice(facts(grounds=[Ground.MINOR]), [], [])
    assert check.missing_items == (NoticeItem.GUARDIAN,)


def test_blank_fields_are_missing() -> None:
    check = check_notice(facts(case_handler_contact=" ", charges=[], grounds=[]), [], [])
    assert check.missing_items == (
        NoticeItem.CHARGES,
        NoticeItem.GROUNDS,
        NoticeItem.CASE_HANDLER_CONTACT,
    )


def test_minority_is_decided_by_the_eighteenth_birthday() -> None:
    assert is_minor_on(date(2008, 2, 29), date(2026, 2, 28))
    assert not is_minor_on(date(2008, 2, 29), date(2026, 3, 1))
    assert not is_minor_on(date(2008, 5, 20), date(2026, 5, 20))


def test_service_standard_needs_meeting_file_review_investigation_and_opinion() -> None:
    partial = service_standard_checklist([ActivityKind.MEETING, ActivityKind.FILE_REVIEW])
    assert not partial.met
    assert partial.missing == (ActivityKind.INVESTIGATION, ActivityKind.WRITTEN_OPINION)
    assert service_standard_checklist(list(ActivityKind)).met


def test_meeting_flag_after_n_days() -> None:
    assigned = date(2026, 3, 2)
    assert not meeting_overdue(assigned, date(2026, 3, 7), met_suspect=False, flag_after_days=5)
    assert meeting_overdue(assigned, date(2026, 3, 8), met_suspect=False, flag_after_days=5)
    assert not meeting_overdue(assigned, date(2026, 3, 30), met_suspect=True, flag_after_days=5)
