"""Reading the work ledger (工作台账) out of the projection: every suspect with its defense status,
grounds, defenders, clocks and terminations, filtered by district, status, period and overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from defense_schemas.vocabulary import DefenseStatus, Ground
from legal_calendar import LEGAL_TIMEZONE
from procuratorate.domain.ledger import (
    LedgerClock,
    LedgerDefender,
    LedgerLine,
    clock_overdue,
    current_defender,
)
from procuratorate.domain.statistics import (
    APPOINTED,
    Appointment,
    Granularity,
    Group,
    Statistics,
    group_tallies,
    lawyer_label,
)
from procuratorate.unit_of_work import ProcuratorateUnitOfWork
from service_runtime.paging import PageRequest

APPOINTED_KINDS = frozenset(kind.value for kind in APPOINTED)


@dataclass(frozen=True)
class LedgerFilter:
    procuratorate_unit: str | None = None
    district: str | None = None
    status: DefenseStatus | None = None
    received_from: date | None = None
    received_to: date | None = None  # inclusive
    overdue: bool | None = None


def _start_of(day: date) -> datetime:
    """The first instant of a legal (Asia/Shanghai) date."""
    return datetime.combine(day, time(), tzinfo=LEGAL_TIMEZONE)


def _selection(criteria: LedgerFilter, now: datetime) -> dict[str, Any]:
    return {
        "procuratorate_unit": criteria.procuratorate_unit,
        "district": criteria.district,
        "status": criteria.status,
        "received_from": _start_of(criteria.received_from) if criteria.received_from else None,
        "received_before": _start_of(criteria.received_to + timedelta(days=1))
        if criteria.received_to
        else None,
        "overdue": (criteria.overdue, now) if criteria.overdue is not None else None,
    }


async def load_statistics(
    uow: ProcuratorateUnitOfWork, criteria: LedgerFilter, now: datetime, granularity: Granularity
) -> tuple[Statistics, list[Group]]:
    """The statistics of the suspects the ledger's filter selects, in total and by district
    and period: what `compute_statistics` and `group_statistics` give over the ledger's
    lines, summed by the database instead of read line by line."""
    selection = _selection(criteria, now)
    unit, district = selection.pop("procuratorate_unit"), selection.pop("district")
    if any(value is not None for value in selection.values()):
        tallies = await uow.cases.statistics_tallies(
            now, procuratorate_unit=unit, district=district, **selection
        )
    else:  # what the console asks for: kept per month (statistics_months)
        tallies = await uow.cases.statistics_by_month(
            now, procuratorate_unit=unit, district=district
        )
    return group_tallies(tallies, granularity)


async def load_ledger(
    uow: ProcuratorateUnitOfWork,
    criteria: LedgerFilter,
    now: datetime,
    page: PageRequest | None = None,
) -> list[LedgerLine]:
    """The ledger's lines by (case received_at, case_id, suspect's position in the case);
    only one page of them when ``page`` is given."""
    rows = await uow.cases.ledger_rows(**_selection(criteria, now), page=page)
    if not rows:
        return []
    case_ids = list({row.case_id for row in rows})
    suspect_ids = [row.suspect_id for row in rows]

    clock_rows = await uow.cases.clocks_of(case_ids)
    suspect_clocks: dict[Any, list[LedgerClock]] = {}
    case_clocks: dict[Any, list[LedgerClock]] = {}
    for c in clock_rows:
        clock = LedgerClock(
            clock_id=c.clock_id,
            scope="case" if c.suspect_id is None else "suspect",
            kind=c.kind,
            subject=c.subject,
            trigger_on=c.trigger_on,
            due_on=c.due_on,
            closes_at=c.closes_at,
            provisional=c.provisional,
            missing_years=tuple(c.missing_years),
            met_at=c.met_at,
            outcome=c.outcome,
            overdue=clock_overdue(c.closes_at, c.met_at, c.outcome, now),
        )
        if c.suspect_id is None:
            case_clocks.setdefault(c.case_id, []).append(clock)
        else:
            suspect_clocks.setdefault(c.suspect_id, []).append(clock)

    defender_rows = await uow.cases.defenders_of(suspect_ids)
    by_suspect: dict[Any, list[Any]] = {}
    for d in defender_rows:
        by_suspect.setdefault(d.suspect_id, []).append(d)

    terminations: dict[Any, list[str]] = {}
    for suspect_id, reason in await uow.cases.terminations_of(suspect_ids):
        terminations.setdefault(suspect_id, []).append(reason)

    lines: list[tuple[LedgerLine, Any]] = []
    for row in rows:
        mine = by_suspect.get(row.suspect_id, [])
        views = [
            LedgerDefender(
                kind=d.kind,
                name=d.name,
                firm=d.firm,
                contact=d.contact,
                started_at=d.started_at,
                reply_number=d.reply_number,
            )
            for d in mine
        ]
        line = LedgerLine(
            case_id=row.case_id,
            transfer_number=row.transfer_number,
            procuratorate_unit=row.procuratorate_unit,
            district=row.district,
            received_at=row.received_at,
            review_status=row.review_status,
            review_deadline=row.review_deadline,
            review_deadline_missing_years=tuple(row.review_deadline_missing_years),
            suspect_id=row.suspect_id,
            suspect_name=uow.cases.suspect_name(row),
            defense_status=DefenseStatus(row.defense_status),
            grounds=tuple(Ground(g) for g in row.grounds),
            current_defender=current_defender(views, [d.ended_at is not None for d in mine]),
            clocks=tuple(suspect_clocks.get(row.suspect_id, []))
            + tuple(case_clocks.get(row.case_id, [])),
            terminations=tuple(terminations.get(row.suspect_id, [])),
            appointments=tuple(
                Appointment(
                    lawyer=lawyer_label(d.name, d.firm),
                    active=d.ended_at is None,
                )
                for d in mine
                if d.kind in APPOINTED_KINDS
            ),
        )
        lines.append((line, row))
    if page is not None:
        lines = page.take(
            lines, key=lambda pair: (pair[1].received_at, pair[1].case_id, pair[1].position)
        )
    return [line for line, _ in lines]
