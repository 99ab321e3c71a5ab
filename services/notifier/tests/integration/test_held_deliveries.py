"""The operators see the deliveries the notifier holds for a fact it does not know yet, with
their age, and the /metrics gauges count them."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from notifier.service import create_app
from tests.infrastructure import bearer, operator, run_service

from .helpers import eventually, publish, wrap
from .test_deliveries import case_received, lawyer_assigned, letter_sent

pytestmark = pytest.mark.integration


def gauge(metrics: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", metrics, re.MULTILINE)
    assert found is not None, f"{name} not in /metrics"
    return float(found.group(1))


async def test_held_deliveries_are_listed_for_operators_and_counted_until_released(
    notifier_settings: Callable[..., Any], tmp_path: Path
) -> None:
    settings = await notifier_settings("held", sms_file_path=tmp_path / "sms.jsonl")
    case_id = uuid4()
    async with run_service(create_app(settings), settings) as svc:
        client = svc.client
        ops = operator(settings)
        assigned = wrap(lawyer_assigned(), case_id, "aid-center")
        # The aid center's answer before the procuratorate's case: its messages are held.
        await publish(settings.kafka_bootstrap_servers, settings.topic_aid_center, [assigned])

        async def held() -> list[dict[str, Any]]:
            response = await client.get("/ops/held-deliveries", headers=ops)
            assert response.status_code == 200, response.text
            return list(response.json()["items"])

        [row] = await eventually(held, lambda rows: len(rows) == 1)
        assert row["event_id"] == str(assigned.event_id)
        assert row["case_id"] == str(case_id)
        assert row["waits_for"] == "case"
        assert row["age_seconds"] >= 0
        assert (
            await client.get("/ops/held-deliveries", params={"waits_for": "notice"}, headers=ops)
        ).json()["items"] == []
        metrics = (await client.get("/metrics")).text
        assert gauge(metrics, "defense_notifier_held_deliveries") == 1
        assert gauge(metrics, "defense_notifier_held_delivery_oldest_age_seconds") >= 0

        # Operators only: the board readers may not see it.
        reader = bearer(settings, "procuratorate_staff", agency="天津市河东区人民检察院")
        refused = await client.get("/ops/held-deliveries", headers=reader)
        assert refused.status_code == 403

        await publish(
            settings.kafka_bootstrap_servers,
            settings.topic_procuratorate,
            [
                wrap(case_received(), case_id, "procuratorate"),
                wrap(letter_sent(), case_id, "procuratorate"),
            ],
        )
        await eventually(held, lambda rows: rows == [])
        metrics = (await client.get("/metrics")).text
        assert gauge(metrics, "defense_notifier_held_deliveries") == 0
        assert gauge(metrics, "defense_notifier_held_delivery_oldest_age_seconds") == 0
