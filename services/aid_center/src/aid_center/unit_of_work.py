"""The aid center's unit of work: the shared one (session, outbox, settings, calendar, clock,
cipher, audit) with the center's repository of requests, roster, assignments and duty requests,
through which its use cases reach storage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from aid_center.db.repository import AidRepository
from aid_center.settings import AidCenterSettings
from service_runtime.deps import get_unit_of_work
from service_runtime.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from service_runtime.app import Runtime


class AidCenterUnitOfWork(UnitOfWork[AidCenterSettings]):
    def __init__(
        self, runtime: Runtime, session: AsyncSession, *, deferred_audit: bool = False
    ) -> None:
        super().__init__(runtime, session, deferred_audit=deferred_audit)
        self.aid = AidRepository(session)
        """Requests, the roster, assignments and duty requests (and the case lock)."""


# scope="function": committed before the response is sent (service_runtime.deps).
UnitOfWorkDep = Annotated[AidCenterUnitOfWork, Depends(get_unit_of_work, scope="function")]
"""The request's unit of work; the access checks and the route share it."""
