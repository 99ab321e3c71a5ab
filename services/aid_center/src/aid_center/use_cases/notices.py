"""What staff read of the notices of defense (通知辩护公函) addressed to their center: the
letter's check, its period and the aid's state, with the suspect's name opened for them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aid_center.db.personal import open_notice
from aid_center.domain.errors import NotKnown
from aid_center.domain.status import NoticeStatus
from aid_center.unit_of_work import AidCenterUnitOfWork
from service_runtime.paging import PageRequest


async def notice(uow: AidCenterUnitOfWork, notice_id: UUID) -> dict[str, Any]:
    found = await uow.aid.notice(notice_id)
    if found is None:
        raise NotKnown("notice", notice_id)
    return open_notice(uow.cipher, found)


async def notices(
    uow: AidCenterUnitOfWork,
    center: str,
    *,
    status: NoticeStatus | None = None,
    case_id: UUID | None = None,
    page: PageRequest | None = None,
) -> list[dict[str, Any]]:
    """The notices addressed to ``center`` by receipt (received_at, notice_id)."""
    rows = await uow.aid.notices_of_center(center, status=status, case_id=case_id, page=page)
    return [open_notice(uow.cipher, row) for row in rows]
