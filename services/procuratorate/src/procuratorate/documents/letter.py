"""The notice-of-defense letter (人民检察院通知辩护公函) as an official document: the annex form's
fields filled into a DOCX template laid out after GB/T 9704-2012 (the bundled
`templates/notice_of_defense.docx`, or the replacement `PROCURATORATE_LETTER_TEMPLATE` names)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from defense_schemas.events.procuratorate import NoticeOfDefenseLetter
from legal_calendar import LEGAL_TIMEZONE
from official_documents import chinese_date, render_docx
from procuratorate.domain.letter import citation_phrase, copy_caption, grounds_phrase

TEMPLATE = Path(__file__).with_name("templates") / "notice_of_defense.docx"
NOT_APPLICABLE = "无"

FIELDS = (
    "title",
    "procuratorate_unit",
    "document_number",
    "addressee_center",
    "suspect_name",
    "charges",
    "transferring_agency",
    "grounds",
    "citation",
    "place_of_detention_or_residence",
    "suspect_contact",
    "has_guardian",
    "guardian_name",
    "guardian_contact",
    "case_handler_name",
    "case_handler_contact",
    "issued_on",
    "issued_on_digits",
    "copy_mark",
)
"""What a template may use (the README lists them for staff restyling the letter)."""


def letter_title(procuratorate_unit: str) -> str:
    """The issuing unit's full name and the form's name: 天津市河东区人民检察院通知辩护公函."""
    return f"{procuratorate_unit}通知辩护公函"


def issue_date(sent_at: datetime) -> date:
    """成文日期: the day the letter was sent, in Beijing."""
    return sent_at.astimezone(LEGAL_TIMEZONE).date()


def letter_fields(letter: NoticeOfDefenseLetter, issued_on: date) -> dict[str, object]:
    guardian = letter.guardian
    return {
        "title": letter_title(letter.procuratorate_unit),
        "procuratorate_unit": letter.procuratorate_unit,
        "document_number": letter.document_number.text,
        "addressee_center": letter.addressee_center,
        "suspect_name": letter.suspect_name,
        "charges": "、".join(letter.charges),
        "transferring_agency": letter.transferring_agency,
        "grounds": grounds_phrase(letter.grounds),
        "citation": citation_phrase(letter.grounds),
        "place_of_detention_or_residence": letter.place_of_detention_or_residence,
        "suspect_contact": letter.suspect_contact or NOT_APPLICABLE,
        "has_guardian": guardian is not None,
        "guardian_name": guardian.name if guardian else NOT_APPLICABLE,
        "guardian_contact": guardian.contact if guardian else NOT_APPLICABLE,
        "case_handler_name": letter.case_handler.name,
        "case_handler_contact": letter.case_handler.contact,
        "issued_on": chinese_date(issued_on),
        # GB/T 9704-2012 §7.3.5.1 writes the date in Arabic numerals; the annex form and the
        # courts' practice use Chinese ones. The bundled template uses `issued_on`.
        "issued_on_digits": f"{issued_on.year}年{issued_on.month}月{issued_on.day}日",
        "copy_mark": copy_caption(letter.copy_number, letter.copy_label),
    }


def letter_docx(
    letter: NoticeOfDefenseLetter, issued_on: date, template: Path | None = None
) -> bytes:
    return render_docx(template or TEMPLATE, letter_fields(letter, issued_on))


def letter_filename(letter: NoticeOfDefenseLetter, extension: str) -> tuple[str, str]:
    """The download name (通知辩护公函-津河东检〔2026〕12号-王小明.docx) and its ASCII fallback."""
    number = letter.document_number
    return (
        f"通知辩护公函-{number.text}-{letter.suspect_name}.{extension}",
        f"notice-of-defense-{number.year}-{number.sequence}.{extension}",
    )
