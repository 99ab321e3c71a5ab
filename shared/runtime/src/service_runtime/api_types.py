"""Field types every service's API models use for what a client sends.

Dates and instants are bounded to years a case can involve (1900–2199): Python's ``date`` and
``datetime`` accept year 1 to 9999, and arithmetic on their edges (``9999-12-31T23:59:59-12:00``
turned to UTC, a deadline 3 days after ``9999-12-31``) overflows into a 500. Out of range is a
422 naming the field, the bound in the published schema (``formatMinimum``/``formatMaximum``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field
from pydantic_core import PydanticCustomError

EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)
_OUT_OF_RANGE = f"must lie between {EARLIEST.isoformat()} and {LATEST.isoformat()}"


def _bounded_date(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise PydanticCustomError("date_out_of_range", "the date " + _OUT_OF_RANGE)
    return value


def _bounded_datetime(value: datetime) -> datetime:
    # The calendar day as written: with any offset (±14 h) the instant stays far from the edges.
    if not EARLIEST <= value.date() <= LATEST:
        raise PydanticCustomError("datetime_out_of_range", "the instant " + _OUT_OF_RANGE)
    return value


ApiDate = Annotated[
    date,
    AfterValidator(_bounded_date),
    Field(
        json_schema_extra={
            "formatMinimum": EARLIEST.isoformat(),
            "formatMaximum": LATEST.isoformat(),
        }
    ),
]
# An instant must say its offset: a bare local time is ambiguous across services.
ApiDatetime = Annotated[
    AwareDatetime,
    AfterValidator(_bounded_datetime),
    Field(
        json_schema_extra={
            "formatMinimum": f"{EARLIEST.isoformat()}T00:00:00Z",
            "formatMaximum": f"{LATEST.isoformat()}T23:59:59Z",
        }
    ),
]
