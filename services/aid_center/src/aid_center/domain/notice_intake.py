"""Checking a notice-of-defense letter (通知辩护公函) and its materials (Measures Art. 3).

Art. 3 ¶3: 通知辩护公函应当载明犯罪嫌疑人的姓名、涉嫌的罪名、羁押场所或者住所、通知辩护的理由、
检察人员姓名和联系方式等. Art. 3 ¶4: if the letter's content or the materials are incomplete
(内容不齐全或者通知辩护材料不齐全), the center asks the procuratorate to supplement them.

The contract already refuses a letter without the mandatory fields, so what is checked here is
what a valid letter can still lack: the form's minor-specific fields (the guardian), and the
materials the center requires (a configurable list, e.g. 起诉意见书).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from defense_schemas.vocabulary import Ground, NoticeItem


@dataclass(frozen=True)
class LetterFacts:
    """The parts of the letter the check looks at, as plain values."""

    suspect_name: str | None
    charges: Sequence[str]
    place_of_detention_or_residence: str | None
    grounds: Sequence[Ground]
    case_handler_name: str | None
    case_handler_contact: str | None
    transferring_agency: str | None
    has_guardian: bool


@dataclass(frozen=True)
class NoticeCheck:
    """The outcome of a check: complete, or exactly what is missing."""

    missing_items: tuple[NoticeItem, ...]
    missing_materials: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing_items

    def detail(self) -> str | None:
        """A sentence for the supplement request naming what is missing."""
        if self.complete:
            return None
        parts = [item.value for item in self.missing_items if item is not NoticeItem.CASE_MATERIALS]
        if self.missing_materials:
            parts.append("materials: " + "、".join(self.missing_materials))
        return "missing " + "; ".join(parts)


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def check_notice(
    letter: LetterFacts, materials: Iterable[str], required_materials: Iterable[str]
) -> NoticeCheck:
    """Which required items the letter and its materials lack (empty when complete)."""
    missing: list[NoticeItem] = []
    if _blank(letter.suspect_name):
        missing.append(NoticeItem.SUSPECT_NAME)
    if not [c for c in letter.charges if c.strip()]:
        missing.append(NoticeItem.CHARGES)
    if _blank(letter.place_of_detention_or_residence):
        missing.append(NoticeItem.PLACE_OF_DETENTION_OR_RESIDENCE)
    if not letter.grounds:
        missing.append(NoticeItem.GROUNDS)
    if _blank(letter.case_handler_name) or _blank(letter.case_handler_contact):
        missing.append(NoticeItem.CASE_HANDLER_CONTACT)
    if _blank(letter.transferring_agency):
        missing.append(NoticeItem.TRANSFERRING_AGENCY)
    # The form's 未成年犯罪嫌疑人法定代理人 line: a minor's letter names the guardian and contact.
    if Ground.MINOR in letter.grounds and not letter.has_guardian:
        missing.append(NoticeItem.GUARDIAN)
    present = {m.strip() for m in materials}
    missing_materials = tuple(m for m in required_materials if m.strip() not in present)
    if missing_materials:
        missing.append(NoticeItem.CASE_MATERIALS)
    return NoticeCheck(missing_items=tuple(missing), missing_materials=missing_materials)
