from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from notifier.settings import NotifierSettings
from tests.infrastructure import own_topics


@pytest.fixture
def notifier_settings(service_settings: Callable[..., Any]) -> Callable[..., Any]:
    """Settings on a fresh database and topics of the test's own, with a fast worker and the
    periodic scan out of the way (tests scan with an explicit `now`). Own topics: on the
    session's shared topics the notifier would also apply every event other services' tests
    published there before it, and its assertions would count their messages."""

    async def make(label: str, **overrides: Any) -> NotifierSettings:
        values: dict[str, Any] = {
            "delivery_poll_interval_seconds": 0.1,
            "delivery_backoff_base_seconds": 0.05,
            "delivery_backoff_max_seconds": 0.2,
            "deadline_scan_interval_seconds": 3600,
            "webhook_secret": "test-secret",
            **own_topics(label),
            **overrides,
        }
        settings: NotifierSettings = await service_settings(NotifierSettings, label, **values)
        return settings

    return make
