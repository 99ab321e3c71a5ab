"""The calendar years shipped with the package (``data/<year>.json``, seeded from chinese-calendar).

Services combine these with operator uploads: ``load_bundled_calendar().with_year(upload)``.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from legal_calendar.calendar import CalendarYear, LegalCalendar, parse_calendar_year


def bundled_calendar_years() -> list[CalendarYear]:
    """Every ``data/<year>.json`` file of the package, validated, in year order."""
    years = []
    for entry in files("legal_calendar").joinpath("data").iterdir():
        if not entry.name.endswith(".json"):
            continue
        calendar_year = parse_calendar_year(entry.read_bytes())
        if entry.name != f"{calendar_year.year}.json":
            raise ValueError(f"{entry.name} holds the calendar of {calendar_year.year}")
        years.append(calendar_year)
    return sorted(years, key=lambda y: y.year)


@cache
def load_bundled_calendar() -> LegalCalendar:
    """The bundled calendar (read once per process; the result is immutable)."""
    return LegalCalendar(bundled_calendar_years())
