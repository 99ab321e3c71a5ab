"""The bundled data files: complete, valid, and what the seed script makes of chinese-calendar."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from legal_calendar import bundled_calendar_years, load_bundled_calendar
from legal_calendar.seed import DATA_DIR, calendar_year_from_chinese_calendar, main

BUNDLED_YEARS = range(2004, 2027)


@pytest.fixture
def chinese_calendar() -> Any:
    """The seed's source, a development dependency only."""
    return pytest.importorskip("chinese_calendar")


def test_every_year_from_2004_to_2026_is_bundled() -> None:
    assert [y.year for y in bundled_calendar_years()] == list(BUNDLED_YEARS)
    assert sorted(load_bundled_calendar().years) == list(BUNDLED_YEARS)


def test_every_bundled_year_names_its_source() -> None:
    for calendar_year in bundled_calendar_years():
        assert calendar_year.source.startswith("chinese-calendar "), calendar_year.year


@pytest.mark.parametrize("year", BUNDLED_YEARS)
def test_bundled_file_is_what_the_seed_writes(year: int, chinese_calendar: Any) -> None:
    # If a bundled year is ever corrected by hand (chinese-calendar has had wrong makeup days),
    # record the correction here instead of letting this test silently pass or fail.
    expected = calendar_year_from_chinese_calendar(year).to_json()
    assert (DATA_DIR / f"{year}.json").read_text(encoding="utf-8") == expected


@pytest.mark.parametrize("year", BUNDLED_YEARS)
def test_working_days_agree_with_chinese_calendar(year: int, chinese_calendar: Any) -> None:
    calendar = load_bundled_calendar()
    day = date(year, 1, 1)
    while day.year == year:
        assert calendar.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_weekend_days_inside_a_holiday_span_are_holidays() -> None:
    calendar = load_bundled_calendar()
    # Spring Festival 2024: Sat 02-10 .. Sat 02-17; 2026: Sun 02-15 .. Mon 02-23.
    for day in ("2024-02-10", "2024-02-11", "2024-02-17", "2026-02-15", "2026-02-21"):
        assert calendar.is_statutory_holiday(date.fromisoformat(day)), day


def test_seed_script_writes_one_file_per_year(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], chinese_calendar: Any
) -> None:
    main(["--first", "2024", "--last", "2025", "--out", str(tmp_path)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2024.json", "2025.json"]
    assert "2025.json" in capsys.readouterr().out


def test_seed_script_refuses_years_chinese_calendar_lacks(
    tmp_path: Path, chinese_calendar: Any
) -> None:
    with pytest.raises(SystemExit):
        main(["--first", "2026", "--last", "2027", "--out", str(tmp_path)])
    assert list(tmp_path.iterdir()) == []
