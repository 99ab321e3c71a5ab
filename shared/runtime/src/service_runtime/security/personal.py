"""Sealing personal data inside a JSON document before it is stored (issue 7).

A projection seals and opens personal fields with its service's :class:`FieldCipher`, which
its unit of work carries (``UnitOfWork.cipher``). A sealed document lists its sealed
keys under ``__sealed__``; each value is its JSON, encrypted with ``<record>.<key>|<record id>``
as associated data. A document without the marker (written before sealing existed) reads as
it is.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

from defense_schemas.kafka_headers import HEADER_NAMES
from service_runtime.security.fields import NONCE_BYTES, TAG_BYTES, FieldCipher

SEALED = "__sealed__"


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

    ERROR_MARKER = "sealed:"
    ERROR_FIELD = "dead_letters.error"

    def seal_error(self, error: str, where: tuple[str, int, int]) -> str:
        """The refusal's text: a contract violation or a handler's exception may quote the
        input. The reason's *kind* (``error_kind``) stays clear for metrics and filters."""
        return self.ERROR_MARKER + self._cipher.encrypt(
            error, field=self.ERROR_FIELD, record_id="|".join(map(str, where))
        )

    def open_error(self, stored: str, where: tuple[str, int, int]) -> str:
        if not stored.startswith(self.ERROR_MARKER):
            return stored
        return self._cipher.decrypt(
            stored[len(self.ERROR_MARKER) :],
            field=self.ERROR_FIELD,
            record_id="|".join(map(str, where)),
        )


class OutboxSealer:
    """Seals an outbox row (the event as the contract publishes it names suspects; a dead
    letter's copy is anyone's bytes) with the
    service's cipher, the row's id as associated data: a value moved to another row does not
    open. The relay opens it just before producing, so the bytes on Kafka are the contract's.

    ``value``: ``sealed:`` then the binary ciphertext; ``headers`` other than an event's own
    (a dead letter's ``dlq.*``): the JSON list of pairs encrypted, stored as a JSON string (a
    list is read as it is)."""

    MARKER = b"sealed:"
    VALUE = "outbox.value"
    HEADERS = "outbox.headers"

    def __init__(self, cipher: FieldCipher) -> None:
        self._cipher = cipher

    # An event's own headers name its type and producer, nothing personal: left clear, they
    # cost nothing to open and stay readable to whoever looks at the table. So is the W3C
    # ``traceparent``: a version, two random ids and flags, nothing about anyone (a
    # ``tracestate``, which vendors may fill with anything, is sealed with the rest).
    CLEAR_HEADERS = HEADER_NAMES | {"traceparent"}

    def seal(
        self, row_id: int, value: bytes, headers: list[list[str]]
    ) -> tuple[bytes, list[list[str]] | str]:
        sealed_value = self.MARKER + self._cipher.encrypt_bytes(
            value, field=self.VALUE, record_id=row_id
        )
        if all(name in self.CLEAR_HEADERS for name, _ in headers):
            return sealed_value, headers
        return sealed_value, self._cipher.encrypt(
            json.dumps(headers, ensure_ascii=False), field=self.HEADERS, record_id=row_id
        )

    @classmethod
    def published_size(cls, head: bytes, stored_size: int) -> int:
        """What a row will weigh on the wire, from the first bytes of its stored value and
        its stored size (the operator's view of parked rows need not open megabytes)."""
        if not head.startswith(cls.MARKER):
            return stored_size
        version, _, rest = head[len(cls.MARKER) :].partition(b":")
        key_id, _, _ = rest.partition(b":")
        prefix = len(cls.MARKER) + len(version) + len(key_id) + 2
        return stored_size - prefix - NONCE_BYTES - TAG_BYTES

    def open(self, row_id: int, value: bytes, headers: Any) -> tuple[bytes, list[list[str]]]:
        if value.startswith(self.MARKER):
            value = self._cipher.decrypt_bytes(
                value[len(self.MARKER) :], field=self.VALUE, record_id=row_id
            )
        if isinstance(headers, str):
            headers = json.loads(
                self._cipher.decrypt(headers, field=self.HEADERS, record_id=row_id)
            )
        return value, headers


def seal_outbox_rows(bind: Any, cipher: FieldCipher, *, opening: bool = False) -> None:
    """For a migration: every outbox row written before sealing, sealed (``opening``: back to
    clear, for the downgrade)."""
    import sqlalchemy as sa

    sealer = OutboxSealer(cipher)
    rows = bind.execute(sa.text("SELECT id, value, headers FROM outbox")).all()
    update = sa.text(
        "UPDATE outbox SET value = :value, headers = CAST(:headers AS jsonb) WHERE id = :id"
    )
    for row in rows:
        value, headers = sealer.open(row.id, bytes(row.value), row.headers)
        if not opening:
            value, sealed_headers = sealer.seal(row.id, value, headers)
            stored: Any = sealed_headers
        else:
            stored = headers
        bind.execute(
            update,
            {"value": value, "headers": json.dumps(stored, ensure_ascii=False), "id": row.id},
        )


def seal_dead_letter_errors(bind: Any, cipher: FieldCipher, *, opening: bool = False) -> None:
    """For a migration: the refusal texts of the dead letters filed before sealing, sealed
    (``opening``: back to clear)."""
    import sqlalchemy as sa

    sealer = DeadLetterSealer(cipher)
    rows = bind.execute(
        sa.text("SELECT id, source_topic, source_partition, source_offset, error FROM dead_letters")
    ).all()
    update = sa.text("UPDATE dead_letters SET error = :error WHERE id = :id")
    for row in rows:
        where = (row.source_topic, row.source_partition, row.source_offset)
        error = sealer.open_error(row.error, where)
        if not opening:
            error = sealer.seal_error(error, where)
        bind.execute(update, {"error": error, "id": row.id})


def seal_text_column(
    bind: Any,
    cipher: FieldCipher,
    *,
    table: str,
    key: str,
    column: str,
    field: str,
    opening: bool = False,
) -> None:
    """For a migration: every value of the text column ``table.column`` sealed with ``field``
    and the row's ``key`` as associated data (``opening``: back to clear, for the downgrade).
    A value that already opens is left as it is, so running it twice changes nothing."""
    import sqlalchemy as sa

    from service_runtime.security.fields import FieldDecryptionError

    rows = bind.execute(sa.text(f"SELECT {key} AS id, {column} AS value FROM {table}")).all()
    update = sa.text(f"UPDATE {table} SET {column} = :value WHERE {key} = :id")
    for row in rows:
        if row.value is None:
            continue
        try:
            plain = cipher.decrypt(row.value, field=field, record_id=row.id)
        except FieldDecryptionError:
            if opening:
                continue
            plain = row.value
        else:
            if not opening:
                continue
        value = plain if opening else cipher.encrypt(plain, field=field, record_id=row.id)
        bind.execute(update, {"value": value, "id": row.id})
