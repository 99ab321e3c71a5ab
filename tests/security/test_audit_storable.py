"""What an audit entry becomes before it is queued: any text PostgreSQL can hold, escapes
distinguishable from what was sent, and text that was storable left as it was."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from service_runtime.security.audit import (
    UNSTORABLE_RESOURCE,
    Actor,
    AuditEntry,
    reduced_actor,
    reduced_entry,
    storable_entry,
    storable_text,
)

ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()))


@given(ANY_TEXT)
def test_any_text_becomes_storable(value: str) -> None:
    stored = storable_text(value)
    assert "\x00" not in stored
    stored.encode("utf-8")  # no lone surrogate left


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")))
def test_storable_text_is_kept_as_it_was(value: str) -> None:
    assert storable_text(value) == value


@given(ANY_TEXT, ANY_TEXT)
def test_escaping_does_not_merge_different_values(a: str, b: str) -> None:
    unstorable = "\x00"
    if a != b:
        assert storable_text(a + unstorable) != storable_text(b + unstorable)


def test_nul_and_surrogates_are_escaped_visibly() -> None:
    assert storable_text("a\x00b") == "a\\x00b"
    assert storable_text("x\ud800") == "x\\ud800"
    assert storable_text("\\x00\x00") == "\\\\x00\\x00"


def test_an_entry_and_its_reduced_form() -> None:
    entry = AuditEntry(
        resource="/x/{record_id}", action="read", record_id="\x00", fields=("\ud800",)
    )
    assert storable_entry(entry).record_id == "\\x00"
    assert storable_entry(entry).fields == ("\\ud800",)
    reduced = reduced_entry(entry)
    assert reduced.resource == UNSTORABLE_RESOURCE and reduced.record_id is None
    assert reduced_actor(Actor("\x00", "none")) == Actor("unstorable", "none")
