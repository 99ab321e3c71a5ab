"""The delivery log (送达记录) per case: what was sent to whom, through which channel, and how
many attempts it took. Only the cases of the caller's agency (api/access.py); the address and
message are decrypted for the response."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from defense_schemas.vocabulary import DeliveryChannel, RecipientRole
from notifier.api.access import BOARD_READERS, BoardReader, UnitOfWorkDep, visible_to
from notifier.db.personal import open_delivery
from notifier.db.tables import cases, deliveries
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES, NotFound
from service_runtime.paging import Page, Paging

router = APIRouter(tags=["deliveries"], responses=AUTH_RESPONSES, dependencies=[BOARD_READERS])

DeliveryStatus = Literal["pending", "delivered", "failed", "skipped"]


_DELIVERY_EXAMPLE: dict[str, Any] = {
    "notification_id": "a7b9c1d3-e5f7-4a9b-8c1d-3e5f7a9b1c3d",
    "case_id": "3f6c2a1e-8b4d-4c2a-9e1f-5a7b9c0d1e2f",
    "suspect_id": "9b2e4d6f-1a3c-4e5b-8d7f-0a1b2c3d4e5f",
    "about_event_id": "6b8d0f2a-4c6e-4f1a-9b3d-5e7f9a1c3e5a",
    "about_event_type": "LawyerAssigned",
    "recipient_role": "lawyer",
    "recipient_name": "王律师",
    "channel": "sms",
    "address": "13800000001",
    "subject": "法律援助指派通知：李某某",
    "body": "王律师：您已被指派为犯罪嫌疑人李某某（天津市河东区人民检察院审查起诉案件，"
    "津公东诉字〔2026〕101号）提供辩护。请及时阅卷、会见犯罪嫌疑人（《实施办法》第七条）。",
    "status": "delivered",
    "attempts": 1,
    "last_error": None,
    "next_attempt_at": None,
    "created_at": "2026-03-06T11:20:05+08:00",
    "delivered_at": "2026-03-06T11:20:07+08:00",
    "failed_at": None,
}


class DeliveryView(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_DELIVERY_EXAMPLE]})

    notification_id: UUID
    case_id: UUID
    suspect_id: UUID | None
    about_event_id: UUID = Field(description="The event the message reports.")
    about_event_type: str
    recipient_role: RecipientRole
    recipient_name: str | None
    channel: DeliveryChannel
    address: str
    subject: str
    body: str
    status: DeliveryStatus = Field(
        description="`pending` (waiting for its next attempt), `delivered`, `failed` (gave up), "
        "or `skipped` (its event predates NOTIFIER_DELIVER_EVENTS_SINCE: a replay, not sent)"
    )
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    failed_at: datetime | None


class DeliveryLog(Page[DeliveryView]):
    """A page of the case's deliveries (``items``, by creation, then id) with the counts of
    all of them (of the status asked for, if any)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [_DELIVERY_EXAMPLE],
                    "next_cursor": None,
                    "case_id": "3f6c2a1e-8b4d-4c2a-9e1f-5a7b9c0d1e2f",
                    "delivered": 3,
                    "failed": 0,
                    "pending": 1,
                    "skipped": 0,
                }
            ]
        }
    )

    case_id: UUID
    delivered: int
    failed: int
    pending: int
    skipped: int


@router.get(
    "/cases/{case_id}/deliveries",
    summary="The delivery log of a case",
    response_model=DeliveryLog,
    responses={404: ERROR_RESPONSES[404]},
)
async def case_deliveries(
    case_id: UUID,
    reader: BoardReader,
    uow: UnitOfWorkDep,
    paging: Paging,
    status: DeliveryStatus | None = None,
) -> DeliveryLog:
    known = await uow.session.scalar(
        sa.select(cases.c.case_id).where(
            cases.c.case_id == case_id, visible_to(reader, cases.c.case_id)
        )
    )
    if known is None:
        raise NotFound("case", case_id)
    of_case = deliveries.c.case_id == case_id
    if status is not None:
        of_case = sa.and_(of_case, deliveries.c.status == status)
    counts: dict[str, int] = dict(
        (
            await uow.session.execute(
                sa.select(deliveries.c.status, sa.func.count())
                .where(of_case)
                .group_by(deliveries.c.status)
            )
        ).all()
    )
    rows = await paging.fetch(
        uow.session,
        sa.select(deliveries).where(of_case),
        [deliveries.c.created_at, deliveries.c.notification_id],
    )
    cipher = uow.cipher
    page = paging.page(
        [DeliveryView.model_validate(open_delivery(cipher, row._mapping)) for row in rows]
    )
    return DeliveryLog(
        case_id=case_id,
        delivered=counts.get("delivered", 0),
        failed=counts.get("failed", 0),
        pending=counts.get("pending", 0),
        skipped=counts.get("skipped", 0),
        items=page.items,
        next_cursor=page.next_cursor,
    )


@router.get(
    "/deliveries/{notification_id}",
    summary="One delivery",
    response_model=DeliveryView,
    responses={404: ERROR_RESPONSES[404]},
)
async def one_delivery(
    notification_id: UUID, reader: BoardReader, uow: UnitOfWorkDep
) -> DeliveryView:
    row = (
        (
            await uow.session.execute(
                sa.select(deliveries).where(
                    deliveries.c.notification_id == notification_id,
                    visible_to(reader, deliveries.c.case_id),
                )
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise NotFound("delivery", notification_id)
    return DeliveryView.model_validate(open_delivery(uow.cipher, row))
