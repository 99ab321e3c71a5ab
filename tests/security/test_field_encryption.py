"""Personal data at rest: AES-GCM bound to its record and field, rotation, lookup hashes."""

from __future__ import annotations

import base64

import pytest

from service_runtime.security.fields import (
    FieldCipher,
    FieldDecryptionError,
    FieldKeyError,
    generate_key,
)
from service_runtime.settings import ServiceSettings

OLD, NEW, LOOKUP = generate_key(), generate_key(), generate_key()
ID_NUMBER = "12010219900101123X"


def cipher(current: str = "k1", **keys: str) -> FieldCipher:
    return FieldCipher(keys or {"k1": OLD}, current, LOOKUP)


def test_a_value_round_trips_and_the_stored_form_shows_nothing_of_it() -> None:
    stored = cipher().encrypt(ID_NUMBER, field="id_number", record_id="s-1")
    assert stored.startswith("v1:k1:")
    assert ID_NUMBER not in stored and "1990" not in stored
    assert cipher().decrypt(stored, field="id_number", record_id="s-1") == ID_NUMBER


def test_the_same_value_encrypts_differently_each_time() -> None:
    c = cipher()
    assert c.encrypt("河东区看守所", field="detention_place", record_id="s-1") != c.encrypt(
        "河东区看守所", field="detention_place", record_id="s-1"
    )


@pytest.mark.parametrize(
    ("field", "record_id"), [("id_number", "s-2"), ("phone", "s-1")], ids=["row", "column"]
)
def test_a_value_moved_to_another_row_or_column_does_not_decrypt(
    field: str, record_id: str
) -> None:
    stored = cipher().encrypt(ID_NUMBER, field="id_number", record_id="s-1")
    with pytest.raises(FieldDecryptionError) as raised:
        cipher().decrypt(stored, field=field, record_id=record_id)
    assert ID_NUMBER not in str(raised.value) and stored not in str(raised.value)


def test_a_tampered_value_does_not_decrypt() -> None:
    stored = cipher().encrypt(ID_NUMBER, field="id_number", record_id="s-1")
    prefix, body = stored.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[20] ^= 0x01
    tampered = f"{prefix}:{base64.urlsafe_b64encode(bytes(raw)).decode()}"
    with pytest.raises(FieldDecryptionError):
        cipher().decrypt(tampered, field="id_number", record_id="s-1")


def test_after_rotation_old_values_still_read_and_new_ones_use_the_new_key() -> None:
    before = cipher("k1", k1=OLD).encrypt("13800000000", field="phone", record_id=7)
    rotated = cipher("k2", k1=OLD, k2=NEW)
    assert rotated.decrypt(before, field="phone", record_id=7) == "13800000000"
    assert rotated.needs_rotation(before)
    after = rotated.encrypt("13800000000", field="phone", record_id=7)
    assert after.startswith("v1:k2:") and not rotated.needs_rotation(after)
    with pytest.raises(FieldDecryptionError, match="not configured"):
        cipher("k2", k2=NEW).decrypt(before, field="phone", record_id=7)


def test_lookup_hashes_find_equal_values_across_spellings_but_not_across_purposes() -> None:
    c = cipher()
    assert c.lookup_hash("12010219900101123x", purpose="id_number") == c.lookup_hash(
        " 120102 19900101 123X", purpose="id_number"
    )
    assert c.lookup_hash("138-0000-0000", purpose="phone") == c.lookup_hash(
        "１３８００００００００", purpose="phone"
    )
    assert c.lookup_hash("13800000000", purpose="phone") != c.lookup_hash(
        "13800000000", purpose="id_number"
    )
    other_key = FieldCipher({"k1": OLD}, "k1", generate_key())
    assert other_key.lookup_hash(ID_NUMBER, purpose="id_number") != c.lookup_hash(
        ID_NUMBER, purpose="id_number"
    )


def test_misconfigured_keys_fail_at_start() -> None:
    with pytest.raises(FieldKeyError, match="32 bytes"):
        FieldCipher({"k1": base64.b64encode(b"short").decode()}, "k1", LOOKUP)
    with pytest.raises(FieldKeyError, match="not configured"):
        FieldCipher({"k1": OLD}, "k9", LOOKUP)
    with pytest.raises(FieldKeyError, match="base64"):
        FieldCipher({"k1": "not base64!"}, "k1", LOOKUP)


def test_the_settings_build_a_cipher_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELD_KEYS", f'{{"k1": "{OLD}", "k2": "{NEW}"}}')
    monkeypatch.setenv("FIELD_KEY_ID", "k2")
    monkeypatch.setenv("LOOKUP_KEY", LOOKUP)
    settings = ServiceSettings(database_url="postgresql+asyncpg://u:p@127.0.0.1:1/db")
    built = FieldCipher.from_settings(settings)
    assert built.current_key_id == "k2"
    assert NEW not in repr(settings) and LOOKUP not in repr(settings)  # never logged
