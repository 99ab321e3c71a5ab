"""Personal data at rest: AES-256-GCM field encryption and keyed lookup hashes.

ID numbers (身份证号), phone numbers, addresses and places of detention (羁押场所) are stored
encrypted by the application, so a database dump, a backup or a replica's reader sees none.

- Ciphertext text form: ``v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>``. The key id lets
  keys rotate: new values use the current key, every listed key still decrypts.
- Associated data binds a value to its place: ``<field>|<record id>``. A ciphertext copied to
  another row, or another column, fails to decrypt instead of showing someone else's data.
- A keyed hash (HMAC-SHA256 with a separate key, per purpose) finds a row by value — "is this ID
  number already a suspect?" — without storing the value or an unkeyed (brute-forceable) hash.

Nothing here logs; :class:`FieldDecryptionError` never carries plaintext or ciphertext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import unicodedata
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "v1"
NONCE_BYTES = 12  # 96-bit random nonces: safe for far more values than one key will see
TAG_BYTES = 16


class FieldKeyError(ValueError):
    """A configured key is not base64 of 32 bytes, or the current key id is not configured."""


class FieldDecryptionError(Exception):
    """The value was tampered with, moved to another record, or its key is not configured."""


def _key_bytes(key_id: str, encoded: str) -> bytes:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise FieldKeyError(f"field key {key_id!r} is not base64") from None
    if len(raw) != 32:
        raise FieldKeyError(f"field key {key_id!r} must be 32 bytes (AES-256), not {len(raw)}")
    return raw


def _secret(value: Any) -> str:
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)


class FieldCipher:
    def __init__(self, keys: Mapping[str, str], current_key_id: str, lookup_key: str) -> None:
        if current_key_id not in keys:
            raise FieldKeyError(f"the current field key id {current_key_id!r} is not configured")
        for key_id in keys:
            if not key_id or ":" in key_id:
                raise FieldKeyError(f"field key id {key_id!r} must be non-empty without ':'")
        self._aead = {key_id: AESGCM(_key_bytes(key_id, value)) for key_id, value in keys.items()}
        self.current_key_id = current_key_id
        try:
            self._lookup_key = base64.b64decode(lookup_key, validate=True)
        except (binascii.Error, ValueError):
            raise FieldKeyError("the lookup key is not base64") from None
        if len(self._lookup_key) < 32:
            raise FieldKeyError("the lookup key must be at least 32 bytes")

    @classmethod
    def from_settings(cls, settings: Any) -> FieldCipher:
        return cls(
            {key_id: _secret(value) for key_id, value in settings.field_keys.items()},
            settings.field_key_id,
            _secret(settings.lookup_key),
        )

    def encrypt(self, plaintext: str, *, field: str, record_id: object) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[self.current_key_id].encrypt(
            nonce, plaintext.encode("utf-8"), _associated(field, record_id)
        )
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{VERSION}:{self.current_key_id}:{body}"

    def decrypt(self, stored: str, *, field: str, record_id: object) -> str:
        try:
            version, key_id, body = stored.split(":", 2)
        except ValueError:
            raise FieldDecryptionError(f"{field}: not an encrypted value") from None
        if version != VERSION:
            raise FieldDecryptionError(f"{field}: unknown format {version!r}")
        aead = self._aead.get(key_id)
        if aead is None:
            raise FieldDecryptionError(f"{field}: key {key_id!r} is not configured")
        try:
            raw = base64.urlsafe_b64decode(body.encode("ascii"))
            plain = aead.decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated(field, record_id)
            )
        except (InvalidTag, ValueError, binascii.Error):
            raise FieldDecryptionError(
                f"{field}: does not decrypt for this record (tampered, moved, or wrong key)"
            ) from None
        return plain.decode("utf-8")

    def encrypt_bytes(self, plaintext: bytes, *, field: str, record_id: object) -> bytes:
        """Binary form for bytes columns: ``v1:<key id>:`` then nonce ‖ ciphertext ‖ tag, raw
        (no base64: a large event is not inflated by a third on every write)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[self.current_key_id].encrypt(
            nonce, plaintext, _associated(field, record_id)
        )
        return f"{VERSION}:{self.current_key_id}:".encode("ascii") + nonce + sealed

    def decrypt_bytes(self, stored: bytes, *, field: str, record_id: object) -> bytes:
        version, _, rest = stored.partition(b":")
        key_id, separator, raw = rest.partition(b":")
        if version != VERSION.encode("ascii") or not separator:
            raise FieldDecryptionError(f"{field}: not an encrypted value")
        aead = self._aead.get(key_id.decode("ascii", errors="replace"))
        if aead is None:
            raise FieldDecryptionError(f"{field}: key is not configured")
        try:
            return aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated(field, record_id))
        except (InvalidTag, ValueError):
            raise FieldDecryptionError(
                f"{field}: does not decrypt for this record (tampered, moved, or wrong key)"
            ) from None

    def encrypt_optional(
        self, plaintext: str | None, *, field: str, record_id: object
    ) -> str | None:
        return (
            None if plaintext is None else self.encrypt(plaintext, field=field, record_id=record_id)
        )

    def decrypt_optional(self, stored: str | None, *, field: str, record_id: object) -> str | None:
        return None if stored is None else self.decrypt(stored, field=field, record_id=record_id)

    def needs_rotation(self, stored: str) -> bool:
        """True when ``stored`` was sealed with a key other than the current one."""
        parts = stored.split(":", 2)
        return len(parts) != 3 or parts[1] != self.current_key_id

    def lookup_hash(self, value: str, *, purpose: str) -> str:
        """Hex HMAC-SHA256 of the normalized value, separated by purpose (``id_number``,
        ``phone``…) so equal strings of different kinds never match."""
        message = f"{purpose}\x00{normalize(value)}".encode()
        return hmac.new(self._lookup_key, message, hashlib.sha256).hexdigest()

    def mac_key(self, purpose: str) -> bytes:
        """A key for MACs of one purpose (paging cursors…), derived from the lookup key, so
        no MAC of one purpose verifies for another and no lookup hash is ever a MAC."""
        return hmac.new(
            self._lookup_key, f"\x01derived-mac-key\x00{purpose}".encode(), hashlib.sha256
        ).digest()


def normalize(value: str) -> str:
    """What makes two spellings of one ID or phone number equal: no spaces or dashes, upper
    case (the check letter X of an ID number), full-width digits as ASCII."""
    folded = unicodedata.normalize("NFKC", value)
    return "".join(ch for ch in folded if not ch.isspace() and ch != "-").upper()


def _associated(field: str, record_id: object) -> bytes:
    return f"{field}|{record_id}".encode()


def generate_key() -> str:
    """A fresh base64 32-byte key (for field_keys or lookup_key)."""
    return base64.b64encode(os.urandom(32)).decode("ascii")
