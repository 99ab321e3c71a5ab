"""Who may call the shared routes: /health, /ready, /metrics open; /ops/* operators only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from service_runtime.app import build_app
from service_runtime.security.principal import Role
from tests.infrastructure import RunningService, bearer, run_service
from tests.messaging import probe
from tests.messaging.test_delivery_guarantees import _own_topics
from tests.problems import problem

pytestmark = pytest.mark.integration

OPS_ROUTES = [
    ("GET", "/ops/lag"),
    ("GET", "/ops/dead-letters"),
    ("POST", "/ops/dead-letters/1/replay"),
    ("GET", "/ops/calendar"),
    ("PUT", "/ops/calendar/2031"),
]
CALENDAR_2031 = {"year": 2031, "holidays": ["2031-01-01"], "makeup_workdays": [], "source": "t"}
NON_OPERATORS = {
    Role.PROCURATORATE_STAFF: {"agency": "天津市河东区人民检察院"},
    Role.AID_CENTER_STAFF: {"agency": "河东区法律援助中心"},
    Role.LAWYER: {"lawyer_id": "L-001"},
}


@pytest.fixture(scope="module")
async def service(service_settings: Any) -> AsyncIterator[RunningService]:
    settings = await service_settings(probe.ProbeSettings, "probe_ops", **_own_topics("ops-auth"))
    async with run_service(build_app(probe.definition(), settings), settings) as running:
        yield running


async def _call(service: RunningService, method: str, path: str, headers: dict[str, str]) -> Any:
    body = CALENDAR_2031 if method == "PUT" else None
    return await service.client.request(method, path, headers=headers, json=body)


@pytest.mark.parametrize("path", ["/health", "/ready", "/metrics"])
async def test_probes_and_metrics_need_no_token(service: RunningService, path: str) -> None:
    assert (await service.client.get(path)).status_code == 200


@pytest.mark.parametrize(("method", "path"), OPS_ROUTES)
async def test_ops_without_a_token_is_401_with_the_bearer_challenge(
    service: RunningService, method: str, path: str
) -> None:
    response = await _call(service, method, path, {})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert problem(response)["code"] == "unauthenticated"


@pytest.mark.parametrize(("method", "path"), OPS_ROUTES)
async def test_ops_with_a_forged_token_is_401(
    service: RunningService, method: str, path: str
) -> None:
    token = bearer(service.settings, Role.OPERATOR)["Authorization"]
    forged = {"Authorization": token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")}
    assert (await _call(service, method, path, forged)).status_code == 401


@pytest.mark.parametrize("role", list(NON_OPERATORS))
@pytest.mark.parametrize(("method", "path"), OPS_ROUTES)
async def test_ops_is_403_for_every_role_but_operator(
    service: RunningService, method: str, path: str, role: Role
) -> None:
    headers = bearer(service.settings, role, **NON_OPERATORS[role])
    response = await _call(service, method, path, headers)
    assert response.status_code == 403
    assert problem(response)["code"] == "forbidden"


@pytest.mark.parametrize(("method", "path"), OPS_ROUTES)
async def test_operators_reach_every_ops_route(
    service: RunningService, method: str, path: str
) -> None:
    response = await _call(service, method, path, bearer(service.settings, Role.OPERATOR))
    # The replay of an unknown dead letter is a 404: past the gate, into the route.
    assert response.status_code == (404 if path.endswith("/replay") else 200), response.text


async def test_the_openapi_document_declares_the_bearer_scheme(service: RunningService) -> None:
    document = (await service.client.get("/openapi.json")).json()
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert {"bearer": []} in document["paths"]["/ops/dead-letters"]["get"]["security"]
    assert "security" not in document["paths"]["/health"]["get"]
