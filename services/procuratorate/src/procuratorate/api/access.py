"""Who may use the procuratorate's API (issue 7): its own staff, and each only for the cases of
their own unit (承办检察院).

Function level: every router admits ``procuratorate_staff`` only (``STAFF``). Object level: a
route under ``/cases/{case_id}`` first checks, in one query, that the case belongs to the
caller's unit; another unit's case is a 404, exactly like a case that does not exist, so its
existence is not disclosed. Lists (the ledger, statistics) filter by the unit in their query.

Every write route's workflow begins by locking the case row; for a write the check's query
takes that lock and hands the row to the use case (``uow.cases``), so the case is read
once, not twice.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import sqlalchemy as sa
from fastapi import Depends, Request

from procuratorate.db.tables import cases
from procuratorate.unit_of_work import ProcuratorateUnitOfWork
from service_runtime.deps import get_unit_of_work
from service_runtime.errors import NotFound
from service_runtime.security.deps import require_roles
from service_runtime.security.principal import Principal, Role

UnitOfWorkDep = Annotated[ProcuratorateUnitOfWork, Depends(get_unit_of_work, scope="function")]
"""The request's unit of work: one per request, shared by the access check and the route."""

STAFF = require_roles(Role.PROCURATORATE_STAFF)
Staff = Annotated[Principal, STAFF]


_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def case_of_callers_unit(
    case_id: UUID, staff: Staff, uow: UnitOfWorkDep, request: Request
) -> UUID:
    query = sa.select(cases).where(
        cases.c.case_id == case_id, cases.c.procuratorate_unit == staff.agency
    )
    write = request.method in _WRITES
    if write:
        query = query.with_for_update()
    row = (await uow.session.execute(query)).one_or_none()
    if row is None:
        raise NotFound("case", case_id)
    if write:
        uow.cases.hand_over_locked(row)
    return case_id


IN_CALLERS_UNIT = Depends(case_of_callers_unit)
