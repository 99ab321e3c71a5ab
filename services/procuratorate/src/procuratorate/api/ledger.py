"""The work ledger (工作台账) and its statistics, one definition for every district and period
(notice §三–四; domain "The work ledger and statistics"), and the ledger's XLSX export."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date, datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from defense_schemas.vocabulary import DefenseStatus, Ground
from legal_calendar import LEGAL_TIMEZONE
from official_documents import content_disposition
from procuratorate.api import examples as x
from procuratorate.api.access import STAFF, Staff, UnitOfWorkDep
from procuratorate.api.examples import examples
from procuratorate.api.views import DeadlineView
from procuratorate.db.repository import DueDay
from procuratorate.domain.ledger import LedgerLine, Urgency, ledger_workbook, urgency
from procuratorate.domain.statistics import (
    Granularity,
    Statistics,
    compute_statistics,
    group_statistics,
)
from procuratorate.workflow.ledger import LedgerFilter, load_ledger, load_statistics
from service_runtime.api_types import ApiDate
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES, InvalidInput
from service_runtime.paging import Page, Paging

router = APIRouter(
    tags=["ledger"], responses={**ERROR_RESPONSES, **AUTH_RESPONSES}, dependencies=[STAFF]
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def ledger_filter(
    staff: Staff,
    district: Annotated[str | None, Query(description="Only this district (所属区).")] = None,
    status: Annotated[
        DefenseStatus | None, Query(description="Only suspects with this defense status.")
    ] = None,
    received_from: Annotated[
        ApiDate | None, Query(description="Cases received on or after this day (Asia/Shanghai).")
    ] = None,
    received_to: Annotated[
        ApiDate | None, Query(description="Cases received on or before this day (Asia/Shanghai).")
    ] = None,
    overdue: Annotated[
        bool | None,
        Query(
            description="true: only suspects with a clock (theirs or the case's review period) "
            "open past its deadline; false: only those without."
        ),
    ] = None,
) -> LedgerFilter:
    if received_from and received_to and received_from > received_to:
        raise InvalidInput("the period ends before it starts", field="received_to", where="query")
    return LedgerFilter(
        # The caller's own unit only: the ledger is the unit's (issue 7, object level).
        procuratorate_unit=staff.agency,
        district=district,
        status=status,
        received_from=received_from,
        received_to=received_to,
        overdue=overdue,
    )


FilterDep = Annotated[LedgerFilter, Depends(ledger_filter)]


class LedgerClockView(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.LEDGER_CLOCK))

    kind: str
    scope: str = Field(description="`suspect`, or `case` for the review period.")
    subject: str | None
    trigger_on: date
    due_on: date
    closes_at: datetime
    provisional: bool = Field(description="Counted on a guessed calendar: recounted on loading.")
    missing_years: list[int] = Field(description="The years without an official calendar.")
    met_at: datetime | None
    outcome: str | None = Field(description="met, met_late, cancelled, lapsed; null while open.")
    overdue: bool = Field(description="Open past its deadline now.")


class LedgerDefenderView(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.LEDGER_DEFENDER))

    kind: str
    name: str
    firm: str | None
    contact: str | None
    started_at: datetime
    reply_number: str | None = Field(
        None,
        description="For an appointed lawyer: the number of the center's reply that named them "
        "(函告, Measures Art. 4).",
    )


class LedgerRow(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.LEDGER_ROW))

    case_id: UUID
    transfer_number: str
    procuratorate_unit: str
    district: str
    received_at: datetime
    review_status: str
    review_deadline: DeadlineView | None
    suspect_id: UUID
    suspect_name: str
    defense_status: DefenseStatus
    grounds: list[Ground]
    in_mandatory_scope: bool
    current_defender: LedgerDefenderView | None
    clocks: list[LedgerClockView]
    terminations: list[str] = Field(description="Reasons of every termination of aid.")
    overdue: bool


def ledger_row(line: LedgerLine) -> LedgerRow:
    data = asdict(line)
    data.pop("appointments")
    missing = data.pop("review_deadline_missing_years")
    if line.review_deadline is not None:
        data["review_deadline"] = DeadlineView.model_validate(
            DueDay(line.review_deadline, tuple(missing))
        )
    return LedgerRow(**data, in_mandatory_scope=line.in_mandatory_scope, overdue=line.overdue)


@router.get(
    "/ledger",
    summary="The work ledger (工作台账): every suspect's defense status, grounds and clocks",
)
async def get_ledger(criteria: FilterDep, uow: UnitOfWorkDep, paging: Paging) -> Page[LedgerRow]:
    lines = await load_ledger(uow, criteria, uow.now(), paging)
    return paging.page([ledger_row(line) for line in lines])


class DueClockView(BaseModel):
    """An open clock of the unit, with the case and suspect it belongs to (今日工作)."""

    model_config = ConfigDict(json_schema_extra=examples(x.DUE_CLOCK))

    clock_id: UUID
    kind: str
    subject: str | None
    trigger_on: date
    due_on: date = Field(description="The last day (Asia/Shanghai), holidays counted.")
    closes_at: datetime = Field(description="The exclusive close: 00:00 after the due day.")
    provisional: bool = Field(description="Counted on a guessed calendar: recounted on loading.")
    missing_years: list[int] = Field(description="The years without an official calendar.")
    urgency: Urgency = Field(
        description="`overdue` (open past its close), `due_today`, `approaching` (due within "
        "`approaching_days` days after today), or `later`; legal days, Asia/Shanghai."
    )
    case_id: UUID
    transfer_number: str
    district: str
    suspect_id: UUID | None = Field(description="Null for the case's review period.")
    suspect_name: str | None = Field(description="Null for the case's review period.")


@router.get(
    "/deadlines",
    summary="Today's work (今日工作): the unit's open clocks by legal due day, overdue first",
    description="Every open statutory clock of the caller's unit — each suspect's (rights "
    "notification, letter, assignment, file review, …) and each case's review period — "
    "ordered by (due_on, closes_at, clock_id), so what is overdue comes first, then what is "
    "due today, then what approaches. `due_to` keeps those due on or before a day (e.g. "
    "tomorrow, for what needs doing now). Each item's `urgency` is judged at the time of the "
    "request.",
)
async def get_deadlines(
    staff: Staff,
    uow: UnitOfWorkDep,
    paging: Paging,
    due_to: Annotated[
        ApiDate | None,
        Query(description="Only clocks due on or before this day (Asia/Shanghai)."),
    ] = None,
    approaching_days: Annotated[
        int,
        Query(ge=1, le=30, description="Days after today that count as approaching."),
    ] = 1,
) -> Page[DueClockView]:
    now = uow.now()
    rows = await uow.cases.open_clocks(staff.agency or "", paging, due_to=due_to)
    return paging.page(
        [
            DueClockView(
                clock_id=row.clock_id,
                kind=row.kind,
                subject=row.subject,
                trigger_on=row.trigger_on,
                due_on=row.due_on,
                closes_at=row.closes_at,
                provisional=row.provisional,
                missing_years=row.missing_years,
                urgency=urgency(row.due_on, row.closes_at, now, approaching_days),
                case_id=row.case_id,
                transfer_number=row.transfer_number,
                district=row.district,
                suspect_id=row.suspect_id,
                suspect_name=uow.cases.suspect_name(row) if row.suspect_id else None,
            )
            for row in rows
        ]
    )


class ClockRateView(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.CLOCK_RATE))

    kind: str
    settled: int = Field(description="Clocks met, on time or late (cancelled ones excluded).")
    on_time: int
    overdue_open: int = Field(description="Clocks still open past their deadline.")
    on_time_rate: float | None = Field(description="on_time / settled; null when none settled.")


class LawyerLoadView(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.LAWYER_LOAD))

    lawyer: str
    appointments: int
    active: int


class StatisticsView(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.STATISTICS))

    suspects: int
    covered: int = Field(description="Suspects with any defense status but `none`.")
    coverage_rate: float | None
    mandatory_scope: int = Field(description="Suspects with at least one ground.")
    mandatory_covered: int = Field(
        description="Of those, with a defense lawyer or permitted self-defense (a duty lawyer "
        "does not satisfy the mandatory scope)."
    )
    mandatory_coverage_rate: float | None
    by_status: dict[str, int]
    clocks: list[ClockRateView] = Field(description="On-time rate per clock kind.")
    terminations: dict[str, int] = Field(description="Terminations of aid by reason.")
    lawyer_workload: list[LawyerLoadView] = Field(
        description="Appointments per appointed lawyer (name and firm)."
    )


def statistics_view(stats: Statistics) -> StatisticsView:
    return StatisticsView(
        suspects=stats.suspects,
        covered=stats.covered,
        coverage_rate=stats.coverage_rate,
        mandatory_scope=stats.mandatory_scope,
        mandatory_covered=stats.mandatory_covered,
        mandatory_coverage_rate=stats.mandatory_coverage_rate,
        by_status=stats.by_status,
        clocks=[
            ClockRateView(
                kind=rate.kind,
                settled=rate.settled,
                on_time=rate.on_time,
                overdue_open=rate.overdue_open,
                on_time_rate=rate.on_time_rate,
            )
            for rate in stats.clocks
        ],
        terminations=stats.terminations,
        lawyer_workload=[LawyerLoadView(**asdict(load)) for load in stats.lawyer_workload],
    )


class StatisticsGroupView(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.STATISTICS_GROUP))

    district: str
    period: str = Field(description="e.g. 2026-03, 2026-Q1, 2026, or all.")
    statistics: StatisticsView


class StatisticsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.STATISTICS_OUT))

    granularity: Granularity
    total: StatisticsView = Field(description="Every suspect the filter selects.")
    groups: list[StatisticsGroupView] = Field(description="By district and period.")


GranularityQuery = Annotated[
    Granularity, Query(description="The period suspects are grouped by (case receipt date).")
]


@router.get(
    "/statistics",
    summary="Coverage, on-time rate per clock, terminations and lawyer workload, by district "
    "and period",
)
async def get_statistics(
    criteria: FilterDep, uow: UnitOfWorkDep, granularity: GranularityQuery = Granularity.MONTH
) -> StatisticsOut:
    total, groups = await load_statistics(uow, criteria, uow.now(), granularity)
    return StatisticsOut(
        granularity=granularity,
        total=statistics_view(total),
        groups=[
            StatisticsGroupView(
                district=group.district,
                period=group.period,
                statistics=statistics_view(group.statistics),
            )
            for group in groups
        ],
    )


@router.get(
    "/ledger.xlsx",
    summary="The ledger as an XLSX workbook (工作台账, 期限明细, 统计, 律师承办量)",
    description="Chinese labels, Beijing-time date cells, rates as percentages, statistics as "
    "a table (a row per district and period, a column per measure, and the total), "
    "autofilter, frozen header, printed landscape on A4 fitted to the width. Downloaded as "
    "工作台账-<date>.xlsx (RFC 6266 `filename*`).",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The workbook"}},
)
async def get_ledger_xlsx(
    criteria: FilterDep, uow: UnitOfWorkDep, granularity: GranularityQuery = Granularity.MONTH
) -> Response:
    at = uow.now()
    workbook = await _workbook(uow, criteria, granularity, title=None)
    day = at.astimezone(LEGAL_TIMEZONE).date().isoformat()
    return Response(
        workbook,
        media_type=XLSX,
        headers={
            "Content-Disposition": content_disposition(f"工作台账-{day}.xlsx", f"ledger-{day}.xlsx")
        },
    )


async def _workbook(
    uow: UnitOfWorkDep, criteria: LedgerFilter, granularity: Granularity, title: str | None
) -> bytes:
    at = uow.now()
    lines = await load_ledger(uow, criteria, at)
    records = [line.record() for line in lines]
    groups = [
        (g.district, g.period, g.statistics) for g in group_statistics(records, at, granularity)
    ]
    return ledger_workbook(lines, groups, total=compute_statistics(records, at), title=title)


MonthQuery = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$",
        description="The month reported, YYYY-MM (cases received in it, Beijing time); or give "
        "`received_from` and `received_to` instead.",
        examples=["2026-11"],
    ),
]


@router.get(
    "/ledger/report.xlsx",
    summary="The monthly report (律师辩护全覆盖工作月报) for a chosen month or period, XLSX",
    description="The statistics of the caller's unit for the cases received in the period, a "
    "row per district and the total, under the report's title, then the ledger's sheets for "
    "the same cases. `month=YYYY-MM`, or `received_from`/`received_to` (400 naming `month` "
    "when both or neither are given).",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The report"}},
)
async def get_monthly_report(
    criteria: FilterDep, uow: UnitOfWorkDep, staff: Staff, month: MonthQuery = None
) -> Response:
    ranged = criteria.received_from is not None or criteria.received_to is not None
    if month is not None and ranged:
        raise InvalidInput(
            "give month, or received_from/received_to, not both", field="month", where="query"
        )
    if month is None and not ranged:
        raise InvalidInput("the report needs a month or a period", field="month", where="query")
    if month is not None:
        first = date.fromisoformat(f"{month}-01")
        last = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
        criteria = replace(criteria, received_from=first, received_to=last)
        caption = f"{first.year}年{first.month}月"
        name = f"律师辩护全覆盖工作月报-{month}"
    else:
        caption = f"{_day(criteria.received_from) or '……'}至{_day(criteria.received_to) or '今'}"
        name = (
            f"律师辩护全覆盖工作统计-{criteria.received_from or ''}至{criteria.received_to or ''}"
        )
    title = f"{staff.agency}审查起诉阶段律师辩护全覆盖工作统计表（{caption}）"
    workbook = await _workbook(uow, criteria, Granularity.ALL, title=title)
    return Response(
        workbook,
        media_type=XLSX,
        headers={"Content-Disposition": content_disposition(f"{name}.xlsx", "report.xlsx")},
    )


def _day(day: date | None) -> str | None:
    return f"{day.year}年{day.month}月{day.day}日" if day else None
