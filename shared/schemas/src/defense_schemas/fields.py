"""Constrained field types shared by every contract.

Strings are stripped and must be non-empty, with a length bound that fits what they hold;
sequences are tuples so a frozen event is immutable all the way down.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date, datetime
from typing import Annotated, TypeVar

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints
from pydantic_core import PydanticCustomError


def _text(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


PersonName = Annotated[str, _text(100)]
"""A person's name as written on documents (姓名)."""

OrgName = Annotated[str, _text(200)]
"""An organisation's name, e.g. 天津市河东区人民检察院 or 天津市河东区法律援助中心."""

District = Annotated[str, _text(50)]
"""A district's code or name, e.g. 河东区."""

Charge = Annotated[str, _text(100)]
"""A suspected crime (罪名), e.g. 盗窃罪."""

Place = Annotated[str, _text(300)]
"""A place: a detention center's name or an address."""

ContactInfo = Annotated[str, _text(200)]
"""How to reach someone (联系方式): a phone number, e-mail address or postal address."""

Reference = Annotated[str, _text(100)]
"""An identifier issued by someone else: a document number, a recording reference."""

IdentityNumber = Annotated[str, _text(64)]
"""An identity document number: resident ID (居民身份证号码) or passport number."""

ShortText = Annotated[str, _text(200)]
"""A label or one-line description."""

Fen = Annotated[int, Field(ge=0, le=100_000_000)]
"""An amount of money in fen (分, 1/100 yuan), an integer: never a float."""

Note = Annotated[str, _text(4000)]
"""Free text: a reason, an explanation, findings."""

DocumentText = Annotated[str, _text(50_000)]
"""The rendered text of an official document."""

EventTypeName = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Z][A-Za-z0-9]*$")
]
"""An event type: PascalCase, past tense, e.g. `CaseReceived`."""


EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)
_OUT_OF_RANGE = f"must lie between {EARLIEST.isoformat()} and {LATEST.isoformat()}"


def _bounded_date(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise PydanticCustomError("date_out_of_range", "the date " + _OUT_OF_RANGE)
    return value


def _bounded_instant(value: datetime) -> datetime:
    # The calendar day as written: with any offset (±14 h) the instant stays far from the edges.
    if not EARLIEST <= value.date() <= LATEST:
        raise PydanticCustomError("datetime_out_of_range", "the instant " + _OUT_OF_RANGE)
    return value


Day = Annotated[
    date,
    AfterValidator(_bounded_date),
    Field(
        json_schema_extra={
            "formatMinimum": EARLIEST.isoformat(),
            "formatMaximum": LATEST.isoformat(),
        }
    ),
]
"""A calendar day a case can involve: 1900-01-01 to 2199-12-31. Python's ``date`` takes years
1 to 9999, and the statutory arithmetic on the edges (a deadline days after 9999-12-31, an age
from year 1) overflows; no birth, custody or review date of a living case lies outside."""

Instant = Annotated[
    AwareDatetime,
    AfterValidator(_bounded_instant),
    Field(
        json_schema_extra={
            "formatMinimum": f"{EARLIEST.isoformat()}T00:00:00Z",
            "formatMaximum": f"{LATEST.isoformat()}T23:59:59Z",
        }
    ),
]
"""A moment with its UTC offset (naive times are ambiguous across services), on a day
within the bounds of :data:`Day` (``9999-12-31T23:59:59-12:00`` turned to UTC overflows)."""


H = TypeVar("H", bound=Hashable)


def _unique(items: tuple[H, ...]) -> tuple[H, ...]:
    if len(set(items)) != len(items):
        raise ValueError("items must be unique")
    return items


Unique = Annotated[
    tuple[H, ...], AfterValidator(_unique), Field(json_schema_extra={"uniqueItems": True})
]
"""A set carried as an array in its given order: duplicates are rejected."""
