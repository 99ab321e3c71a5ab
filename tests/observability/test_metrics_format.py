"""Every service's /metrics page passes ``promtool check metrics`` (names, suffixes, help)."""

from __future__ import annotations

import pytest

from tests.e2e.platform import Platform
from tests.observability.promtool import promtool

pytestmark = pytest.mark.integration


async def test_every_services_metrics_pass_promtool(worked_platform: Platform) -> None:
    for service in (
        worked_platform.procuratorate,
        worked_platform.aid_center,
        worked_platform.notifier,
    ):
        page = (await service.client.get("/metrics")).text
        assert "defense_events_handled_total{" in page
        promtool("check", "metrics", stdin=page)
