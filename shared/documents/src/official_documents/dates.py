"""成文日期: the date of issue written in Chinese numerals (二〇二六年十一月三十日)."""

from __future__ import annotations

from datetime import date

DIGITS = "〇一二三四五六七八九"


def _small_number(n: int) -> str:
    """1–31 the way a date reads them: 十, 十一, 二十, 三十一."""
    tens, units = divmod(n, 10)
    if tens == 0:
        return DIGITS[units]
    head = "" if tens == 1 else DIGITS[tens]
    return f"{head}十{DIGITS[units] if units else ''}"


def chinese_date(day: date) -> str:
    """The year digit by digit with 〇 for zero; month and day as counted numbers."""
    year = "".join(DIGITS[int(d)] for d in f"{day.year:04d}")
    return f"{year}年{_small_number(day.month)}月{_small_number(day.day)}日"
