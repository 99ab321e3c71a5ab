"""Subsidy amounts are typed in yuan and sent in fen, exactly: no float rounding on money."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.pages.subsidies import BadAmount, fen, yuan


@given(st.integers(min_value=0, max_value=100_000_000))
def test_yuan_typed_as_shown_is_the_same_number_of_fen(amount: int) -> None:
    shown = f"{amount // 100}.{amount % 100:02d}"
    assert fen(shown) == amount
    assert yuan(amount).replace(",", "") == f"{shown} 元"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("1200", 120000), ("1200.5", 120050), ("1,200.05", 120005), (" 0.01 ", 1)],
)
def test_common_ways_of_typing_an_amount(typed: str, expected: int) -> None:
    assert fen(typed) == expected


@pytest.mark.parametrize("typed", ["", "12.345", "-5", "1e3", "十元", "1.2.3"])
def test_anything_else_is_refused_rather_than_guessed(typed: str) -> None:
    with pytest.raises(BadAmount):
        fen(typed)
