"""The three services run together once for this package, after one suspect's whole path
(case received → letter → lawyer assigned → lawyer told), so every series has samples."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tests.e2e.platform import Platform, running_platform
from tests.e2e.test_workflow import _minor_declining_counsel, _roster
from tests.infrastructure import eventually


@pytest.fixture(scope="package")
async def worked_platform(service_settings: Callable[..., Any]) -> AsyncIterator[Platform]:
    async with running_platform(service_settings, "observed") as platform:
        await _roster(platform.aid_center)
        case_id, _ = await _minor_declining_counsel(
            platform.procuratorate.client,
            decided_at="2026-03-03T11:00:00+08:00",
            materials=["起诉意见书"],
        )

        async def lawyer_told() -> bool:
            log = (await platform.notifier.client.get(f"/cases/{case_id}/deliveries")).json()
            return any(
                d["about_event_type"] == "LawyerAssigned" and d["status"] == "delivered"
                for d in log.get("deliveries", [])
            )

        await eventually(lawyer_told, what="the notifier to tell the appointed lawyer")
        yield platform
