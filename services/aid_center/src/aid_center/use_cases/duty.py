"""Duty lawyers (值班律师, Measures Art. 15): answering a request from the day's rota.

Runs inside the caller's unit of work (the consumer's, or a staff route's); the request's
outcome and ``DutyLawyerAssigned`` are written together (outbox).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from aid_center.domain.commands import RetryDutyRequest
from aid_center.domain.duty import DutyChoice, DutyNeed, choose_duty_lawyer
from aid_center.domain.errors import NotKnown, StateConflict
from aid_center.domain.status import DutyRequestStatus
from aid_center.unit_of_work import AidCenterUnitOfWork
from defense_schemas import Envelope
from defense_schemas.events.aid_center import DutyLawyerAssigned
from defense_schemas.vocabulary import DutyLawyerPurpose
from legal_calendar import legal_date
from service_runtime.paging import PageRequest


def request_date(requested_at: datetime) -> date:
    """The rota day a request falls on: its legal (Asia/Shanghai) date."""
    return legal_date(requested_at)


async def assign_duty_lawyer(
    uow: AidCenterUnitOfWork,
    request: dict[str, Any],
    *,
    on_date: date,
    caused_by: Envelope | None,
    at: datetime,
) -> DutyChoice:
    """Choose the duty lawyer for a stored request, record the outcome, emit
    ``DutyLawyerAssigned`` when someone was chosen. Unassigned requests stay visible."""
    aid = uow.aid
    await aid.lock_case(request["case_id"])
    need = DutyNeed(
        suspect_id=request["suspect_id"],
        on_date=on_date,
        purpose=DutyLawyerPurpose(request["purpose"]),
        district=await aid.district_of_case(request["case_id"]),
        requested_station=request["requested_station"],
        co_suspect_firms=await aid.co_suspect_firms(request["case_id"], request["suspect_id"]),
    )
    choice = choose_duty_lawyer(need, await aid.rota_for(on_date))
    chosen = choice.chosen
    values: dict[str, Any] = {"decision": choice.explanation(), "updated_at": at}
    if chosen is None:
        assert choice.failure is not None
        values |= {
            "status": DutyRequestStatus.UNASSIGNED,
            "unassigned_reason": choice.failure.value,
        }
    else:
        values |= {
            "status": DutyRequestStatus.ASSIGNED,
            "unassigned_reason": None,
            "shift_id": chosen.shift_id,
            "station_id": chosen.station_id,
            "lawyer_id": chosen.lawyer_id,
            "mode": chosen.mode.value,
            "assigned_at": at,
        }
    await aid.record_duty_outcome(request["request_id"], values)
    if chosen is not None:
        await uow.publish(
            DutyLawyerAssigned(
                request_id=request["request_id"],
                suspect_id=request["suspect_id"],
                lawyer=await aid.lawyer_ref(chosen.lawyer_id),
                work_station=chosen.station_name,
                mode=chosen.mode,
                assigned_at=at,
            ),
            case_id=request["case_id"],
            caused_by=caused_by,
        )
    return choice


async def receive_duty_request(
    uow: AidCenterUnitOfWork, request: dict[str, Any], *, caused_by: Envelope, at: datetime
) -> DutyChoice | None:
    """A request from the procuratorate: stored, then answered from the rota of the day it was
    made. The same request again (another event id) changes nothing."""
    if await uow.aid.duty_request(request["request_id"]) is not None:
        return None
    await uow.aid.add_duty_request(request)
    return await assign_duty_lawyer(
        uow,
        request,
        on_date=request_date(request["requested_at"]),
        caused_by=caused_by,
        at=at,
    )


async def retry_duty_request(uow: AidCenterUnitOfWork, command: RetryDutyRequest) -> None:
    """Staff try an unassigned request again against today's rota (after completing it)."""
    request = await uow.aid.duty_request(command.request_id)
    if request is None:
        raise NotKnown("duty request", command.request_id)
    if request["status"] == DutyRequestStatus.ASSIGNED:
        raise StateConflict(
            f"duty request {command.request_id} already has a duty lawyer", field="status"
        )
    at = uow.now()
    await assign_duty_lawyer(uow, request, on_date=legal_date(at), caused_by=None, at=at)


async def duty_request(uow: AidCenterUnitOfWork, request_id: UUID) -> dict[str, Any]:
    found = await uow.aid.duty_request(request_id)
    if found is None:
        raise NotKnown("duty request", request_id)
    return found


async def duty_requests(
    uow: AidCenterUnitOfWork,
    *,
    status: DutyRequestStatus | None = None,
    case_id: UUID | None = None,
    page: PageRequest | None = None,
) -> list[dict[str, Any]]:
    """Duty-lawyer requests by request time (requested_at, request_id); an unassigned one
    keeps its reasons until staff retry."""
    return await uow.aid.duty_requests_where(status=status, case_id=case_id, page=page)
