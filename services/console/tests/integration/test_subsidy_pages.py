"""The subsidy claim's forms over a stand-in aid center (httpx mock transport): amounts typed
in yuan reach the API in fen exactly, a malformed amount is refused at its field without
calling the API, and the API's own refusal lands at the field it names."""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx

from console.app import create_app
from console.settings import ConsoleSettings

CONSOLE = "http://console.test"
CLAIM = str(uuid.uuid4())
LAWYER = str(uuid.uuid4())


class StandInCenter:
    def __init__(self) -> None:
        self.posted: list[tuple[str, dict[str, Any]]] = []

    def claim(self) -> dict[str, Any]:
        return {
            "claim_id": CLAIM,
            "assignment_id": str(uuid.uuid4()),
            "lawyer_id": LAWYER,
            "stage": "review_for_prosecution",
            "case_kind": "ordinary",
            "standard_amount_fen": 150000,
            "opened_at": "2026-11-01T09:00:00+08:00",
            "status": "submitted",
            "materials": ["结案报告"],
            "checklist": {"meeting": True, "file_review": True},
            "service_standard_met": True,
            "quality_rating": None,
            "approved_amount_fen": None,
            "approved_at": None,
            "paid_on": None,
            "overdue": False,
        }

    def transport(self) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            path = request.url.path
            if request.method == "POST":
                body = json.loads(request.content)
                self.posted.append((path, body))
                if body.get("approved_amount_fen", 0) < 150000 and not body["reduction_reason"]:
                    return httpx.Response(
                        422,
                        json={
                            "title": "Unprocessable",
                            "errors": [
                                {"pointer": "#/reduction_reason", "detail": "需写明核减理由"}
                            ],
                        },
                    )
                return httpx.Response(200, json=self.claim())
            if path == f"/subsidy-claims/{CLAIM}":
                return httpx.Response(200, json=self.claim())
            if path == "/lawyers":
                return httpx.Response(200, json={"items": [], "next_cursor": None})
            return httpx.Response(404, json={"title": "Not Found"})

        return httpx.MockTransport(answer)


@contextlib.asynccontextmanager
async def staff_console(center: StandInCenter) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    app = create_app(
        ConsoleSettings(deployment_mode="development"),
        transports={"aid_center": center.transport()},
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=CONSOLE) as client,
    ):
        page = await client.get("/signin")
        csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
        assert csrf is not None
        signed_in = await client.post(
            "/signin/development",
            data={
                "csrf": csrf.group(1),
                "role": "aid_center_staff",
                "agency": "天津市河东区法律援助中心",
            },
        )
        assert signed_in.status_code == 303
        page = await client.get(f"/aid-center/subsidies/{CLAIM}")
        assert page.status_code == 200, page.text
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found is not None
        yield client, found.group(1)


async def test_an_amount_in_yuan_reaches_the_api_in_fen_exactly() -> None:
    center = StandInCenter()
    async with staff_console(center) as (client, csrf):
        done = await client.post(
            f"/aid-center/subsidies/{CLAIM}/approval",
            data={"csrf": csrf, "approved_amount_fen": "1,150.10", "reduction_reason": "未调查"},
        )
    assert done.status_code == 303
    assert center.posted == [
        (
            f"/subsidy-claims/{CLAIM}/approval",
            {"approved_amount_fen": 115010, "reduction_reason": "未调查"},
        )
    ]


async def test_a_malformed_amount_is_refused_at_its_field_and_the_api_is_not_called() -> None:
    center = StandInCenter()
    async with staff_console(center) as (client, csrf):
        refused = await client.post(
            f"/aid-center/subsidies/{CLAIM}/approval",
            data={"csrf": csrf, "approved_amount_fen": "1150.101", "reduction_reason": ""},
        )
    assert refused.status_code == 422
    assert 'aria-invalid="true" aria-describedby="err-approved_amount_fen"' in refused.text
    assert center.posted == []


async def test_a_reduction_without_its_reason_lands_at_the_reason() -> None:
    center = StandInCenter()
    async with staff_console(center) as (client, csrf):
        refused = await client.post(
            f"/aid-center/subsidies/{CLAIM}/approval",
            data={"csrf": csrf, "approved_amount_fen": "1000", "reduction_reason": ""},
        )
    assert refused.status_code == 422
    assert "需写明核减理由" in refused.text
    assert 'aria-describedby="err-reduction_reason"' in refused.text
