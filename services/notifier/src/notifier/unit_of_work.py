"""The notifier's unit of work: the shared one (``service_runtime.unit_of_work``: session,
outbox, settings, calendar, clock, cipher, audit) with the notifier's settings. Routes get one per
request (``api/access.py`` ``UnitOfWorkDep``), the consumer one per transaction (the projection
applies the transaction's events in it), the workers one per job."""

from __future__ import annotations

from notifier.settings import NotifierSettings
from service_runtime.unit_of_work import UnitOfWork

NotifierUnitOfWork = UnitOfWork[NotifierSettings]
