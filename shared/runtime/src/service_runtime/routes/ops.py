"""Operators' endpoints shared by every service: dead letters, the legal calendar."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict

from defense_messaging.dead_letters import (
    AlreadyReplayed,
    DeadLetter,
    DeadLetterNotFound,
    list_dead_letters,
    replay_dead_letter,
)
from legal_calendar import CalendarYear, InvalidCalendarYear, parse_calendar_year
from service_runtime.calendar_events import OWNER_SERVICE, CalendarRole, publish_calendar_year
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
from service_runtime.etags import PRECONDITION_RESPONSES, IfMatch, tag
from service_runtime.paging import Page, Paging
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


@router.get("/dead-letters", summary="Dead letters this service filed, oldest first (by id)")
async def get_dead_letters(
    runtime: RuntimeDep,
    session: SessionDep,
    paging: Paging,
    include_replayed: bool = False,
) -> Page[DeadLetterView]:
    letters = await list_dead_letters(
        session,
        runtime.tables,
        include_replayed=include_replayed,
        limit=paging.limit + 1,
        after_id=paging.after[0] if paging.after else None,
    )
    views = [DeadLetterView.of(letter) for letter in letters]
    return paging.page(paging.take(views, key=lambda view: (view.id,)))


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
    summary="Outbox rows the broker refused for good (too large …), which the relay set "
    "aside, by id",
)
async def get_parked_outbox_rows(
    runtime: RuntimeDep, session: SessionDep, paging: Paging
) -> Page[ParkedOutboxRow]:
    outbox = runtime.tables.outbox
    rows = await paging.fetch(
        session,
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
        ).where(outbox.c.parked_at.is_not(None), outbox.c.published_at.is_(None)),
        [outbox.c.id],
    )
    # The size the broker refused: the event's, not its sealed form's.
    return paging.page(
        [
            ParkedOutboxRow(
                **{k: v for k, v in row._mapping.items() if k in ParkedOutboxRow.model_fields},
                size_bytes=OutboxSealer.published_size(bytes(row.head), row.stored_bytes),
            )
            for row in rows
        ]
    )


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


@router.get("/calendar", summary="Years the legal calendar holds, with their source, by year")
async def get_calendar(runtime: RuntimeDep, paging: Paging) -> Page[CalendarYearSummary]:
    years = [
        CalendarYearSummary(
            year=data.year,
            holidays=len(data.holidays),
            makeup_workdays=len(data.makeup_workdays),
            source=data.source,
        )
        for data in runtime.calendar.years.values()
    ]
    return paging.page(paging.slice(years, key=lambda summary: (summary.year,)))


class CalendarYearView(BaseModel):
    """One year of the calendar as the service uses it (what ``PUT`` loads, read back)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "year": 2026,
                    "holidays": ["2026-01-01", "2026-02-16", "2026-02-17", "2026-10-01"],
                    "makeup_workdays": ["2026-02-14", "2026-09-27"],
                    "source": "国务院办公厅关于2026年部分节假日安排的通知",
                }
            ]
        }
    )

    year: int
    holidays: list[date]
    makeup_workdays: list[date]
    source: str

    @classmethod
    def of(cls, data: CalendarYear) -> CalendarYearView:
        return cls(
            year=data.year,
            holidays=sorted(data.holidays),
            makeup_workdays=sorted(data.makeup_workdays),
            source=data.source,
        )


@router.get(
    "/calendar/{year}",
    summary="One year of the legal calendar as the service uses it, with its ETag",
    description="The year as deadlines are counted now (an operator's upload, else the bundled "
    "data); its `ETag` guards a correction (`If-Match` on `PUT /ops/calendar/{year}`).",
    responses=ERROR_RESPONSES,
)
async def get_calendar_year(
    year: Annotated[int, Path(ge=1900, le=2200)], runtime: RuntimeDep, response: Response
) -> CalendarYearView:
    found = runtime.calendar.years.get(year)
    if found is None:
        raise NotFound("calendar year", year)
    view = CalendarYearView.of(found)
    tag(response, view)
    return view


@router.put(
    "/calendar/{year}",
    summary="Load or correct one year's official holiday calendar (no release needed)",
    responses={
        **ERROR_RESPONSES,
        409: {"description": "This service follows the procuratorate's calendar: load it there"},
        **PRECONDITION_RESPONSES,
    },
)
async def put_calendar_year(
    # The dates an event may carry end with 2199 (defense_schemas.fields.Day).
    year: Annotated[int, Path(ge=1900, le=2199)],
    calendar_year: CalendarYear,
    runtime: RuntimeDep,
    session: SessionDep,
    preconditions: IfMatch,
) -> CalendarYearSummary:
    if runtime.definition.calendar is CalendarRole.FOLLOWER:
        # Two places loading one year would leave the services counting on different days.
        raise Conflict(
            f"the legal calendar is loaded at the {OWNER_SERVICE} (PUT /ops/calendar/{year} "
            f"there); {runtime.definition.name} follows its LegalCalendarYearLoaded events"
        )
    if preconditions.if_match is not None:
        calendar = runtime.definition.tables.legal_calendar
        stored = await session.scalar(
            sa.select(calendar.c.data).where(calendar.c.year == year).with_for_update()
        )
        # An upload wins over the bundled year; the bundled one is what a year never uploaded is.
        current = (
            parse_calendar_year(stored) if stored is not None else runtime.calendar.years.get(year)
        )
        preconditions.check(CalendarYearView.of(current) if current is not None else None)
    if calendar_year.year != year:
        raise InvalidInput(f"body is for {calendar_year.year}, path says {year}", field="year")
    try:
        checked = parse_calendar_year(calendar_year.to_json())
    except InvalidCalendarYear as exc:
        raise InvalidInput(str(exc), field="") from None
    revision, loaded_at = await store_calendar_year(
        session, runtime.definition.tables.legal_calendar, checked
    )
    if runtime.definition.calendar is CalendarRole.OWNER:
        await publish_calendar_year(
            runtime, session, checked, revision=revision, loaded_at=loaded_at
        )
    # Every replica (this one included) re-reads the calendar and recomputes what it settles.
    await announce_calendar_change(session, checked.year)
    await session.commit()
    await runtime.reload_calendar()
    preconditions.tag(CalendarYearView.of(checked))
    return CalendarYearSummary(
        year=checked.year,
        holidays=len(checked.holidays),
        makeup_workdays=len(checked.makeup_workdays),
        source=checked.source,
    )
