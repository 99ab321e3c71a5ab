"""Every route of every service against every role (issue 7): no token → 401, a role the
route does not admit → 403, an admitted role → past the gate (whatever the route then says).

The expected roles are written out here, route by route, as the specification; a route added
without an entry fails ``test_every_route_has_an_expected_audience``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from aid_center.service import create_app as aid_center_app
from aid_center.settings import AidCenterSettings
from notifier.service import create_app as notifier_app
from notifier.settings import NotifierSettings
from procuratorate.service import create_app as procuratorate_app
from procuratorate.settings import ProcuratorateSettings
from service_runtime.security.principal import Role
from tests.infrastructure import RunningService, bearer, own_topics, run_service

pytestmark = pytest.mark.integration

P, A, L, OP = Role.PROCURATORATE_STAFF, Role.AID_CENTER_STAFF, Role.LAWYER, Role.OPERATOR
OPEN = {
    "/health",
    "/ready",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
}
CLAIMS = {
    P: {"agency": "天津市河东区人民检察院"},
    A: {"agency": "河东区法律援助中心"},
    L: {"lawyer_id": str(uuid.uuid4())},
    OP: {},
}

# (service, path pattern) → roles admitted; the first matching pattern wins.
AUDIENCE: dict[str, list[tuple[str, set[Role]]]] = {
    "procuratorate": [
        (r"^/ops/", {OP}),
        # A defense lawyer reads their own suspects' procedural information (Measures Art. 10).
        # …and finds the cases where they defend someone (GET /cases, scoped in the query).
        (r"^GET /cases(/\{case_id\}(/timeline|/suspects/\{suspect_id\})?)?$", {P, L}),
        (r"^/(cases|ledger|statistics|ledger\.xlsx|deadlines)", {P}),
    ],
    "aid_center": [
        (r"^/ops/", {OP}),
        # A lawyer's own work: their assignments and the activity log.
        (r"^GET /assignments$", {A, L}),
        (r"^GET /assignments/\{assignment_id\}$", {A, L}),
        (r"^(GET|POST) /assignments/\{assignment_id\}/activities$", {A, L}),
        # A lawyer's own subsidy claims and their closing materials.
        (r"^GET /subsidy-claims(/\{claim_id\})?$", {A, L}),
        (r"^POST /subsidy-claims/\{claim_id\}/materials$", {A, L}),
        # The appointed lawyer reports a ground for ending aid (LAL Art. 48 ¶2); staff decide.
        (r"^POST /assignments/\{assignment_id\}/termination-reports$", {L}),
        (r"^GET /termination-reports$", {A, L}),
        (r"^/", {A}),
    ],
    "notifier": [
        (r"^/ops/", {OP}),
        (r"^/templates", {OP}),
        (r"^/(clocks|cases/\{case_id\}/deliveries|deliveries)", {P, A, OP}),
    ],
}

# (service, path pattern) → whose objects a caller reaches (object level, inside the query);
# the first matching pattern wins. "unit": the procuratorate staff's own unit's cases;
# "center": notices, applications and assignments addressed to the aid-center staff's center
# (a lawyer: their own assignments); "agency": the notifier's per-agency visibility;
# "deployment": shared by every caller the route admits and holding no suspect's data.
# Cross-unit and cross-center access is exercised in
# services/procuratorate/tests/integration/test_procuratorate_unit_isolation.py,
# services/aid_center/tests/integration/test_aid_center_scoping.py and
# tests/security/test_notifier_protection.py.
SCOPE: dict[str, list[tuple[str, str]]] = {
    "procuratorate": [
        (r"^/ops/", "deployment"),
        # "unit", and for a lawyer the suspects they defend.
        (r"^/cases/\{case_id\}(/timeline|/suspects/\{suspect_id\})?$", "unit"),
        (r"^/(cases|ledger|statistics|ledger\.xlsx|deadlines)", "unit"),
    ],
    "aid_center": [
        (r"^/ops/", "deployment"),
        # Subsidy claims: the center's staff their center's, a lawyer their own.
        (r"^/(notices|applications|assignments|subsidy-claims|termination-reports)", "center"),
        # The finance office's figures and workbook: the staff's center's claims.
        (r"^/subsidies/", "center"),
        # Subsidy standards are amounts per district and stage, no suspect's data.
        (r"^/subsidy-standards", "deployment"),
        (r"^/(firms|lawyers|work-stations|duty-rota|duty-shifts)", "deployment"),
        # Duty requests name a district's work station, not a center; previous-stage lawyers
        # are the roster's record of who defended whom before.
        (r"^/(duty-requests|suspects/\{suspect_id\}/previous-stage-lawyer)", "deployment"),
    ],
    "notifier": [
        (r"^/ops/", "deployment"),
        (r"^/templates", "deployment"),
        (r"^/(clocks|cases/\{case_id\}/deliveries|deliveries)", "agency"),
    ],
}

FACTORIES = {
    "procuratorate": (procuratorate_app, ProcuratorateSettings),
    "aid_center": (aid_center_app, AidCenterSettings),
    "notifier": (notifier_app, NotifierSettings),
}


def _routes(app: Any) -> list[tuple[str, str]]:
    """Every operation the service publishes (its OpenAPI document lists them all)."""
    return sorted(
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path not in OPEN
        for method in operations
    )


def _audience(service: str, method: str, path: str) -> set[Role] | None:
    for pattern, roles in AUDIENCE[service]:
        if re.search(pattern, f"{method} {path}") or re.search(pattern, path):
            return roles
    return None


def _concrete(path: str) -> str:
    values = {"year": "2031", "event_type": "CaseReceived", "recipient_role": "lawyer"}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), str(uuid.uuid4())), path)


@pytest.fixture(scope="module")
async def services(service_settings: Any) -> AsyncIterator[dict[str, RunningService]]:
    running: dict[str, RunningService] = {}
    stack = []
    for name, (factory, settings_class) in FACTORIES.items():
        settings = await service_settings(
            settings_class,
            f"matrix_{name}",
            topic_partitions=1,
            **own_topics(f"matrix-{name}"),
        )
        context = run_service(factory(settings), settings)
        running[name] = await context.__aenter__()
        stack.append(context)
    yield running
    for context in reversed(stack):
        await context.__aexit__(None, None, None)


@pytest.mark.parametrize("service", list(FACTORIES))
def test_every_route_has_an_expected_audience(service: str) -> None:
    factory, _ = FACTORIES[service]
    app = factory()
    missing = [f"{m} {p}" for m, p in _routes(app) if _audience(service, m, p) is None]
    assert missing == []
    assert len(_routes(app)) > 5


@pytest.mark.parametrize("service", list(FACTORIES))
def test_every_route_declares_whose_objects_it_reaches(service: str) -> None:
    factory, _ = FACTORIES[service]
    undeclared = [
        f"{m} {p}"
        for m, p in _routes(factory())
        if not any(re.search(pattern, p) for pattern, _ in SCOPE[service])
    ]
    assert undeclared == []


@pytest.mark.parametrize("service", list(FACTORIES))
async def test_every_route_admits_exactly_its_roles(
    services: dict[str, RunningService], service: str
) -> None:
    running = services[service]
    client, settings = running.client, running.settings
    tokens = {role: bearer(settings, role, **CLAIMS[role]) for role in Role}
    wrong: list[str] = []
    routes = _routes(running.app)
    assert routes, "no routes found"
    for method, path in routes:
        admitted = _audience(service, method, path) or set()
        url = _concrete(path)
        body = {} if method in {"POST", "PUT", "PATCH"} else None
        anonymous = await client.request(method, url, json=body, headers={})
        if anonymous.status_code != 401:
            wrong.append(f"{method} {path} without a token: {anonymous.status_code}")
        for role in Role:
            response = await client.request(method, url, json=body, headers=tokens[role])
            if role in admitted and response.status_code in (401, 403):
                wrong.append(f"{method} {path} as {role.value}: refused {response.status_code}")
            if role not in admitted and response.status_code != 403:
                wrong.append(f"{method} {path} as {role.value}: {response.status_code}, not 403")
    assert wrong == []


async def test_a_lawyer_lists_only_their_own_assignments(
    services: dict[str, RunningService],
) -> None:
    running = services["aid_center"]
    lawyer = bearer(running.settings, L, lawyer_id=str(uuid.uuid4()))
    response = await running.client.get(
        "/assignments", params={"lawyer_id": str(uuid.uuid4())}, headers=lawyer
    )
    assert response.status_code == 200 and response.json()["items"] == []
