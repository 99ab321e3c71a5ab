"""Who may use the legal aid center's API (issue 7).

Function level: the center's staff use every route; a lawyer reaches only the assignment
routes that are about their own work (the assignment, its activity log) — and only for the
suspects assigned to them: another lawyer's assignment is a 404, inside the query.

Not yet object-level by center: one aid-center service serves one center's deployment; a
multi-center deployment needs the center on notices and applications first.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import sqlalchemy as sa
from fastapi import Depends

from aid_center.db.tables import assignments
from service_runtime.deps import SessionDep
from service_runtime.errors import NotFound
from service_runtime.security.deps import require_roles
from service_runtime.security.principal import Principal, Role

STAFF = require_roles(Role.AID_CENTER_STAFF)
STAFF_OR_LAWYER = require_roles(Role.AID_CENTER_STAFF, Role.LAWYER)
StaffOrLawyer = Annotated[Principal, STAFF_OR_LAWYER]


def lawyer_uuid(principal: Principal) -> UUID | None:
    """The roster id of a lawyer caller; None for staff. A malformed id matches nothing."""
    if principal.role is not Role.LAWYER:
        return None
    try:
        return UUID(principal.lawyer_id or "")
    except ValueError:
        return UUID(int=0)


async def assignment_of_caller(
    assignment_id: UUID, principal: StaffOrLawyer, session: SessionDep
) -> UUID:
    lawyer_id = lawyer_uuid(principal)
    if lawyer_id is not None:
        found = await session.scalar(
            sa.select(assignments.c.assignment_id).where(
                assignments.c.assignment_id == assignment_id,
                assignments.c.lawyer_id == lawyer_id,
            )
        )
        if found is None:
            raise NotFound("assignment", assignment_id)
    return assignment_id


OWN_ASSIGNMENT = Depends(assignment_of_caller)
