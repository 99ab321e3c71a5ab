"""Who may use the legal aid center's API (issue 7).

Function level: the center's staff use every route; a lawyer reaches only the assignment
routes that are about their own work (the assignment, its activity log) — and only for the
suspects assigned to them: another lawyer's assignment is a 404, inside the query.

Object level by center (a deployment may serve several centers): staff act for the center in
their token's ``agency``, and see only the notices and applications addressed to it
(``addressee_center``) and the assignments made on them. Another center's notice, application
or assignment is a 404, exactly like one that does not exist, and is left out of lists; the
condition is part of each query. The roster (firms, lawyers, leave, work stations, duty rota)
is the deployment's, shared by its centers, and holds no suspect's data.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import sqlalchemy as sa
from fastapi import Depends

from aid_center.db.tables import applications, assignments, notices, termination_reports
from aid_center.unit_of_work import UnitOfWorkDep
from service_runtime.errors import NotFound
from service_runtime.security.deps import require_roles
from service_runtime.security.principal import Principal, Role

STAFF = require_roles(Role.AID_CENTER_STAFF)
STAFF_OR_LAWYER = require_roles(Role.AID_CENTER_STAFF, Role.LAWYER)
LAWYER = require_roles(Role.LAWYER)
StaffOrLawyer = Annotated[Principal, STAFF_OR_LAWYER]


def lawyer_uuid(principal: Principal) -> UUID | None:
    """The roster id of a lawyer caller; None for staff. A malformed id matches nothing."""
    if principal.role is not Role.LAWYER:
        return None
    try:
        return UUID(principal.lawyer_id or "")
    except ValueError:
        return UUID(int=0)


Staff = Annotated[Principal, STAFF]


def center_of(principal: Principal) -> str:
    """The center a staff member acts for (tokens of staff always carry their agency)."""
    return principal.agency or ""


def notice_in_center(center: str) -> sa.ColumnElement[bool]:
    return notices.c.addressee_center == center


def application_in_center(center: str) -> sa.ColumnElement[bool]:
    return applications.c.addressee_center == center


def assignment_in_center(center: str) -> sa.ColumnElement[bool]:
    """An assignment belongs to the center its notice or application was addressed to."""
    return sa.or_(
        assignments.c.notice_id.in_(sa.select(notices.c.notice_id).where(notice_in_center(center))),
        assignments.c.application_id.in_(
            sa.select(applications.c.application_id).where(application_in_center(center))
        ),
    )


def assignments_of(principal: Principal) -> sa.ColumnElement[bool]:
    """The assignments ``principal`` may see: a lawyer's own, or those of staff's center."""
    lawyer_id = lawyer_uuid(principal)
    if lawyer_id is not None:
        return assignments.c.lawyer_id == lawyer_id
    return assignment_in_center(center_of(principal))


async def assignment_of_caller(
    assignment_id: UUID, principal: StaffOrLawyer, uow: UnitOfWorkDep
) -> UUID:
    found = await uow.session.scalar(
        sa.select(assignments.c.assignment_id).where(
            assignments.c.assignment_id == assignment_id, assignments_of(principal)
        )
    )
    if found is None:
        raise NotFound("assignment", assignment_id)
    return assignment_id


async def notice_of_callers_center(notice_id: UUID, staff: Staff, uow: UnitOfWorkDep) -> UUID:
    found = await uow.session.scalar(
        sa.select(notices.c.notice_id).where(
            notices.c.notice_id == notice_id, notice_in_center(center_of(staff))
        )
    )
    if found is None:
        raise NotFound("notice", notice_id)
    return notice_id


async def application_of_callers_center(
    application_id: UUID, staff: Staff, uow: UnitOfWorkDep
) -> UUID:
    found = await uow.session.scalar(
        sa.select(applications.c.application_id).where(
            applications.c.application_id == application_id,
            application_in_center(center_of(staff)),
        )
    )
    if found is None:
        raise NotFound("application", application_id)
    return application_id


async def report_of_callers_center(report_id: UUID, staff: Staff, uow: UnitOfWorkDep) -> UUID:
    found = await uow.session.scalar(
        sa.select(termination_reports.c.report_id).where(
            termination_reports.c.report_id == report_id,
            termination_reports.c.addressee_center == center_of(staff),
        )
    )
    if found is None:
        raise NotFound("termination report", report_id)
    return report_id


OWN_ASSIGNMENT = Depends(assignment_of_caller)
"""The assignment is the lawyer's own, or made on a notice or application of staff's center."""
NOTICE_OF_CENTER = Depends(notice_of_callers_center)
APPLICATION_OF_CENTER = Depends(application_of_callers_center)
REPORT_OF_CENTER = Depends(report_of_callers_center)
"""A lawyer's report on an assignment of staff's center."""
