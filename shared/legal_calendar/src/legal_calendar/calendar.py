"""The official PRC working-day calendar, year by year, as data the system owns.

Each year is published by the State Council General Office
(国务院办公厅关于某年部分节假日安排的通知): the statutory days off (法定节假日, with the rest
days bridged to them, 调休放假) and the weekend days that are working days instead (调休上班).
A year the system has no data for is an explicit, loud condition (:class:`CalendarYearMissing`),
never a guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_serializer,
    model_validator,
)

_SATURDAY, _SUNDAY = 5, 6
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class CalendarYearMissing(LookupError):
    """The calendar holds no data for ``year``: deadlines that need it cannot be computed exactly.

    Load the official calendar for that year (an operator upload) or ask for a provisional
    deadline explicitly (``allow_provisional=True``).
    """

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"no legal calendar data for {year}: load the official {year} holiday calendar "
            "(operator upload) before computing deadlines that fall in it"
        )


class InvalidCalendarYear(ValueError):
    """An uploaded calendar year was rejected; ``problems`` lists every reason, one per item."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid calendar year: " + "; ".join(self.problems))


class _DateProblems(ValueError):
    """Raised inside validation; carries each problem so an upload's errors stay one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class CalendarYear(BaseModel):
    """One year of the official calendar.

    - ``holidays``: every statutory day off of the year (法定节假日), including the rest days
      bridged to a holiday (调休放假) and the weekend days inside a holiday span.
    - ``makeup_workdays``: Saturdays and Sundays that are working days (调休上班).
    - ``source``: where the data came from, e.g. ``"chinese-calendar 1.11.0"`` or
      ``"operator upload 2027-01-05"``.

    Every other Monday–Friday is a working day; every other Saturday and Sunday is a rest day.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "year": 2031,
                    "holidays": ["2031-01-01", "2031-05-01", "2031-10-01", "2031-10-02"],
                    "makeup_workdays": ["2031-09-28"],
                    "source": "operator upload 2030-12-01",
                }
            ]
        },
    )

    year: int = Field(ge=1949, le=9999)
    holidays: frozenset[date]
    makeup_workdays: frozenset[date] = frozenset()
    # Bounded as the LegalCalendarYearLoaded event's source, which carries it to the services.
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

    @model_validator(mode="after")
    def _check_dates(self) -> CalendarYear:
        problems = _problems(self)
        if problems:
            raise _DateProblems(problems)
        return self

    @field_serializer("holidays", "makeup_workdays")
    def _sorted_dates(self, dates: frozenset[date]) -> list[str]:
        # Sorted, so the JSON files are stable and diff well.
        return [d.isoformat() for d in sorted(dates)]

    def is_working_day(self, day: date) -> bool:
        if day.year != self.year:
            raise ValueError(f"{day.isoformat()} is not in calendar year {self.year}")
        return day in self.makeup_workdays or (
            day.weekday() < _SATURDAY and day not in self.holidays
        )

    def to_json(self) -> str:
        """The JSON form of the data files and of the operator upload."""
        return self.model_dump_json(indent=2) + "\n"


def _problems(year: CalendarYear) -> list[str]:
    problems: list[str] = []
    if not year.holidays:
        problems.append(f"holidays for {year.year} are empty: every official year has some")
    for field, dates in (("holiday", year.holidays), ("makeup workday", year.makeup_workdays)):
        for d in sorted(dates):
            if d.year != year.year:
                problems.append(f"{field} {d.isoformat()} is outside the stated year {year.year}")
    for d in sorted(year.holidays & year.makeup_workdays):
        problems.append(f"{d.isoformat()} is listed both as a holiday and as a makeup workday")
    for d in sorted(year.makeup_workdays):
        if d.weekday() not in (_SATURDAY, _SUNDAY):
            problems.append(
                f"makeup workday {d.isoformat()} is a {_WEEKDAY_NAMES[d.weekday()]}: "
                "makeup workdays (调休上班) are Saturdays or Sundays"
            )
    return problems


def parse_calendar_year(raw: str | bytes) -> CalendarYear:
    """Validate an operator upload (the JSON form of :class:`CalendarYear`).

    Raises :class:`InvalidCalendarYear` naming every bad field and date.
    """
    try:
        return CalendarYear.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidCalendarYear(p for error in exc.errors() for p in _describe(error)) from exc


def _describe(error: Mapping[str, Any]) -> list[str]:
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, _DateProblems):
        return cause.problems
    location = ".".join(str(part) for part in error["loc"])
    return [f"{location}: {error['msg']}" if location else str(error["msg"])]


class LegalCalendar:
    """The working-day calendar over every year the system holds data for. Immutable.

    Asking about a date in a year without data raises :class:`CalendarYearMissing`.
    """

    def __init__(self, years: Iterable[CalendarYear]) -> None:
        by_year: dict[int, CalendarYear] = {}
        for calendar_year in years:
            if calendar_year.year in by_year:
                raise ValueError(f"calendar year {calendar_year.year} given twice")
            by_year[calendar_year.year] = calendar_year
        self._years: Mapping[int, CalendarYear] = MappingProxyType(by_year)

    def __repr__(self) -> str:
        return f"LegalCalendar(years={sorted(self._years)})"

    @property
    def years(self) -> Mapping[int, CalendarYear]:
        """Year → its data (read-only)."""
        return self._years

    def calendar_year(self, year: int) -> CalendarYear:
        try:
            return self._years[year]
        except KeyError:
            raise CalendarYearMissing(year) from None

    def with_year(self, calendar_year: CalendarYear) -> LegalCalendar:
        """A new calendar with ``calendar_year`` added, or replacing the bundled data for its year
        (an operator's upload or correction wins)."""
        return LegalCalendar({**self._years, calendar_year.year: calendar_year}.values())

    def is_working_day(self, day: date) -> bool:
        """A Monday–Friday that is not a statutory holiday, or a makeup workday (调休上班)."""
        return self.calendar_year(day.year).is_working_day(day)

    def is_statutory_holiday(self, day: date) -> bool:
        """One of the year's statutory days off (法定节假日 and the bridged rest days)."""
        return day in self.calendar_year(day.year).holidays
