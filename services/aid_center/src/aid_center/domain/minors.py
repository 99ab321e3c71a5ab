"""Minority (未成年人, LAL Art. 25(1)(1)): under eighteen on a given day."""

from __future__ import annotations

from datetime import date


def eighteenth_birthday(birth_date: date) -> date:
    """The day a person turns 18; someone born on 29 February turns 18 on 1 March."""
    try:
        return birth_date.replace(year=birth_date.year + 18)
    except ValueError:
        return date(birth_date.year + 18, 3, 1)


def is_minor_on(birth_date: date, day: date) -> bool:
    return day < eighteenth_birthday(birth_date)
