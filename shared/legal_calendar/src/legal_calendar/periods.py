"""Statutory period arithmetic: when does "within N days / N working days / one month" end?

CPL Art. 105 (刑事诉讼法第一百零五条):
    期间以时、日、月计算。期间开始的时和日不算在期间以内。……期间的最后一日为节假日的，
    以节假日后的第一日为期满日期，但犯罪嫌疑人、被告人或者罪犯在押期间，应当至期满之日为止，
    不得因节假日而延长。
    (Periods are counted in hours, days and months; the day a period begins is not counted. If
    the last day of a period is a 节假日, the period expires on the first day after it — except
    custody periods, which are not among the administrative periods computed here.)

Reading of 节假日: every rest day, i.e. ordinary Saturdays and Sundays (公休日) as well as the
statutory holidays with their bridged rest days — not statutory holidays only. Courts and
procuratorates apply the article so (an SPC answer of 2014 on the identical clause of the Civil
Procedure Law lists 星期六、星期日 beside 五一、十一、元旦、春节), and it is the only reading under
which an act due "on a Saturday" can be done at an office that is closed. A make-up working day
(调休上班) is a working day although it is a weekend day, so a period can end on it.
Rule: if the last day is not a working day, the period ends on the first working day after it.
Rest days inside a period are counted; only the last day moves.

Measures Art. 8 (阅卷): 自即日起三个工作日内安排阅卷. Working days are counted after the
triggering day (Art. 105: the starting day is not counted), on the official calendar: make-up
workdays count, statutory holidays and ordinary weekends do not. The N-th working day is a
working day, so Art. 105's holiday rule never moves it.

Months. CPL Art. 172 (review for prosecution): 应当在一个月以内作出决定，重大、复杂的案件，
可以延长十五日; CPL Art. 175 (supplementary investigation): 应当在一个月以内补充侦查完毕.
The SPC's CPL Interpretation counts a month so: 自本月某日至下月同日为一个月；期限起算日为
本月最后一日的，至下月最后一日为一个月；下月同日不存在的，自本月某日至下月最后一日为一个月.
So 03-15 → 04-15, 01-31 → 02-28 (02-29 in a leap year), and a start on the last day of a month
ends on the last day of the target month (02-28 → 03-31, 04-30 → 05-31). Extra days (the 15-day
extension) are added to that date, and Art. 105's holiday rule is applied once, to the last day
of the whole period.

Strict and provisional: every computation runs through one counting routine that asks one
day-classifier whether a day is a working day. Strict (the default) lets
:class:`~legal_calendar.calendar.CalendarYearMissing` propagate; with ``allow_provisional=True``
a day in a year without data is classified by weekends and the fixed-date statutory holidays
(:data:`FIXED_DATE_HOLIDAYS`) and the result says ``provisional`` and names the missing years.

Instants: a period whose last day is D closes at the start (00:00) of D+1 in Asia/Shanghai, an
EXCLUSIVE bound (:func:`closes_at`): an act is in time iff it happened strictly before it. This
avoids the 23:59:59.999999 rounding trap.
"""

from __future__ import annotations

import calendar as _gregorian
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import assert_never
from zoneinfo import ZoneInfo

from legal_calendar.calendar import CalendarYearMissing, LegalCalendar

LEGAL_TIMEZONE = ZoneInfo("Asia/Shanghai")
"""The time zone of every legal date here (domain: "Time zone for every date: Asia/Shanghai")."""

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class CalendarDays:
    """ "Within N days" (N日以内), CPL Art. 105: the N-th day after the trigger, or the first
    working day after it."""

    days: int

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError(f"a period of days needs days >= 1, got {self.days}")

    def __str__(self) -> str:
        return f"{self.days} days"


@dataclass(frozen=True)
class WorkingDays:
    """ "Within N working days" (N个工作日内), Measures Art. 8: the N-th working day after the
    trigger."""

    days: int

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError(f"a period of working days needs days >= 1, got {self.days}")

    def __str__(self) -> str:
        return f"{self.days} working days"


@dataclass(frozen=True)
class Months:
    """ "Within N months" (+ ``extra_days``, e.g. the 15-day extension of CPL Art. 172)."""

    months: int
    extra_days: int = 0

    def __post_init__(self) -> None:
        if self.months < 1:
            raise ValueError(f"a period of months needs months >= 1, got {self.months}")
        if self.extra_days < 0:
            raise ValueError(f"extra_days must be >= 0, got {self.extra_days}")

    def __str__(self) -> str:
        unit = "month" if self.months == 1 else "months"
        extra = f" + {self.extra_days} days" if self.extra_days else ""
        return f"{self.months} {unit}{extra}"


Period = CalendarDays | WorkingDays | Months


def legal_date(instant: datetime) -> date:
    """The calendar day (in Asia/Shanghai) on which an aware instant falls: the trigger day of a
    period started by an event at ``instant``."""
    if instant.utcoffset() is None:
        raise ValueError(f"{instant.isoformat()} has no time zone: give an aware datetime")
    return instant.astimezone(LEGAL_TIMEZONE).date()


