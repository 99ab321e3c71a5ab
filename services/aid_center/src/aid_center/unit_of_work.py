"""The aid center's unit of work: the shared one (session, outbox, settings, calendar, clock,
cipher, audit) with the center's repository of requests, roster, assignments and duty requests,
through which its use cases reach storage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from aid_center.db.repository import AidRepository
from aid_center.metrics import NOTICE_EVENTS, observe_assignment
from aid_center.settings import AidCenterSettings
from defense_schemas import Envelope
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
        self._metrics = runtime.metrics

    def assignment_made(self, caused_by: Envelope | None) -> None:
        """A lawyer was assigned in this transaction: when it was caused by a notice event,
        time the notice's wait up to the commit (``defense_notice_to_assignment_seconds``)."""
        if caused_by is None or caused_by.event_type not in NOTICE_EVENTS:
            return
        metrics = self._metrics
        self.after_commit(lambda: observe_assignment(metrics, caused_by))


# scope="function": committed before the response is sent (service_runtime.deps).
UnitOfWorkDep = Annotated[AidCenterUnitOfWork, Depends(get_unit_of_work, scope="function")]
"""The request's unit of work; the access checks and the route share it."""
