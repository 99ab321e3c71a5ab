"""The suspects' personal data in ``suspects.facts`` is stored sealed (issue 7): ID number,
phone numbers and other contacts, place of detention or residence (羁押场所/住所), guardian and
close relatives. Everything else in the facts (birth date, charges, sentence band…) stays
readable to the queries and eligibility rules that need it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from service_runtime.security.personal import cipher_of, seal, unseal

SUSPECT_PERSONAL = (
    "id_number",
    "contacts",
    "place_of_detention_or_residence",
    "guardian",
    "close_relatives",
)


# Events name the same data under these keys too (a letter: suspect_contact; a guardian's or
# relative's contact sits inside the sealed objects).
TIMELINE_PERSONAL = (*SUSPECT_PERSONAL, "suspect_contact")


def seal_facts(session: AsyncSession, suspect_id: UUID, facts: dict[str, Any]) -> dict[str, Any]:
    return seal(cipher_of(session), facts, SUSPECT_PERSONAL, record="suspect", record_id=suspect_id)


def seal_payload(session: AsyncSession, event_id: UUID, payload: dict[str, Any]) -> dict[str, Any]:
    """An event's payload as the timeline stores it: the same personal fields sealed wherever
    they sit (CaseReceived nests the suspects; LetterIssued names the place of detention)."""
    return seal(cipher_of(session), payload, TIMELINE_PERSONAL, record="event", record_id=event_id)


def open_payload(session: AsyncSession, row: Any) -> dict[str, Any]:
    return unseal(cipher_of(session), row.payload, record="event", record_id=row.event_id)


def open_facts(session: AsyncSession, row: Any) -> dict[str, Any]:
    """The facts of a ``suspects`` row, personal fields decrypted."""
    return unseal(cipher_of(session), row.facts, record="suspect", record_id=row.suspect_id)