def closes_at(due_on: date) -> datetime:
    """The exclusive end of a period whose last day is ``due_on``: the start (00:00) of the next
    day in Asia/Shanghai. An act is in time iff it happened strictly before this instant."""
    return datetime.combine(due_on + _ONE_DAY, time(0), tzinfo=LEGAL_TIMEZONE)


@dataclass(frozen=True)
class Deadline:
    """The last day of a period, and whether it rests on guessed calendar data.

    ``provisional`` is True when a day the computation needed lies in a year without calendar
    data and was guessed (weekends and fixed-date holidays); ``missing_years`` names those
    years. Recompute once the year is loaded.
    """

    trigger: date
    period: Period
    due_on: date
    missing_years: tuple[int, ...] = field(default=())

    @property
    def provisional(self) -> bool:
        return bool(self.missing_years)

    @property
    def closes_at(self) -> datetime:
        """See :func:`closes_at`."""
        return closes_at(self.due_on)

    def is_met_by(self, instant: datetime) -> bool:
        """Whether an act at ``instant`` (timezone-aware) is within the period."""
        if instant.utcoffset() is None:
            raise ValueError(f"{instant.isoformat()} has no time zone: give an aware datetime")
        return instant < self.closes_at


FIXED_DATE_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})
"""The statutory holidays on fixed Gregorian dates (全国年节及纪念日放假办法, as revised in
2024): New Year's Day, Labour Day (two days) and National Day (three days). A year without
official data is guessed from weekends and these; the lunar holidays (Spring Festival,
Qingming, Dragon Boat, Mid-Autumn) and the bridged rest and make-up days cannot be guessed, so
the result stays provisional until the year is loaded."""


class _DayClassifier:
    """Whether a day is a working day: strict, or falling back to weekends for missing years."""

    def __init__(self, calendar: LegalCalendar, *, allow_provisional: bool) -> None:
        self._calendar = calendar
        self._allow_provisional = allow_provisional
        self.missing_years: set[int] = set()

    def is_working_day(self, day: date) -> bool:
        try:
            return self._calendar.is_working_day(day)
        except CalendarYearMissing as missing:
            if not self._allow_provisional:
                raise
            self.missing_years.add(missing.year)
            return day.weekday() < 5 and (day.month, day.day) not in FIXED_DATE_HOLIDAYS

    def first_working_day_from(self, day: date) -> date:
        """``day`` itself if it is a working day, else the first working day after it
        (CPL Art. 105: 以节假日后的第一日为期满日期)."""
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day


def add_months(start: date, months: int) -> date:
    """The last day of a period of ``months`` months beginning on ``start`` (start not counted).

    Same day of the target month; the last day of the target month when that day does not exist
    or when ``start`` is the last day of its month (SPC CPL Interpretation). No holiday rule here.
    """
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last_day = _gregorian.monthrange(year, month)[1]
    start_is_month_end = start.day == _gregorian.monthrange(start.year, start.month)[1]
    return date(year, month, last_day if start_is_month_end else min(start.day, last_day))


def compute_deadline(
    trigger: date,
    period: Period,
    calendar: LegalCalendar,
    *,
    allow_provisional: bool = False,
) -> Deadline:
    """The deadline of ``period`` started by an event on ``trigger`` (the trigger day not counted).

    Strict by default: raises :class:`CalendarYearMissing` if a day the answer depends on lies in
    a year without data. With ``allow_provisional=True`` such days are classified by weekends
    alone and the result is marked provisional.
    """
    if isinstance(trigger, datetime):
        # A datetime is a date subclass and would silently yield a datetime "due date" in
        # whatever zone it carries; the trigger day is a legal (Asia/Shanghai) date.
        raise TypeError("trigger must be a date: use legal_date(instant) for an event's instant")
    days = _DayClassifier(calendar, allow_provisional=allow_provisional)
    match period:
        case CalendarDays(days=n):
            due_on = days.first_working_day_from(trigger + timedelta(days=n))
        case WorkingDays(days=n):
            due_on = trigger
            for _ in range(n):
                due_on = days.first_working_day_from(due_on + _ONE_DAY)
        case Months(months=n, extra_days=extra):
            last_day = add_months(trigger, n) + timedelta(days=extra)
            due_on = days.first_working_day_from(last_day)
        case _:
            assert_never(period)
    return Deadline(
        trigger=trigger,
        period=period,
        due_on=due_on,
        missing_years=tuple(sorted(days.missing_years)),
    )


def due_within_days(trigger: date, days: int, calendar: LegalCalendar) -> date:
    """Last day of "within ``days`` days" (CPL Art. 105), strict. See :func:`compute_deadline`."""
    return compute_deadline(trigger, CalendarDays(days), calendar).due_on


def due_within_working_days(trigger: date, days: int, calendar: LegalCalendar) -> date:
    """Last day of "within ``days`` working days" (Measures Art. 8), strict."""
    return compute_deadline(trigger, WorkingDays(days), calendar).due_on


def due_after_months(
    trigger: date, months: int, calendar: LegalCalendar, extra_days: int = 0
) -> date:
    """Last day of "within ``months`` months [+ ``extra_days``]" (CPL Art. 172, 175), strict."""
    return compute_deadline(trigger, Months(months, extra_days), calendar).due_on
