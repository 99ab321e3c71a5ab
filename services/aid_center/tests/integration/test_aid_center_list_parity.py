"""The fake unit of work's lists page as the repository's do on PostgreSQL: the same rows, walked
with the same page sizes, give the same items on the same pages and the very same cursors. The
use cases' list tests on the fake stand for the real lists only because of this."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from aid_center.db.repository import AidRepository
from service_runtime.paging import PageRequest
from services.aid_center.tests.integration.center import running_center
from services.aid_center.tests.unit.fake_aid_center_unit_of_work import (
    FakeAid,
    next_page,
    page_request,
)

pytestmark = pytest.mark.integration

# Mixed scripts and cases, digits and a shared prefix: the order the database's collation
# gives them is the order the fake's sort gives them.
FIRM_NAMES = ["津河律师事务所", "Zhonglun", "apex", "Apex", "北辰律师事务所", "9号律所", "津河律所"]
AT = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)


async def _walk(
    list_page: Callable[[PageRequest], Awaitable[list[dict[str, Any]]]],
    path: str,
    limit: int,
    key: str,
) -> list[tuple[list[Any], str | None]]:
    """Each page's item ids and the cursor it handed on."""
    walked = []
    page: PageRequest | None = page_request(path, limit)
    while page is not None:
        items = await list_page(page)
        walked.append(([item[key] for item in items], page.next_cursor))
        page = next_page(page)
    return walked


async def test_the_fake_pages_firms_and_duty_requests_as_the_repository_does(
    service_settings: Callable[..., Any],
) -> None:
    firms = [
        {"firm_id": uuid.uuid4(), "name": name, "district": None, "contact": "022-24310000"}
        for name in FIRM_NAMES
    ]
    # Requests at the same instant: the request id breaks the tie, in both.
    requests = [
        {
            "request_id": uuid.uuid4(),
            "case_id": uuid.uuid4(),
            "suspect_id": uuid.uuid4(),
            "purpose": "legal_help",
            "requested_at": AT + timedelta(minutes=minutes),
        }
        for minutes in (5, 0, 0, 5, 0, 10)
    ]
    fake = FakeAid()
    async with running_center(service_settings, "parity") as center:
        async with AsyncSession(center.service.runtime.engine) as session:
            real = AidRepository(session)
            for firm in firms:
                assert await real.store_firm(dict(firm))
                assert await fake.store_firm(dict(firm))
            for request in requests:
                await real.add_duty_request(dict(request))
                await fake.add_duty_request(dict(request))

            for limit in (1, 2, 3, 10):
                assert await _walk(real.firms_by_name, "/firms", limit, "firm_id") == (
                    await _walk(fake.firms_by_name, "/firms", limit, "firm_id")
                )
                assert await _walk(
                    lambda page: real.duty_requests_where(page=page),
                    "/duty-requests",
                    limit,
                    "request_id",
                ) == await _walk(
                    lambda page: fake.duty_requests_where(page=page),
                    "/duty-requests",
                    limit,
                    "request_id",
                )
            real_order = [firm["name"] for firm in await real.firms_by_name()]
            assert real_order == sorted(FIRM_NAMES)
            await session.rollback()
