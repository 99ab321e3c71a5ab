"""Personal data the center stores, sealed at rest (issue 7): the suspect's place of detention
or residence (羁押场所/住所), and in a notice-of-defense letter the same place, the suspect's
and the guardian's contacts and the relatives."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from service_runtime.security.personal import cipher_of, seal, unseal

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


def seal_place(session: AsyncSession, suspect_id: UUID, place: str) -> str:
    return cipher_of(session).encrypt(
        place, field="suspect.place_of_detention_or_residence", record_id=suspect_id
    )


def seal_letter(session: AsyncSession, notice_id: UUID, letter: dict[str, Any]) -> dict[str, Any]:
    return seal(cipher_of(session), letter, LETTER_PERSONAL, record="letter", record_id=notice_id)


def open_letter(session: AsyncSession, notice_id: UUID, letter: dict[str, Any]) -> dict[str, Any]:
    return unseal(cipher_of(session), letter, record="letter", record_id=notice_id)
