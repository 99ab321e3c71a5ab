"""The paging cursor, without I/O: it round-trips every sort key a list uses, and a client can
neither forge nor alter one, nor carry one to another list (each is a 400 naming ``cursor``)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service_runtime.errors import InvalidInput
from service_runtime.paging import CursorSigner

SIGNER = CursorSigner(b"k" * 32)
PATH = "/notices"

keys = st.lists(
    st.one_of(
        st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=8))])),
        st.dates(),
        st.uuids(),
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.text(max_size=40),
        st.booleans(),
    ),
    min_size=1,
    max_size=5,
)


@given(keys)
def test_a_cursor_gives_back_the_sort_key_it_was_made_of(values: list[Any]) -> None:
    assert SIGNER.decode(PATH, SIGNER.encode(PATH, values)) == tuple(values)


def _refused(path: str, cursor: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        SIGNER.decode(path, cursor)
    assert refused.value.field == "cursor"


def test_a_cursor_for_another_list_or_from_another_key_is_refused() -> None:
    cursor = SIGNER.encode(PATH, [datetime(2026, 3, 1, tzinfo=UTC), UUID(int=1)])
    _refused("/assignments", cursor)
    _refused(PATH, CursorSigner(b"x" * 32).encode(PATH, [1]))


@given(st.text(max_size=200))
def test_any_string_a_client_makes_up_is_refused(made_up: str) -> None:
    _refused(PATH, made_up)


def test_an_altered_position_is_refused_though_well_formed() -> None:
    payload, mac = SIGNER.encode(PATH, [5]).split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["k"] = [0]
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    _refused(PATH, f"{forged}.{mac}")


def test_a_date_stays_a_date_and_an_instant_keeps_its_offset() -> None:
    values = (date(2026, 3, 1), datetime(2026, 3, 1, 8, tzinfo=timezone(timedelta(hours=8))))
    decoded = SIGNER.decode(PATH, SIGNER.encode(PATH, values))
    assert type(decoded[0]) is date and decoded[1].utcoffset() == timedelta(hours=8)
