"""The deadline board (期限看板): open clocks by due day (the overdue first); each caller sees the
clocks of the cases of their own agency (api/access.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from defense_schemas.vocabulary import ClockKind, ClockOutcome, ResponsibleParty
from legal_calendar import closes_at, legal_date
from notifier.api.access import BOARD_READERS, BoardReader, UnitOfWorkDep, visible_to
from notifier.db.tables import clocks
from service_runtime.errors import AUTH_RESPONSES
from service_runtime.paging import Page, Paging

router = APIRouter(
    prefix="/clocks",
    tags=["deadline watch"],
    responses=AUTH_RESPONSES,
    dependencies=[BOARD_READERS],
)


class ClockView(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "clock_id": "d2c4e6f8-0a1b-4c3d-9e5f-7a8b9c0d1e2f",
                    "case_id": "3f6c2a1e-8b4d-4c2a-9e1f-5a7b9c0d1e2f",
                    "kind": "assignment",
                    "suspect_id": "9b2e4d6f-1a3c-4e5b-8d7f-0a1b2c3d4e5f",
                    "responsible": "aid_center",
                    "agency": "天津市河东区法律援助中心",
                    "district": "河东区",
                    "started_on": "2026-03-04",
                    "due_on": "2026-03-09",
                    "provisional": False,
                    "missing_years": [],
                    "reason": "津河东检〔2026〕12号",
                    "open": True,
                    "overdue": False,
                    "days_left": 2,
                    "approaching_sent_at": "2026-03-06T09:00:00+08:00",
                    "breached_at": None,
                    "outcome": None,
                    "stopped_at": None,
                }
            ]
        }
    )

    clock_id: UUID
    case_id: UUID
    kind: ClockKind
    suspect_id: UUID | None
    responsible: ResponsibleParty
    agency: str | None = Field(description="The responsible organisation, when known.")
    district: str | None
    started_on: date
    due_on: date
    provisional: bool = Field(description="The calendar lacked a year; the due day is a guess.")
    missing_years: list[int] = Field(
        description="The years without an official calendar the due day was guessed for."
    )
    reason: str | None
    open: bool
    overdue: bool = Field(description="The period closed while the clock is open.")
    days_left: int = Field(description="Days after today until the due day; negative if overdue.")
    approaching_sent_at: datetime | None
    breached_at: datetime | None
    outcome: ClockOutcome | None
    stopped_at: datetime | None


@router.get(
    "",
    summary="The deadline board",
    description="Open clocks (or all, with `include_stopped`) by due day, then case, kind and "
    "id; an open clock is overdue once its day has passed, so the overdue ones come first among "
    "the open. The order never depends on today's date, so a client paging across midnight "
    "sees each clock once.",
    response_model=Page[ClockView],
)
async def board(
    reader: BoardReader,
    uow: UnitOfWorkDep,
    paging: Paging,
    district: Annotated[str | None, Query(description="e.g. 河东区")] = None,
    agency: Annotated[str | None, Query(description="The responsible organisation")] = None,
    responsible: ResponsibleParty | None = None,
    kind: ClockKind | None = None,
    case_id: UUID | None = None,
    include_stopped: bool = False,
) -> Page[ClockView]:
    now = uow.now()
    today = legal_date(now)
    query = sa.select(clocks).where(visible_to(reader, clocks.c.case_id))
    if not include_stopped:
        query = query.where(clocks.c.status == "open")
    for column, value in (
        (clocks.c.district, district),
        (clocks.c.agency, agency),
        (clocks.c.responsible, responsible.value if responsible else None),
        (clocks.c.kind, kind.value if kind else None),
        (clocks.c.case_id, case_id),
    ):
        if value is not None:
            query = query.where(column == value)
    # The order depends on the rows alone, never on "today": a client paging across midnight
    # would otherwise see a clock that turned overdue jump ahead of its cursor (skipped) or
    # behind it (twice). An open clock's day passed is what makes it overdue, so the open
    # overdue ones still come first among the open; the status is computed per row.
    order = [clocks.c.due_on, clocks.c.case_id, clocks.c.kind, clocks.c.clock_id]
    rows = [row._mapping for row in await paging.fetch(uow.session, query, order)]
    return paging.page(
        [
            ClockView(
                **{k: row[k] for k in ClockView.model_fields if k in row},
                open=row["status"] == "open",
                overdue=row["status"] == "open" and now >= closes_at(row["due_on"]),
                days_left=(row["due_on"] - today).days,
            )
            for row in rows
        ]
    )
