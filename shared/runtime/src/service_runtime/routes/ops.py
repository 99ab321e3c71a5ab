"""Operators' endpoints shared by every service: dead letters, the legal calendar."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict

from defense_messaging.dead_letters import (
    AlreadyReplayed,
    DeadLetter,
    DeadLetterNotFound,
    list_dead_letters,
    replay_dead_letter,
)
from legal_calendar import CalendarYear, InvalidCalendarYear, parse_calendar_year
from service_runtime.calendar_store import store_calendar_year
from service_runtime.calendar_watch import announce_calendar_change
from service_runtime.deps import RuntimeDep, SessionDep
from service_runtime.errors import (
    AUTH_RESPONSES,
    ERROR_RESPONSES,
    Conflict,
    InvalidInput,
    NotFound,
)
from service_runtime.security.deps import require_roles
from service_runtime.security.personal import OutboxSealer
from service_runtime.security.principal import Role

# Operators only (issue 7): dead letters hold whole events, personal data included.
router = APIRouter(
    prefix="/ops",
    tags=["operations"],
    dependencies=[require_roles(Role.OPERATOR)],
    responses=AUTH_RESPONSES,
)


# Larger numbers reach PostgreSQL as an out-of-range bigint: a 500 instead of a 422 (found by
# schemathesis).
PG_BIGINT_MAX = 2**63 - 1


class DeadLetterView(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 12,
                    "consumer": "aid-center",
                    "source_topic": "procuratorate.events",
                    "source_partition": 3,
                    "source_offset": 1047,
                    "key": "5b0e6f5e-3c1a-4f0e-9d53-0c7f2a1d9e21",
                    "event_id": "0f4b9c1e-8a2d-4d7c-b1e5-6a3f9d2c7b10",
                    "event_type": "DefenseNoticeSent",
                    "error_kind": "invalid_event",
                    "error": "payload.suspect.name: String should have at least 1 character",
                    "dead_lettered_at": "2026-03-03T02:15:09Z",
                    "replayed_at": None,
                    "value": '{"event_id": "0f4b9c1e-…", "event_type": "DefenseNoticeSent", …}',
                }
            ]
        }
    )

    id: int
    consumer: str
    source_topic: str
    source_partition: int
    source_offset: int
    key: str | None
    event_id: str | None
    event_type: str | None
    error_kind: str
    error: str
    dead_lettered_at: datetime
    replayed_at: datetime | None
    value: str

    @classmethod
    def of(cls, letter: DeadLetter) -> DeadLetterView:
        fields = {
            name: getattr(letter, name) for name in cls.model_fields if name not in ("key", "value")
        }
        # A key may hold any bytes: bytes that are not UTF-8 show as \xNN escapes.
        key = letter.key.decode("utf-8", errors="backslashreplace") if letter.key else None
        return cls(**fields, key=key, value=letter.value.decode("utf-8", errors="replace"))


@router.get("/dead-letters", summary="Dead letters this service filed, oldest first")
async def get_dead_letters(
    runtime: RuntimeDep,
    session: SessionDep,
    include_replayed: bool = False,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=PG_BIGINT_MAX),
) -> list[DeadLetterView]:
    letters = await list_dead_letters(
        session, runtime.tables, include_replayed=include_replayed, limit=limit, offset=offset
    )
    return [DeadLetterView.of(letter) for letter in letters]


@router.post(
    "/dead-letters/{dead_letter_id}/replay",
    summary="Put a dead letter back on its source topic (after fixing its cause)",
    responses=ERROR_RESPONSES,
)
async def replay(
    dead_letter_id: Annotated[int, Path(ge=1, le=PG_BIGINT_MAX)],
    runtime: RuntimeDep,
    session: SessionDep,
) -> DeadLetterView:
    try:
        letter = await replay_dead_letter(session, runtime.tables, runtime.outbox, dead_letter_id)
    except DeadLetterNotFound:
        raise NotFound("dead letter", dead_letter_id) from None
    except AlreadyReplayed:
        raise Conflict(f"dead letter {dead_letter_id} was already replayed") from None
    return DeadLetterView.of(letter)


class ParkedOutboxRow(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 88231,
                    "topic": "procuratorate.events",
                    "event_id": "0f4b9c1e-8a2d-4d7c-b1e5-6a3f9d2c7b10",
                    "size_bytes": 1200000,
                    "created_at": "2026-03-03T02:15:09Z",
                    "parked_at": "2026-03-03T02:15:10Z",
                    "attempts": 1,
                    "last_error": "MessageSizeTooLargeError",
                }
            ]
        }
    )

    id: int
    topic: str
    event_id: str | None
    size_bytes: int
    created_at: datetime
    parked_at: datetime
    attempts: int
    last_error: str | None


@router.get(
    "/outbox/parked",
    summary="Outbox rows the broker refused for good (too large …), which the relay set aside",
)
async def get_parked_outbox_rows(
    runtime: RuntimeDep,
    session: SessionDep,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=PG_BIGINT_MAX),
) -> list[ParkedOutboxRow]:
    outbox = runtime.tables.outbox
    rows = (
        await session.execute(
            sa.select(
                outbox.c.id,
                outbox.c.topic,
                sa.cast(outbox.c.event_id, sa.Text).label("event_id"),
                sa.func.length(outbox.c.value).label("stored_bytes"),
                sa.func.substring(outbox.c.value, 1, 64).label("head"),
                outbox.c.created_at,
                outbox.c.parked_at,
                outbox.c.attempts,
                outbox.c.last_error,
            )
            .where(outbox.c.parked_at.is_not(None), outbox.c.published_at.is_(None))
            .order_by(outbox.c.id)
            .limit(limit)
            .offset(offset)
        )
    ).mappings()
    # The size the broker refused: the event's, not its sealed form's.
    return [
        ParkedOutboxRow(
            **{k: v for k, v in row.items() if k not in ("head", "stored_bytes")},
            size_bytes=OutboxSealer.published_size(bytes(row["head"]), row["stored_bytes"]),
        )
        for row in rows
    ]


class CalendarYearSummary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "year": 2026,
                    "holidays": 33,
                    "makeup_workdays": 6,
                    "source": "chinese-calendar 1.11.0",
                }
            ]
        }
    )

    year: int
    holidays: int
    makeup_workdays: int
    source: str


@router.get("/calendar", summary="Years the legal calendar holds, with their source")
async def get_calendar(runtime: RuntimeDep) -> list[CalendarYearSummary]:
    return [
        CalendarYearSummary(
            year=data.year,
            holidays=len(data.holidays),
            makeup_workdays=len(data.makeup_workdays),
            source=data.source,
        )
        for data in sorted(runtime.calendar.years.values(), key=lambda data: data.year)
    ]


@router.put(
    "/calendar/{year}",
    summary="Load or correct one year's official holiday calendar (no release needed)",
    responses=ERROR_RESPONSES,
)
async def put_calendar_year(
    year: Annotated[int, Path(ge=1900, le=2200)],
    calendar_year: CalendarYear,
    runtime: RuntimeDep,
    session: SessionDep,
) -> CalendarYearSummary:
    if calendar_year.year != year:
        raise InvalidInput(f"body is for {calendar_year.year}, path says {year}", field="year")
    try:
        checked = parse_calendar_year(calendar_year.to_json())
    except InvalidCalendarYear as exc:
        raise InvalidInput(str(exc), field="") from None
    await store_calendar_year(session, runtime.definition.tables.legal_calendar, checked)
    # Every replica (this one included) re-reads the calendar and recomputes what it settles.
    await announce_calendar_change(session, checked.year)
    await session.commit()
    await runtime.reload_calendar()
    return CalendarYearSummary(
        year=checked.year,
        holidays=len(checked.holidays),
        makeup_workdays=len(checked.makeup_workdays),
        source=checked.source,
    )
