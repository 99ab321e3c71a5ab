"""The three services run together once for this package, after one suspect's whole path
(case received → letter → lawyer assigned → lawyer told), so every series has samples; what
they logged meanwhile is kept, as the JSON lines a service writes to stdout."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from service_runtime.logs import JsonFormatter
from tests.e2e.platform import Platform, running_platform
from tests.e2e.test_workflow import _minor_declining_counsel, _roster
from tests.infrastructure import eventually


@dataclass
class WorkedPlatform:
    platform: Platform
    case_id: str
    logs: io.StringIO
    """Every line the services logged, from their start, in the services' JSON format."""


@pytest.fixture(scope="package")
async def worked(service_settings: Callable[..., Any]) -> AsyncIterator[WorkedPlatform]:
    logs = io.StringIO()
    handler = logging.StreamHandler(logs)
    handler.setFormatter(JsonFormatter("tests", "replica-1"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)  # the services' default LOG_LEVEL
    try:
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
                    for d in log.get("items", [])
                )

            await eventually(lawyer_told, what="the notifier to tell the appointed lawyer")
            yield WorkedPlatform(platform, case_id, logs)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture(scope="package")
def worked_platform(worked: WorkedPlatform) -> Platform:
    return worked.platform
