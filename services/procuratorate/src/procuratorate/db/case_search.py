"""Finding cases (``GET /cases``): by transfer number, a suspect's exact name (through its keyed
hash: the name stays sealed), review status, district and receipt period, in the caller's unit
only — or, for a defense lawyer, among the cases where they defend a suspect, showing only
those suspects — one page at a time by (received_at, case_id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from defense_schemas.vocabulary import DefenseStatus
from legal_calendar import LEGAL_TIMEZONE
from procuratorate.db.personal import name_hash, open_name
from procuratorate.db.tables import cases, defenders, suspects
from procuratorate.domain.statuses import ReviewStatus
from procuratorate.unit_of_work import ProcuratorateUnitOfWork
from service_runtime.paging import PageRequest


@dataclass(frozen=True)
class CaseCriteria:
    procuratorate_unit: str | None
    """The staff's unit; None for a lawyer, whose cases are those of ``defended_by``."""
    defended_by: UUID | None = None
    """A lawyer's account: only the suspects they defend now (appointed or retained)."""
    transfer_number: str | None = None
    suspect_name: str | None = None
    status: ReviewStatus | None = None
    district: str | None = None
    received_from: date | None = None
    received_to: date | None = None  # inclusive


DEFENDING = (
    DefenseStatus.APPOINTED_ON_NOTICE.value,
    DefenseStatus.APPOINTED_ON_APPLICATION.value,
    DefenseStatus.RETAINED.value,
)
"""A duty lawyer gives legal help, not a defense (Measures Art. 15): no reading rights."""


@dataclass(frozen=True)
class FoundSuspect:
    suspect_id: Any
    name: str
    defense_status: str


@dataclass(frozen=True)
class FoundCase:
    row: Any
    suspects: list[FoundSuspect]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=LEGAL_TIMEZONE)


async def search_cases(
    uow: ProcuratorateUnitOfWork, criteria: CaseCriteria, page: PageRequest
) -> list[FoundCase]:
    query = sa.select(cases)
    defended = None
    if criteria.defended_by is not None:
        # The rule of api/access.py's case_readable_by_caller, as a predicate of the query.
        defended = (
            sa.select(defenders.c.suspect_id)
            .where(
                defenders.c.lawyer_id == criteria.defended_by,
                defenders.c.ended_at.is_(None),
                defenders.c.kind.in_(DEFENDING),
            )
            .scalar_subquery()
        )
        query = query.where(
            sa.exists().where(
                suspects.c.case_id == cases.c.case_id, suspects.c.suspect_id.in_(defended)
            )
        )
    else:
        query = query.where(cases.c.procuratorate_unit == criteria.procuratorate_unit)
    if criteria.transfer_number is not None:
        query = query.where(cases.c.transfer_number == criteria.transfer_number)
    if criteria.suspect_name is not None:
        query = query.where(
            sa.exists().where(
                suspects.c.case_id == cases.c.case_id,
                suspects.c.name_hash == name_hash(uow.cipher, criteria.suspect_name),
            )
        )
    if criteria.status is not None:
        query = query.where(cases.c.review_status == criteria.status.value)
    if criteria.district is not None:
        query = query.where(cases.c.district == criteria.district)
    if criteria.received_from is not None:
        query = query.where(cases.c.received_at >= _start_of(criteria.received_from))
    if criteria.received_to is not None:
        query = query.where(
            cases.c.received_at < _start_of(criteria.received_to + timedelta(days=1))
        )
    rows = await page.fetch(uow.session, query, [cases.c.received_at, cases.c.case_id])
    if not rows:
        return []
    suspect_rows = (
        await uow.session.execute(
            sa.select(
                suspects.c.case_id,
                suspects.c.suspect_id,
                suspects.c.name,
                suspects.c.defense_status,
            )
            .where(
                suspects.c.case_id.in_([row.case_id for row in rows]),
                suspects.c.suspect_id.in_(defended) if defended is not None else sa.true(),
            )
            .order_by(suspects.c.case_id, suspects.c.position)
        )
    ).all()
    by_case: dict[Any, list[FoundSuspect]] = {}
    for s in suspect_rows:
        by_case.setdefault(s.case_id, []).append(
            FoundSuspect(s.suspect_id, open_name(uow.cipher, s), s.defense_status)
        )
    return [FoundCase(row, by_case.get(row.case_id, [])) for row in rows]
