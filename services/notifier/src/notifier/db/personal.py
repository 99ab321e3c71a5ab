"""Personal data in the notifier's tables is stored encrypted (issue 7).

- ``contacts``: the address (phone, e-mail) and the person's name, sealed with the row's id as
  associated data (``contacts.address|<id>``);
- ``deliveries``: the address, the recipient's name and the rendered subject and body (they
  name the suspect, the lawyer's phone…), sealed with the notification id.

The per-recipient uniqueness of a delivery (one job per event, recipient, address, channel) goes
through ``address_hash``, the keyed hash of the address: equal addresses still collide, and the
column reveals nothing without the lookup key. The field names below are also the associated
data of revision 0004, which encrypted the rows written before it: never rename them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from defense_schemas.vocabulary import RecipientRole
from notifier.domain.deliveries import Contact
from service_runtime.security.fields import FieldCipher

CONTACT_FIELDS = ("address", "name")
DELIVERY_FIELDS = ("address", "recipient_name", "subject", "body")
# A channel's error text can quote the address or the message (revision 0006).
LAST_ERROR = "last_error"
ADDRESS_PURPOSE = "notifier.recipient_address"


def address_hash(cipher: FieldCipher, address: str) -> str:
    return cipher.lookup_hash(address, purpose=ADDRESS_PURPOSE)


def _seal(
    cipher: FieldCipher,
    table: str,
    fields: tuple[str, ...],
    record_id: object,
    values: Mapping[str, Any],
) -> dict[str, Any]:
    sealed = dict(values)
    for name in fields:
        if name in sealed:
            sealed[name] = cipher.encrypt_optional(
                sealed[name], field=f"{table}.{name}", record_id=record_id
            )
    return sealed


def _open(
    cipher: FieldCipher,
    table: str,
    fields: tuple[str, ...],
    record_id: object,
    row: Mapping[Any, Any],
) -> dict[str, Any]:
    opened = dict(row)
    for name in fields:
        if name in opened:
            opened[name] = cipher.decrypt_optional(
                opened[name], field=f"{table}.{name}", record_id=record_id
            )
    return opened


def seal_contact(cipher: FieldCipher, contact_id: int, values: Mapping[str, Any]) -> dict[str, Any]:
    return _seal(cipher, "contacts", CONTACT_FIELDS, contact_id, values)


def open_contact(cipher: FieldCipher, row: Mapping[Any, Any]) -> dict[str, Any]:
    return _open(cipher, "contacts", CONTACT_FIELDS, row["id"], row)


def seal_delivery(
    cipher: FieldCipher, notification_id: UUID, values: Mapping[str, Any]
) -> dict[str, Any]:
    return _seal(cipher, "deliveries", DELIVERY_FIELDS, notification_id, values)


def seal_last_error(cipher: FieldCipher, notification_id: UUID, error: str | None) -> str | None:
    return cipher.encrypt_optional(
        error, field=f"deliveries.{LAST_ERROR}", record_id=notification_id
    )


def open_delivery(cipher: FieldCipher, row: Mapping[Any, Any]) -> dict[str, Any]:
    """A ``deliveries`` row with its personal fields decrypted (``address_hash`` dropped)."""
    opened = _open(
        cipher, "deliveries", (*DELIVERY_FIELDS, LAST_ERROR), row["notification_id"], row
    )
    opened.pop("address_hash", None)
    return opened


# The suspect's name the message templates fill in; sealed with the suspect's id. Nothing
# selects by it: the projection loads a case's suspects by case id.
SUSPECT_NAME = "suspects.name"


def seal_suspect_name(cipher: FieldCipher, suspect_id: UUID, name: str | None) -> str | None:
    return cipher.encrypt_optional(name, field=SUSPECT_NAME, record_id=suspect_id)


def open_suspect(cipher: FieldCipher, row: Mapping[Any, Any]) -> dict[str, Any]:
    """A ``suspects`` row with the name opened."""
    opened = dict(row)
    opened["name"] = cipher.decrypt_optional(
        row["name"], field=SUSPECT_NAME, record_id=row["suspect_id"]
    )
    return opened


HELD_FIELD = "held_deliveries.envelope"


def seal_held(cipher: FieldCipher, event_id: UUID, envelope_json: str) -> str:
    """A held event's envelope (it names people and their contacts), sealed with its id."""
    return cipher.encrypt(envelope_json, field=HELD_FIELD, record_id=event_id)


def open_held(cipher: FieldCipher, row: Mapping[Any, Any]) -> str:
    return cipher.decrypt(row["envelope"], field=HELD_FIELD, record_id=row["event_id"])


HELD_CONTACTS_FIELD = "held_deliveries.kept_contacts"


def seal_held_contacts(
    cipher: FieldCipher, event_id: UUID, kept: Iterable[Contact] | None
) -> str | None:
    """The contacts a held event keeps (names and addresses), sealed with its id."""
    if kept is None:
        return None
    plain = json.dumps(
        [
            [c.role.value, c.name, c.address, None if c.suspect_id is None else str(c.suspect_id)]
            for c in kept
        ],
        ensure_ascii=False,
    )
    return cipher.encrypt(plain, field=HELD_CONTACTS_FIELD, record_id=event_id)


def open_held_contacts(cipher: FieldCipher, row: Mapping[Any, Any]) -> tuple[Contact, ...] | None:
    sealed = row.get("kept_contacts")
    if sealed is None:
        return None
    plain = cipher.decrypt(sealed, field=HELD_CONTACTS_FIELD, record_id=row["event_id"])
    return tuple(
        Contact(RecipientRole(role), name, address, None if suspect is None else UUID(suspect))
        for role, name, address, suspect in json.loads(plain)
    )
