"""Write the bundled calendar data from the ``chinese-calendar`` package (a dev dependency).

    uv run --frozen python -m legal_calendar.seed [--first 2004] [--last 2026] [--out DIR]

One ``<year>.json`` per year, by default for every year chinese-calendar covers, into the
package's ``data/`` folder. The files are the data the system owns: review the diff, keep
corrections, and load years chinese-calendar lacks as operator uploads.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

from legal_calendar.calendar import CalendarYear

DATA_DIR = Path(__file__).parent / "data"


def _chinese_calendar() -> Any:
    # Imported here: chinese-calendar is a development tool, not a runtime dependency.
    import chinese_calendar

    return chinese_calendar


def supported_years() -> range:
    """The years chinese-calendar holds data for."""
    holidays = _chinese_calendar().holidays
    return range(min(holidays).year, max(holidays).year + 1)


def calendar_year_from_chinese_calendar(year: int) -> CalendarYear:
    """One year from chinese-calendar, classified day by day with ``get_holiday_detail``.

    A day is a holiday when the library names a holiday for it and says it is a day off
    (weekend days inside a holiday span included); a makeup workday when it names a holiday but
    says it is a working day.
    """
    cc = _chinese_calendar()
    holidays: set[date] = set()
    makeup_workdays: set[date] = set()
    day = date(year, 1, 1)
    while day.year == year:
        is_day_off, holiday_name = cc.get_holiday_detail(day)
        if holiday_name is not None:
            (holidays if is_day_off else makeup_workdays).add(day)
        day += timedelta(days=1)
    return CalendarYear(
        year=year,
        holidays=frozenset(holidays),
        makeup_workdays=frozenset(makeup_workdays),
        source=f"chinese-calendar {version('chinese-calendar')}",
    )


def write_years(years: range, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for year in years:
        path = out / f"{year}.json"
        path.write_text(calendar_year_from_chinese_calendar(year).to_json(), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    supported = supported_years()
    parser = argparse.ArgumentParser(prog="python -m legal_calendar.seed", description=__doc__)
    parser.add_argument("--first", type=int, default=supported.start)
    parser.add_argument("--last", type=int, default=supported.stop - 1)
    parser.add_argument("--out", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    if args.first < supported.start or args.last >= supported.stop:
        parser.error(
            f"chinese-calendar covers {supported.start}..{supported.stop - 1} only; "
            "load other years as operator uploads"
        )
    for path in write_years(range(args.first, args.last + 1), args.out):
        print(path)


if __name__ == "__main__":
    main()
