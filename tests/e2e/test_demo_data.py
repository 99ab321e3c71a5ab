"""The demo data set (``deploy/local/demo_data.py``, what ``./devctl up`` loads) through the three
services on the real broker: each case ends as its label in the data file says, and loading the
set a second time changes nothing, as the script promises."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from defense_messaging.kafka_client import KafkaConnection
from legal_calendar import LEGAL_TIMEZONE
from service_runtime.security.tokens import token_for
from tests.e2e.platform import running_platform
from tests.infrastructure import eventually, operator

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _demo_data() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "demo_data", ROOT / "deploy" / "local" / "demo_data.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


async def test_the_demo_data_set_ends_as_its_labels_say_and_loads_once(
    service_settings: Callable[..., Any],
) -> None:
    demo = _demo_data()
    data = demo.read_data()
    async with running_platform(service_settings, "demo") as platform:
        procuratorate, aid_center = platform.procuratorate, platform.aid_center
        settings = procuratorate.settings
        kafka = settings.kafka
        assert isinstance(kafka, KafkaConnection)
        target = demo.Target(
            procuratorate="http://procuratorate",
            aid_center="http://aid-center",
            kafka=kafka,
            intake_topic=settings.topic_intake,
            sign=lambda principal: token_for(settings, principal),
        )
        mounts = {
            "http://procuratorate": httpx.ASGITransport(app=procuratorate.app),
            "http://aid-center": httpx.ASGITransport(app=aid_center.app),
        }
        now = datetime.now(LEGAL_TIMEZONE).replace(microsecond=0)
        async with httpx.AsyncClient(mounts=mounts, timeout=30) as client:
            case_ids = await demo.load(data, now, target, client)
            assert len(case_ids) == len(data["cases"]) == 4

            def staff(unit: str) -> dict[str, str]:
                return dict(target.as_user(demo.Role.PROCURATORATE_STAFF, unit))

            async def suspects(index: int) -> list[dict[str, Any]]:
                case = data["cases"][index]
                view = await client.get(
                    f"http://procuratorate/cases/{case_ids[index]}",
                    headers=staff(case["procuratorate_unit"]),
                )
                assert view.status_code == 200, view.text
                return list(view.json()["suspects"])

            async def settled() -> bool:
                minor = (await suspects(0))[0]
                pair = await suspects(1)
                outside = (await suspects(2))[0]
                return (
                    minor["defense_status"] == "appointed_on_notice"
                    and all(s["defense_status"] == "appointed_on_notice" for s in pair)
                    and outside["defense_status"] == "duty_lawyer_only"
                )

            await eventually(settled, timeout=90, what="the demo's cases to reach their ends")
            # The two co-suspects are defended by lawyers of different firms (Art. 4 ¶2).
            firms = {s["current_defender"]["firm"] for s in await suspects(1)}
            assert len(firms) == 2
            # The hearing-disabled suspect was left uninformed on purpose: the rights clock runs.
            (gap,) = await suspects(3)
            assert gap["rights_notified_at"] is None
            assert any(
                c["kind"] == "rights_notification" and c["outcome"] is None for c in gap["clocks"]
            )

            async def counts() -> tuple[int, ...]:
                headers = target.aid_center_staff()
                lawyers = await demo._every(client, "http://aid-center/lawyers", headers=headers)
                assignments = await demo._every(
                    client, "http://aid-center/assignments", headers=headers
                )
                stations = await demo._every(
                    client, "http://aid-center/work-stations", headers=headers
                )
                return len(lawyers), len(assignments), len(stations)

            async def defenders() -> list[Any]:
                return [
                    [(s["defense_status"], s["current_defender"]) for s in await suspects(i)]
                    for i in range(len(case_ids))
                ]

            before = await counts(), await defenders()
            # The Hedong center's staff see their own center's appointment (the minor's).
            assert before[0][0] == len(data["lawyers"]) and before[0][1] == 1
            # Loaded again: the same ids, nothing new, nobody appointed twice — judged once every
            # service has consumed everything the second load published.
            assert await demo.load(data, now, target, client) == case_ids

            async def consumed() -> bool:
                for service in (procuratorate, aid_center, platform.notifier):
                    lag = await service.client.get("/ops/lag", headers=operator(service.settings))
                    if lag.status_code != 200 or any(p["lag"] for p in lag.json()["items"]):
                        return False
                return True

            await eventually(consumed, timeout=60, what="every service to consume the reload")
            assert (await counts(), await defenders()) == before
