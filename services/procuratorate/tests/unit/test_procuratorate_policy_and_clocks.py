"""The named policies, the clocks' periods and the letter's text."""

from __future__ import annotations

from datetime import date

import pytest

from defense_schemas.events.procuratorate import NoticeOfDefenseLetter
from defense_schemas.vocabulary import DefenseStatus, Ground, SentenceBand
from legal_calendar import load_bundled_calendar
from legal_calendar.deadlines import FILE_REVIEW, LETTER
from official_documents import docx_text
from procuratorate.documents.letter import letter_docx, letter_filename
from procuratorate.domain.clocks import (
    deadline,
    expedited_review_period,
    review_period,
)
from procuratorate.domain.letter import render_text
from procuratorate.domain.policy import (
    SelfDefensePolicy,
    derive_status,
    renotify_after_dismissal,
    self_defense_refusal,
)

CALENDAR = load_bundled_calendar()


def test_self_defense_refused_on_a_legal_aid_law_ground() -> None:
    policy = SelfDefensePolicy.MEASURES_ART_2_ONLY
    assert self_defense_refusal(policy, [Ground.GUILT_NOT_ADMITTED]) is None
    reason = self_defense_refusal(policy, [Ground.MINOR, Ground.GUILT_NOT_ADMITTED])
    assert reason is not None and "LAL Art. 25(1)(1)" in reason
    assert self_defense_refusal(SelfDefensePolicy.ALWAYS_WITH_PERMISSION, [Ground.MINOR]) is None


def test_dismissal_after_termination_renotifies_on_lal_grounds_only() -> None:
    assert renotify_after_dismissal([Ground.MINOR], aid_was_terminated=True)
    assert not renotify_after_dismissal([Ground.GUILT_NOT_ADMITTED], aid_was_terminated=True)
    assert renotify_after_dismissal([Ground.GUILT_NOT_ADMITTED], aid_was_terminated=False)
    assert not renotify_after_dismissal([], aid_was_terminated=False)


def test_status_derivation() -> None:
    assert derive_status([], self_defense_permitted=False) is DefenseStatus.NONE
    assert derive_status(["duty_lawyer_only"], self_defense_permitted=False) is (
        DefenseStatus.DUTY_LAWYER_ONLY
    )
    assert derive_status(["appointed_on_notice", "retained"], self_defense_permitted=True) is (
        DefenseStatus.RETAINED
    )
    assert derive_status([], self_defense_permitted=True) is DefenseStatus.SELF_DEFENSE


@pytest.mark.parametrize(
    ("trigger", "period", "due"),
    [
        # Spring Festival 2026 (02-15..02-23 rest, 02-14 and 02-28 make-up working days).
        (date(2026, 2, 12), LETTER.period, date(2026, 2, 24)),
        # National Day 2025: 10-01..10-08 rest; 09-28 and 10-11 are make-up working days.
        (date(2025, 9, 29), LETTER.period, date(2025, 10, 9)),
        (date(2025, 9, 26), FILE_REVIEW.period, date(2025, 9, 30)),  # Sunday 09-28 is a make-up day
        (date(2026, 3, 2), review_period(), date(2026, 4, 2)),
        (date(2026, 3, 2), review_period(extended=True), date(2026, 4, 17)),
    ],
)
def test_periods_follow_the_legal_calendar(trigger: date, period: object, due: date) -> None:
    result = deadline(trigger, period, CALENDAR)  # type: ignore[arg-type]
    assert result.due_on == due
    assert not result.provisional


def test_a_date_in_2027_is_provisional_and_says_so() -> None:
    result = deadline(date(2027, 3, 1), LETTER.period, CALENDAR)
    assert result.provisional and result.missing_years == (2027,)
    assert result.due_on == date(2027, 3, 4)


def test_expedited_period_depends_on_the_likely_sentence() -> None:
    assert expedited_review_period([SentenceBand.ONE_YEAR_OR_LESS]).days == 10
    assert (
        expedited_review_period(
            [SentenceBand.ONE_YEAR_OR_LESS, SentenceBand.OVER_1_UNDER_3_YEARS]
        ).days
        == 15
    )


def _letter_fields() -> dict[str, object]:
    return {
        "document_number": {
            "issuing_unit": "津河东检",
            "year": 2026,
            "sequence": 7,
            "text": "津河东检〔2026〕7号",
        },
        "procuratorate_unit": "天津市河东区人民检察院",
        "addressee_center": "河东区法律援助中心",
        "suspect_name": "王小明",
        "charges": ["抢劫罪"],
        "transferring_agency": "天津市公安局河东分局",
        "grounds": ["minor", "guilt_not_admitted"],
        "place_of_detention_or_residence": "天津市河东区看守所",
        "suspect_contact": None,
        "guardian": {"name": "王大明", "relationship": "父亲", "contact": "13800000000"},
        "case_handler": {"name": "李检察官", "contact": "022-87654321"},
        "copy_number": 2,
        "copy_label": "送法律援助中心",
    }


def test_letter_text_carries_every_annex_field() -> None:
    text = render_text(_letter_fields())
    for expected in (
        "人民检察院通知辩护公函",
        "津河东检〔2026〕7号",
        "河东区法律援助中心：",
        "犯罪嫌疑人王小明涉嫌抢劫罪一案，已由天津市公安局河东分局移送本院审查起诉",
        "未成年人、本人或其共同犯罪嫌疑人拒不认罪的",
        "《中华人民共和国法律援助法》第二十五条第一款",
        "第二条规定的情形",
        "未成年犯罪嫌疑人法定代理人：王大明",
        "案件承办人：李检察官",
        "第二联 送法律援助中心",
    ):
        assert expected in text


def test_letter_docx_carries_every_annex_field_the_date_and_the_copy_mark() -> None:
    fields = _letter_fields()
    letter = NoticeOfDefenseLetter.model_validate({**fields, "rendered_text": render_text(fields)})
    text = docx_text(letter_docx(letter, date(2026, 11, 30)))
    for expected in (
        "天津市河东区人民检察院通知辩护公函",
        "津河东检〔2026〕7号",
        "河东区法律援助中心：",
        "犯罪嫌疑人王小明涉嫌抢劫罪一案，已由天津市公安局河东分局移送本院审查起诉",
        "因其属于未成年人、本人或其共同犯罪嫌疑人拒不认罪的",
        "《中华人民共和国法律援助法》第二十五条第一款规定的情形",
        "《关于进一步深化刑事案件律师辩护全覆盖试点工作的实施办法》第二条规定的情形",
        "犯罪嫌疑人羁押场所或者住所：天津市河东区看守所",
        "犯罪嫌疑人联系方式：无",
        "未成年犯罪嫌疑人法定代理人：王大明",
        "法定代理人联系方式：13800000000",
        "案件承办人：李检察官",
        "案件承办人联系方式：022-87654321",
        "二〇二六年十一月三十日",
        "第二联 送法律援助中心",
    ):
        assert expected in text
    assert "{{" not in text


def test_letter_download_name_is_chinese_with_an_ascii_fallback() -> None:
    fields = _letter_fields()
    letter = NoticeOfDefenseLetter.model_validate({**fields, "rendered_text": render_text(fields)})
    assert letter_filename(letter, "pdf") == (
        "通知辩护公函-津河东检〔2026〕7号-王小明.pdf",
        "notice-of-defense-2026-7.pdf",
    )
