"""The aid_center migrations build exactly the schema `db/tables.py` describes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aid_center.service import definition
from aid_center.settings import AidCenterSettings
from tests.schema_drift import schema_drift

pytestmark = pytest.mark.integration


async def test_alembic_head_matches_the_tables(service_settings: Callable[..., Any]) -> None:
    settings = await service_settings(AidCenterSettings, "aid_center-drift")
    assert await schema_drift(definition(), settings) == []
