"""What every workflow step shares: loading the case, emitting through the outbox (and the
timeline), the clocks, the suspect's derived defense status."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from defense_schemas import Envelope
from defense_schemas.events.common import SuspectParticulars
from defense_schemas.events.procuratorate import DefenseStatusChanged
from defense_schemas.vocabulary import DefenseStatus
from procuratorate.domain.clocks import in_custody
from procuratorate.domain.policy import derive_status
from procuratorate.unit_of_work import ProcuratorateUnitOfWork
from service_runtime.errors import InvalidInput

CLOCK_SKEW = timedelta(minutes=5)
"""How far past this server's clock a recorded time may lie: the recording desk's clock may run
a little ahead."""


def recorded_time(uow: ProcuratorateUnitOfWork, case: Any, at: datetime, *, field: str) -> datetime:
    """When staff say something happened on the case (a notification, a decision, an opinion
    received): not before the case reached the procuratorate, and not in the future. Either would
    close a statutory clock with a time that cannot be true — a rights notification "in time"
    months before the files arrived, a decision recorded for next week."""
    if at > uow.now() + CLOCK_SKEW:
        raise InvalidInput(f"{field} lies in the future", field=field)
    if at < case.received_at:
        raise InvalidInput(f"{field} is before the case was received for review", field=field)
    return at


async def case_people(uow: ProcuratorateUnitOfWork, case_id: UUID) -> list[SuspectParticulars]:
    """The case's suspects' facts, as last corrected."""
    return [uow.cases.facts(row) for row in await uow.cases.suspects_of(case_id)]


async def case_in_custody(uow: ProcuratorateUnitOfWork, case_id: UUID) -> bool:
    return in_custody(await case_people(uow, case_id))


async def defense_lawyer(uow: ProcuratorateUnitOfWork, suspect_id: UUID) -> Any | None:
    """The suspect's defense lawyer now: retained counsel or an appointed lawyer (not a duty
    lawyer, who gives legal help only)."""
    for row in reversed(await uow.cases.active_defenders(suspect_id)):
        if row.kind != DefenseStatus.DUTY_LAWYER_ONLY.value:
            return row
    return None


async def refresh_status(
    uow: ProcuratorateUnitOfWork,
    *,
    case_id: UUID,
    suspect_id: UUID,
    at: datetime,
    caused_by: Envelope | None = None,
) -> DefenseStatus:
    """Derive the suspect's defense status from its defenders; emit DefenseStatusChanged."""
    suspect = await uow.cases.suspect(case_id, suspect_id, lock=True)
    kinds = [row.kind for row in await uow.cases.active_defenders(suspect_id)]
    status = derive_status(
        kinds, self_defense_permitted=suspect.self_defense_permitted_at is not None
    )
    previous = DefenseStatus(suspect.defense_status)
    if status is not previous:
        await uow.cases.update_suspect(suspect_id, defense_status=status.value)
        await uow.emit(
            DefenseStatusChanged(
                suspect_id=suspect_id, status=status, previous_status=previous, changed_at=at
            ),
            case_id=case_id,
            suspect_id=suspect_id,
            caused_by=caused_by,
        )
    return status
