"""The notice-of-defense letter (人民检察院通知辩护公函), laid out like the form annexed to the
Measures. Pure: the letter's fields in, its text (and its lines for the DOCX) out."""

from __future__ import annotations

from collections.abc import Iterable

from defense_schemas.events.procuratorate import NoticeOfDefenseLetter
from defense_schemas.vocabulary import Ground, GroundBasis

TITLE = "人民检察院通知辩护公函"

GROUND_LABELS: dict[Ground, str] = {
    Ground.MINOR: "未成年人",
    Ground.VISUAL_HEARING_OR_SPEECH_DISABILITY: "视力、听力、言语残疾人",
    Ground.LIMITED_CAPACITY_ADULT: "不能完全辨认自己行为的成年人",
    Ground.POSSIBLE_LIFE_OR_DEATH_SENTENCE: "可能被判处无期徒刑、死刑的人",
    Ground.DEATH_PENALTY_REVIEW_APPLICANT: "申请法律援助的死刑复核案件被告人",
    Ground.TRIAL_IN_ABSENTIA: "缺席审判案件的被告人",
    Ground.OTHER_STATUTORY_GROUND: "法律法规规定的其他人员",
    Ground.POSSIBLE_SENTENCE_3_YEARS_OR_MORE: "可能判处三年以上有期徒刑的",
    Ground.GUILT_NOT_ADMITTED: "本人或其共同犯罪嫌疑人拒不认罪的",
    Ground.MAJOR_AND_COMPLEX_CASE: "案情重大复杂的",
    Ground.MAJOR_SOCIAL_IMPACT: "可能造成重大社会影响的",
}

BASIS_CITATIONS: dict[GroundBasis, str] = {
    GroundBasis.LEGAL_AID_LAW_ART_25_1: "《中华人民共和国法律援助法》第二十五条第一款规定的情形",
    GroundBasis.PILOT_MEASURES_ART_2: (
        "《关于进一步深化刑事案件律师辩护全覆盖试点工作的实施办法》第二条规定的情形"
    ),
}

COPY_NUMERALS = "一二三四五六七八九"


def grounds_phrase(grounds: Iterable[Ground]) -> str:
    """因其属于……: the grounds in the form's words, joined by 、."""
    return "、".join(GROUND_LABELS[g] for g in grounds)


def citation_phrase(grounds: Iterable[Ground]) -> str:
    """符合……: the instruments the grounds come from (LAL first, then the Measures)."""
    bases = sorted({g.basis for g in grounds})
    return "、".join(BASIS_CITATIONS[b] for b in bases)


def copy_caption(copy_number: int, copy_label: str | None) -> str:
    """第x联 xxxxx."""
    caption = f"第{COPY_NUMERALS[copy_number - 1]}联"
    return f"{caption} {copy_label}" if copy_label else caption


def letter_lines(letter: NoticeOfDefenseLetter) -> list[str]:
    """The letter's body, line by line, in the annex form's order (title and number excluded)."""
    charges = "、".join(letter.charges)
    guardian = letter.guardian
    return [
        f"{letter.addressee_center}：",
        f"犯罪嫌疑人{letter.suspect_name}涉嫌{charges}一案，已由{letter.transferring_agency}"
        f"移送本院审查起诉，因其属于{grounds_phrase(letter.grounds)}，符合"
        f"{citation_phrase(letter.grounds)}，请指派律师为其提供辩护。",
        f"犯罪嫌疑人羁押场所或者住所：{letter.place_of_detention_or_residence}",
        f"犯罪嫌疑人联系方式：{letter.suspect_contact or ''}",
        f"未成年犯罪嫌疑人法定代理人：{guardian.name if guardian else ''}"
        f"        联系方式：{guardian.contact if guardian else ''}",
        f"案件承办人：{letter.case_handler.name}        联系方式：{letter.case_handler.contact}",
        letter.procuratorate_unit,
        copy_caption(letter.copy_number, letter.copy_label),
    ]


def render_text(letter_without_text: dict[str, object]) -> str:
    """The full text of a letter from its fields (everything but `rendered_text`)."""
    draft = NoticeOfDefenseLetter.model_validate({**letter_without_text, "rendered_text": "-"})
    return "\n".join([TITLE, draft.document_number.text, *letter_lines(draft)])
