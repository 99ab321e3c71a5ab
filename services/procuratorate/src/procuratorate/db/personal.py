"""The suspects' personal data in ``suspects.facts`` is stored sealed (issue 7): ID number,
phone numbers and other contacts, place of detention or residence (羁押场所/住所), guardian and
close relatives. Everything else in the facts (birth date, charges, sentence band…) stays
readable to the queries and eligibility rules that need it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from service_runtime.security.fields import FieldCipher
from service_runtime.security.personal import seal, unseal

SUSPECT_PERSONAL = (
    "name",
    "id_number",
    "contacts",
    "place_of_detention_or_residence",
    "guardian",
    "close_relatives",
)


# Events name the same data under these keys too (a letter: suspect_contact, the suspect's
# name and the rendered text, which repeats every contact; a guardian's or relative's contact
# sits inside the sealed objects; CaseReceived names each suspect under `name`).
TIMELINE_PERSONAL = (*SUSPECT_PERSONAL, "suspect_contact", "suspect_name", "rendered_text", "name")
# The notice-of-defense letter as `notices.letter` keeps it.
LETTER_PERSONAL = TIMELINE_PERSONAL


# ``suspects.name`` holds the name the ledger and the case view show, sealed with the suspect's
# id; nothing selects or orders by it in SQL (the ledger orders by receipt, case, position).
NAME_FIELD = "suspects.name"


def seal_name(cipher: FieldCipher, suspect_id: UUID, name: str) -> str:
    return cipher.encrypt(name, field=NAME_FIELD, record_id=suspect_id)


NAME_PURPOSE = "suspect_name"


def name_hash(cipher: FieldCipher, name: str) -> str:
    """What finds a suspect by exact name (spaces, full-width forms and case aside) without
    the database holding it: HMAC-SHA256 under the lookup key, never stored with the key."""
    return cipher.lookup_hash(name, purpose=NAME_PURPOSE)


def open_name(cipher: FieldCipher, row: Any) -> str:
    """The name of a ``suspects`` row (``suspect_id``, ``name``)."""
    return cipher.decrypt(row.name, field=NAME_FIELD, record_id=row.suspect_id)


def seal_facts(cipher: FieldCipher, suspect_id: UUID, facts: dict[str, Any]) -> dict[str, Any]:
    return seal(cipher, facts, SUSPECT_PERSONAL, record="suspect", record_id=suspect_id)


def seal_payload(cipher: FieldCipher, event_id: UUID, payload: dict[str, Any]) -> dict[str, Any]:
    """An event's payload as the timeline stores it: the same personal fields sealed wherever
    they sit (CaseReceived nests the suspects; LetterIssued names the place of detention)."""
    return seal(cipher, payload, TIMELINE_PERSONAL, record="event", record_id=event_id)


def open_payload(cipher: FieldCipher, row: Any) -> dict[str, Any]:
    return unseal(cipher, row.payload, record="event", record_id=row.event_id)


def seal_letter(cipher: FieldCipher, notice_id: UUID, letter: dict[str, Any]) -> dict[str, Any]:
    return seal(cipher, letter, LETTER_PERSONAL, record="letter", record_id=notice_id)


def open_notice(cipher: FieldCipher, row: Any) -> dict[str, Any]:
    """A ``notices`` row as a mapping, its letter opened."""
    notice = dict(row._mapping)
    notice["letter"] = unseal(cipher, row.letter, record="letter", record_id=row.notice_id)
    return notice


def open_facts(cipher: FieldCipher, row: Any) -> dict[str, Any]:
    """The facts of a ``suspects`` row, personal fields decrypted."""
    return unseal(cipher, row.facts, record="suspect", record_id=row.suspect_id)
