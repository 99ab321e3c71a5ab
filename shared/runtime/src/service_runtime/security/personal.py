"""Sealing personal data inside a JSON document before it is stored (issue 7).

Each service's sessions carry the service's :class:`FieldCipher` in ``session.info`` (set by
the runtime), so a projection seals and opens personal fields wherever it writes and reads
them, without threading the cipher through every function. A sealed document lists its sealed
keys under ``__sealed__``; each value is its JSON, encrypted with ``<record>.<key>|<record id>``
as associated data. A document without the marker (written before sealing existed) reads as
it is.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service_runtime.security.fields import FieldCipher

SESSION_CIPHER = "field_cipher"
SEALED = "__sealed__"


def cipher_of(session: AsyncSession) -> FieldCipher:
    cipher = session.info.get(SESSION_CIPHER)
    if cipher is None:
        raise RuntimeError("this session has no field cipher: make it with runtime.sessions")
    return cipher  # type: ignore[no-any-return]


def seal(
    cipher: FieldCipher,
    document: dict[str, Any],
    keys: Iterable[str],
    *,
    record: str,
    record_id: object,
) -> dict[str, Any]:
    """A copy of ``document`` with the values of ``keys`` sealed, at any depth (an event's
    payload nests suspects in lists); every other value untouched, so queries on them work."""
    return _walk(document, frozenset(keys), record, cipher, record_id, sealing=True)


def unseal(
    cipher: FieldCipher, document: dict[str, Any], *, record: str, record_id: object
) -> dict[str, Any]:
    return _walk(document, frozenset(), record, cipher, record_id, sealing=False)


def _walk(
    node: Any,
    keys: frozenset[str],
    path: str,
    cipher: FieldCipher,
    record_id: object,
    *,
    sealing: bool,
) -> Any:
    if isinstance(node, list):
        return [
            _walk(item, keys, f"{path}.{i}", cipher, record_id, sealing=sealing)
            for i, item in enumerate(node)
        ]
    if not isinstance(node, dict):
        return node
    if sealing:
        out: dict[str, Any] = {}
        names = []
        for key, value in node.items():
            if key in keys and value not in (None, [], ()):
                plain = json.dumps(value, ensure_ascii=False, sort_keys=True)
                out[key] = cipher.encrypt(plain, field=f"{path}.{key}", record_id=record_id)
                names.append(key)
            else:
                out[key] = _walk(value, keys, f"{path}.{key}", cipher, record_id, sealing=True)
        if names:
            out[SEALED] = names
        return out
    sealed = set(node.get(SEALED, ()))
    opened: dict[str, Any] = {}
    for key, value in node.items():
        if key == SEALED:
            continue
        if key in sealed:
            plain = cipher.decrypt(value, field=f"{path}.{key}", record_id=record_id)
            opened[key] = json.loads(plain)
        else:
            opened[key] = _walk(value, keys, f"{path}.{key}", cipher, record_id, sealing=False)
    return opened


def reseal_column(
    bind: Any,
    cipher: FieldCipher,
    *,
    table: str,
    key: str,
    column: str,
    keys: Iterable[str],
    record: str,
) -> None:
    """For a migration: every JSON document of ``table.column`` opened and sealed again with
    ``keys`` (a revision that seals more of a document than before); ``key`` is the row id
    the associated data names."""
    import sqlalchemy as sa

    rows = bind.execute(sa.text(f"SELECT {key} AS id, {column} AS doc FROM {table}")).all()
    update = sa.text(f"UPDATE {table} SET {column} = CAST(:doc AS jsonb) WHERE {key} = :id")
    for row in rows:
        if row.doc is None:
            continue
        opened = unseal(cipher, row.doc, record=record, record_id=row.id)
        sealed = seal(cipher, opened, keys, record=record, record_id=row.id)
        bind.execute(update, {"doc": json.dumps(sealed, ensure_ascii=False), "id": row.id})


class DeadLetterSealer:
    """Seals a dead letter's bytes (any bytes: a message that broke its contract may still
    carry a suspect's ID number) with the service's cipher; the letter's source topic,
    partition and offset are the associated data. Bytes stored before sealing (no marker) read
    as they are."""

    MARKER = b"sealed:"
    FIELD = "dead_letters.value"

    def __init__(self, cipher: FieldCipher) -> None:
        self._cipher = cipher

    def seal(self, value: bytes, where: tuple[str, int, int]) -> bytes:
        text = base64.b64encode(value).decode("ascii")
        return self.MARKER + self._cipher.encrypt(
            text, field=self.FIELD, record_id="|".join(map(str, where))
        ).encode("ascii")

    def open(self, stored: bytes, where: tuple[str, int, int]) -> bytes:
        if not stored.startswith(self.MARKER):
            return stored
        text = self._cipher.decrypt(
            stored[len(self.MARKER) :].decode("ascii"),
            field=self.FIELD,
            record_id="|".join(map(str, where)),
        )
        return base64.b64decode(text)
