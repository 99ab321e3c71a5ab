"""Personal data the center stores, sealed at rest (issue 7): the suspect's place of detention
or residence (羁押场所/住所), and in a notice-of-defense letter the same place, the suspect's
and the guardian's contacts and the relatives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from service_runtime.security.fields import FieldCipher
from service_runtime.security.personal import seal, unseal

LETTER_PERSONAL = (
    # The rendered text repeats every contact of the letter; the name identifies the person.
    "rendered_text",
    "suspect_name",
    "id_number",
    "place_of_detention_or_residence",
    "suspect_contact",
    "contacts",
    "guardian",
    "close_relatives",
)


# Names, sealed with their row's id: the notice list shows the name, nothing selects or
# orders by it in SQL (the list orders by receipt), so no lookup hash is kept.
SUSPECT_NAME = "suspects.name"
NOTICE_SUSPECT_NAME = "notices.suspect_name"


def seal_suspect_name(cipher: FieldCipher, suspect_id: UUID, name: str) -> str:
    return cipher.encrypt(name, field=SUSPECT_NAME, record_id=suspect_id)


def seal_notice_name(cipher: FieldCipher, notice_id: UUID, name: str) -> str:
    return cipher.encrypt(name, field=NOTICE_SUSPECT_NAME, record_id=notice_id)


def open_notice(cipher: FieldCipher, row: Mapping[Any, Any]) -> dict[str, Any]:
    """A ``notices`` row as a dict, the suspect's name opened (the letter stays sealed)."""
    notice = dict(row)
    notice["suspect_name"] = cipher.decrypt(
        row["suspect_name"], field=NOTICE_SUSPECT_NAME, record_id=row["notice_id"]
    )
    return notice


def seal_place(cipher: FieldCipher, suspect_id: UUID, place: str) -> str:
    return cipher.encrypt(
        place, field="suspect.place_of_detention_or_residence", record_id=suspect_id
    )


def seal_letter(cipher: FieldCipher, notice_id: UUID, letter: dict[str, Any]) -> dict[str, Any]:
    return seal(cipher, letter, LETTER_PERSONAL, record="letter", record_id=notice_id)


def open_letter(cipher: FieldCipher, notice_id: UUID, letter: dict[str, Any]) -> dict[str, Any]:
    return unseal(cipher, letter, record="letter", record_id=notice_id)
