"""The center's reply to the procuratorate (指派通知书, the 函告 of Measures Art. 4): the
appointed lawyer's name, firm and contact, as a numbered official document after GB/T
9704-2012, filled into the bundled `templates/assignment_reply.docx` or the replacement
`AID_CENTER_REPLY_TEMPLATE` names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from legal_calendar import LEGAL_TIMEZONE
from official_documents import chinese_date, render_docx

TEMPLATE = Path(__file__).with_name("templates") / "assignment_reply.docx"
COPY_MARK = "第一联 送人民检察院"

ON_NOTICE_LAW = (
    "《中华人民共和国法律援助法》第三十六条和"
    "《关于进一步深化刑事案件律师辩护全覆盖试点工作的实施办法》第四条"
)
ON_APPLICATION_LAW = "《中华人民共和国法律援助法》第三十九条、第四十三条"

FIELDS = (
    "title",
    "center",
    "document_number",
    "procuratorate_unit",
    "opening",
    "legal_basis",
    "appointment",
    "suspect_name",
    "charges",
    "lawyer_name",
    "firm_name",
    "lawyer_contact",
    "issued_on",
    "issued_on_digits",
    "copy_mark",
)
"""What a template may use (the README lists them for staff restyling the reply)."""


@dataclass(frozen=True)
class Reply:
    """The reply's facts, as the center's projection holds them."""

    center: str
    document_number: str
    year: int
    sequence: int
    procuratorate_unit: str
    notice_number: str | None  # None: the appointment answers a forwarded application
    replacement: bool
    suspect_name: str
    charges: tuple[str, ...]
    lawyer_name: str
    firm_name: str
    lawyer_contact: str
    assigned_at: datetime

    @classmethod
    def of(cls, row: Mapping[Any, Any], suspect_name: str) -> Reply:
        number = row["document_number"]
        return cls(
            center=row["center"],
            document_number=number["text"],
            year=number["year"],
            sequence=number["sequence"],
            procuratorate_unit=row["procuratorate_unit"],
            notice_number=row["notice_number"],
            replacement=row["previous_assignment_id"] is not None,
            suspect_name=suspect_name,
            charges=tuple(row["charges"]),
            lawyer_name=row["lawyer_name"],
            firm_name=row["firm_name"],
            lawyer_contact=row["lawyer_contact"],
            assigned_at=row["assigned_at"],
        )


def reply_fields(reply: Reply) -> dict[str, str]:
    issued_on: date = reply.assigned_at.astimezone(LEGAL_TIMEZONE).date()
    if reply.notice_number is not None:
        opening = f"你院{reply.notice_number}《通知辩护公函》收悉。"
        law = ON_NOTICE_LAW
    else:
        opening = (
            f"你院转交的犯罪嫌疑人{reply.suspect_name}的法律援助申请收悉，经审查符合法律援助条件。"
        )
        law = ON_APPLICATION_LAW
    return {
        "title": f"{reply.center}指派通知书",
        "center": reply.center,
        "document_number": reply.document_number,
        "procuratorate_unit": reply.procuratorate_unit,
        "opening": opening,
        "legal_basis": law,
        # Measures Art. 5: a replacement is 另行指派.
        "appointment": "另行指派" if reply.replacement else "指派",
        "suspect_name": reply.suspect_name,
        "charges": "、".join(reply.charges),
        "lawyer_name": reply.lawyer_name,
        "firm_name": reply.firm_name,
        "lawyer_contact": reply.lawyer_contact,
        "issued_on": chinese_date(issued_on),
        "issued_on_digits": f"{issued_on.year}年{issued_on.month}月{issued_on.day}日",
        "copy_mark": COPY_MARK,
    }


def reply_docx(reply: Reply, template: Path | None = None) -> bytes:
    return render_docx(template or TEMPLATE, reply_fields(reply))


def reply_filename(reply: Reply, extension: str) -> tuple[str, str]:
    """指派通知书-津河东援函〔2026〕3号-王小明.docx, and its ASCII fallback."""
    return (
        f"指派通知书-{reply.document_number}-{reply.suspect_name}.{extension}",
        f"assignment-reply-{reply.year}-{reply.sequence}.{extension}",
    )
