"""Who may use the procuratorate's API (issue 7): its own staff, and each only for the cases of
their own unit (承办检察院).

Function level: every router admits ``procuratorate_staff`` only (``STAFF``), but for the reads
a defense lawyer is entitled to (``READERS``: the case view, one suspect, the timeline; Measures
Art. 10, 信息共享). Object level: a route under ``/cases/{case_id}`` first checks, in one query,
that the case belongs to the caller's unit; another unit's case is a 404, exactly like a case
that does not exist, so its existence is not disclosed. A lawyer's read checks, in one query,
that the lawyer is the active defender (appointed or retained, ``defenders.lawyer_id``) of a
suspect of the case, and sees only those suspects (``CaseScope``); any other case is a 404.
Lists (the ledger, statistics) filter by the unit in their query.

Every write route's workflow begins by locking the case row; for a write the check's query
takes that lock and hands the row to the use case (``uow.cases``), so the case is read
once, not twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

import sqlalchemy as sa
from fastapi import Depends, Request

from procuratorate.db.case_search import DEFENDING
from procuratorate.db.tables import cases, defenders, suspects
from procuratorate.unit_of_work import ProcuratorateUnitOfWork
from service_runtime.deps import get_unit_of_work
from service_runtime.errors import NotFound
from service_runtime.security.deps import require_roles
from service_runtime.security.principal import Principal, Role

UnitOfWorkDep = Annotated[ProcuratorateUnitOfWork, Depends(get_unit_of_work, scope="function")]
"""The request's unit of work: one per request, shared by the access check and the route."""

STAFF = require_roles(Role.PROCURATORATE_STAFF)
Staff = Annotated[Principal, STAFF]


READERS = require_roles(Role.PROCURATORATE_STAFF, Role.LAWYER)
Reader = Annotated[Principal, READERS]

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Every route under /cases/{case_id} sends one of these: built once, values bound per request.
_CASE_OF_UNIT = sa.select(cases).where(
    cases.c.case_id == sa.bindparam("case_id", type_=sa.Uuid),
    cases.c.procuratorate_unit == sa.bindparam("unit"),
)
_CASE_OF_UNIT_LOCKED = _CASE_OF_UNIT.with_for_update()
_CASE_ID_OF_UNIT = sa.select(cases.c.case_id).where(
    cases.c.case_id == sa.bindparam("case_id", type_=sa.Uuid),
    cases.c.procuratorate_unit == sa.bindparam("unit"),
)


async def case_of_callers_unit(
    case_id: UUID, staff: Staff, uow: UnitOfWorkDep, request: Request
) -> UUID:
    write = request.method in _WRITES
    query = _CASE_OF_UNIT_LOCKED if write else _CASE_OF_UNIT
    row = (
        await uow.session.execute(query, {"case_id": case_id, "unit": staff.agency})
    ).one_or_none()
    if row is None:
        raise NotFound("case", case_id)
    if write:
        uow.cases.hand_over_locked(row)
    return case_id


IN_CALLERS_UNIT = Depends(case_of_callers_unit)


_DEFENDING = DEFENDING


@dataclass(frozen=True)
class CaseScope:
    """What of a case the caller may read: all of it (the unit's staff), or only the suspects
    the calling lawyer defends."""

    case_id: UUID
    suspect_ids: frozenset[UUID] | None = None

    def shows(self, suspect_id: UUID | None) -> bool:
        return self.suspect_ids is None or suspect_id in self.suspect_ids


async def _defended_by(uow: ProcuratorateUnitOfWork, case_id: UUID, lawyer_id: str) -> set[UUID]:
    try:
        lawyer = UUID(lawyer_id)
    except ValueError:
        return set()  # not a roster id: defends nobody here
    query = (
        sa.select(suspects.c.suspect_id)
        .join(defenders, defenders.c.suspect_id == suspects.c.suspect_id)
        .where(
            suspects.c.case_id == case_id,
            defenders.c.lawyer_id == lawyer,
            defenders.c.ended_at.is_(None),
            defenders.c.kind.in_(_DEFENDING),
        )
    )
    return set((await uow.session.execute(query)).scalars())


async def case_readable_by_caller(case_id: UUID, caller: Reader, uow: UnitOfWorkDep) -> CaseScope:
    if caller.role is Role.LAWYER:
        defended = await _defended_by(uow, case_id, caller.lawyer_id or "")
        if not defended:
            raise NotFound("case", case_id)
        return CaseScope(case_id, frozenset(defended))
    found = await uow.session.execute(_CASE_ID_OF_UNIT, {"case_id": case_id, "unit": caller.agency})
    if found.one_or_none() is None:
        raise NotFound("case", case_id)
    return CaseScope(case_id)


ReadableCase = Annotated[CaseScope, Depends(case_readable_by_caller)]
"""The case a read route answers, as far as the caller may see it (404 when not at all)."""
