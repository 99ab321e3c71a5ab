"""The notifier migrations build exactly the schema `db/tables.py` describes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from notifier.service import definition
from notifier.settings import NotifierSettings
from tests.schema_drift import schema_drift

pytestmark = pytest.mark.integration


async def test_alembic_head_matches_the_tables(service_settings: Callable[..., Any]) -> None:
    settings = await service_settings(NotifierSettings, "notifier-drift")
    assert await schema_drift(definition(), settings) == []
