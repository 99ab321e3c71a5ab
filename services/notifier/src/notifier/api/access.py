"""Who may use the notifier's API (issue 7): the deadline board and delivery records are for
both agencies' staff and operators; templates (what people are told) for operators only.

Object level, inside the queries: procuratorate staff see the clocks and deliveries of their
unit's cases (承办检察院, from CaseReceived), aid-center staff those of the cases with a letter
addressed to their center (the addressee of DefenseNoticeSent), operators all of them. Another
agency's case is a 404 on the per-case routes, exactly like an unknown one, and is left out of
the board.
"""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends

from notifier.db.tables import cases, suspects
from notifier.unit_of_work import NotifierUnitOfWork
from service_runtime.deps import get_unit_of_work
from service_runtime.security.deps import require_roles
from service_runtime.security.principal import Principal, Role

UnitOfWorkDep = Annotated[NotifierUnitOfWork, Depends(get_unit_of_work, scope="function")]
"""The request's unit of work: committed when the route returns, rolled back on an error."""

BOARD_READERS = require_roles(Role.PROCURATORATE_STAFF, Role.AID_CENTER_STAFF, Role.OPERATOR)
OPERATORS = require_roles(Role.OPERATOR)
BoardReader = Annotated[Principal, BOARD_READERS]


def visible_to(principal: Principal, case_id: sa.ColumnElement[object]) -> sa.ColumnElement[bool]:
    """A condition on ``case_id`` (a column or value) holding for the cases ``principal`` may
    see. A role without an agency rule sees nothing."""
    if principal.role is Role.OPERATOR:
        return sa.true()
    if principal.role is Role.PROCURATORATE_STAFF:
        return case_id.in_(
            sa.select(cases.c.case_id).where(cases.c.procuratorate_unit == principal.agency)
        )
    if principal.role is Role.AID_CENTER_STAFF:
        return case_id.in_(
            sa.select(suspects.c.case_id).where(suspects.c.aid_center == principal.agency)
        )
    return sa.false()
