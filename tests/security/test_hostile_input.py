"""Hostile input over REST, against all three services running on a real database and broker.

Each request below is one a review sent as an outside party would. Every one must get a 4xx
(never a 5xx), an answer that echoes nothing of what was sent and is short, ``Cache-Control:
no-store``, and its own audit entry; and while they arrive, legitimate requests all succeed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from aid_center.service import create_app as aid_center_app
from aid_center.settings import AidCenterSettings
from defense_schemas.examples import CASE
from notifier.service import create_app as notifier_app
from notifier.settings import NotifierSettings
from procuratorate.service import create_app as procuratorate_app
from procuratorate.settings import ProcuratorateSettings
from service_runtime.security.principal import Principal, Role
from service_runtime.security.tokens import issue_token
from service_runtime.settings import ServiceSettings
from tests.infrastructure import bearer, own_topics
from tests.problems import problem

pytestmark = pytest.mark.integration

HEDONG = "天津市河东区人民检察院"
CENTER = "天津市河东区法律援助中心"
ID_NUMBER = "120102199001011234"  # in the example case: must never come back in an error
MAX_ERROR_BODY = 8192


@dataclass
class Service:
    app: Any
    client: httpx.AsyncClient
    settings: ServiceSettings
    staff: dict[str, str] = field(default_factory=dict)

    async def audit_rows(self) -> list[tuple[str, str]]:
        """The entries of API requests (not of the events the service applied meanwhile)."""
        runtime = self.app.state.runtime
        table = runtime.definition.tables.audit_log
        async with runtime.sessions() as session:
            rows = await session.execute(
                sa.select(table.c.resource, table.c.outcome)
                .where(table.c.role != "system")
                .order_by(table.c.id)
            )
            return [(row.resource, row.outcome) for row in rows]


STAFF: dict[str, tuple[Role, str | None]] = {
    "procuratorate": (Role.PROCURATORATE_STAFF, HEDONG),
    "aid_center": (Role.AID_CENTER_STAFF, CENTER),
    "notifier": (Role.OPERATOR, None),
}


@pytest.fixture(scope="module")
async def services(service_settings: Any) -> AsyncIterator[dict[str, Service]]:
    factories = {
        "procuratorate": (procuratorate_app, ProcuratorateSettings),
        "aid_center": (aid_center_app, AidCenterSettings),
        "notifier": (notifier_app, NotifierSettings),
    }
    topics = own_topics("hostile")
    running: dict[str, Service] = {}
    async with contextlib.AsyncExitStack() as stack:
        for name, (factory, settings_class) in factories.items():
            settings = await service_settings(
                settings_class,
                f"hostile_{name}",
                topic_partitions=1,
                http_max_body_bytes=262_144,
                **{**topics, "consumer_group": f"{topics['consumer_group']}-{name}"},
            )
            app = factory(settings)
            await stack.enter_async_context(app.router.lifespan_context(app))
            # As a server does: an exception the app lets out becomes a 500 response.
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://service", timeout=60)
            )
            role, agency = STAFF[name]
            running[name] = Service(app, client, settings, bearer(settings, role, agency=agency))
        yield running


def _case(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = CASE.model_dump(mode="json")
    body["case_id"] = str(uuid.uuid4())
    body["transfer_number"] = f"津公河(刑)移诉字〔2026〕{uuid.uuid4().hex[:6]}号"
    for suspect in body["suspects"]:
        suspect["suspect_id"] = str(uuid.uuid4())
    body.update(changes)
    return body


def _suspect_change(**changes: Any) -> dict[str, Any]:
    body = _case()
    body["suspects"][0].update(changes)
    return body


def _without_gender() -> dict[str, Any]:
    body = _case()
    del body["suspects"][0]["gender"]
    return body


@dataclass(frozen=True)
class Attack:
    name: str
    service: str
    method: str
    path: str
    token: bool = True
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    expected: int | None = None  # a particular status, where the class of it is the point
    resource: str | None = None  # the route the audit entry names, where the guards refuse first


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


ATTACKS = [
    # Class 1: bytes the database cannot hold, in every part of a request.
    Attack("NUL in a path segment, no token", "procuratorate", "GET", "/cases/%00", token=False),
    Attack("NUL in a path segment", "procuratorate", "GET", "/cases/%00/suspects"),
    Attack("NUL in a path segment (notifier)", "notifier", "GET", "/templates/%00/x"),
    Attack("NUL in a query parameter", "procuratorate", "GET", "/ledger?district=a%00b"),
    Attack("NUL in a query name", "aid_center", "GET", "/notices?x%00=1"),
    Attack(
        "NUL with an upper-case JSON type",
        "procuratorate",
        "POST",
        "/cases",
        content=_json(_case(transfer_number="a\x00b")),
        headers={"content-type": "application/JSON"},
        expected=422,
        resource="/cases",
    ),
    Attack(
        "NUL with a +json type",
        "procuratorate",
        "POST",
        "/cases",
        content=_json(_case(transfer_number="a\x00b")),
        headers={"content-type": "application/vnd.case+JSON; charset=utf-8"},
    ),
    Attack(
        "NUL without a content type",
        "aid_center",
        "POST",
        "/firms",
        content=b'{"name": "\\u0000", "contact": "1"}',
        headers={"content-type": ""},
    ),
    Attack(
        "NUL in a key",
        "procuratorate",
        "POST",
        "/cases",
        content=b'{"a\\u0000": 1}',
        headers={"content-type": "application/json"},
        expected=422,
    ),
    Attack(
        "deeply nested JSON",
        "procuratorate",
        "POST",
        "/cases",
        content=b"[" * 100_000 + b"]" * 100_000,
        headers={"content-type": "application/json"},
        expected=422,
    ),
    Attack(
        "deeply nested JSON holding a NUL",
        "aid_center",
        "POST",
        "/firms",
        content=b'{"a":' * 5000 + b'"\\u0000"' + b"}" * 5000,
        headers={"content-type": "application/json"},
        expected=422,
    ),
    Attack(
        "a lone UTF-16 surrogate in a value",
        "procuratorate",
        "POST",
        "/cases",
        content=_json(_case()).replace("津".encode(), b"\\ud800", 1),
        headers={"content-type": "application/json"},
        expected=422,
    ),
    Attack(
        "a lone UTF-16 surrogate in an unknown key",
        "aid_center",
        "POST",
        "/firms",
        content=b'{"\\udfff": 1}',
        headers={"content-type": "application/json"},
        expected=422,
    ),
    Attack(
        "an instant at the top of the range, west of UTC",
        "procuratorate",
        "POST",
        "/cases",
        content=_json(_case(received_at="9999-12-31T23:59:59-12:00")),
        headers={"content-type": "application/json"},
        expected=422,
    ),
    Attack(
        "an instant at the bottom of the range, east of UTC",
        "procuratorate",
        "POST",
        "/cases",
        content=_json(_case(received_at="0001-01-01T00:00:00+14:00")),
        headers={"content-type": "application/json"},
        expected=422,
    ),
    Attack(
        "a birth date in the year 3000",
        "procuratorate",
        "POST",
        "/cases",
        content=_json(_suspect_change(birth_date="3000-01-01")),
        headers={"content-type": "application/json"},
        expected=422,
    ),
    Attack("a ledger to the year 9999", "procuratorate", "GET", "/ledger?received_to=9999-12-31"),
    Attack(
        "statistics to the year 9999", "procuratorate", "GET", "/statistics?received_to=9999-12-31"
    ),
    Attack("a duty rota to the year 9999", "aid_center", "GET", "/duty-rota?starts_on=9999-12-31"),
    Attack(
        "meetings overdue as of the year 1",
        "aid_center",
        "GET",
        "/assignments/overdue-meetings?as_of=0001-01-01",
    ),
    # Unknown assignments: a 4xx either way; test_api_input_contract proves "" is a 422.
    Attack(
        "an empty activity note",
        "aid_center",
        "POST",
        f"/assignments/{uuid.uuid4()}/activities",
        content=_json({"kind": "meeting", "performed_on": "2026-03-02", "note": ""}),
        headers={"content-type": "application/json"},
    ),
    Attack(
        "empty quality-review findings",
        "aid_center",
        "POST",
        f"/assignments/{uuid.uuid4()}/quality-reviews",
        content=_json({"findings": ""}),
        headers={"content-type": "application/json"},
    ),
    Attack(
        "a template computing a huge number",
        "notifier",
        "PUT",
        "/templates/*/*",
        content=_json({"subject": "s", "body": "{{ 10**5000 }}"}),
        headers={"content-type": "application/json"},
    ),
    Attack(
        "a template with nested huge loops",
        "notifier",
        "PUT",
        "/templates/*/*",
        content=_json(
            {
                "subject": "s",
                "body": "{% for i in range(99999) %}{% for j in range(99999) %}"
                "{% endfor %}{% endfor %}",
            }
        ),
        headers={"content-type": "application/json"},
    ),
    Attack(
        "a template multiplying text",
        "notifier",
        "PUT",
        "/templates/*/*",
        content=_json({"subject": "s", "body": "{{ 'x' * 1000000000 }}"}),
        headers={"content-type": "application/json"},
    ),
    # Class 5: error bodies echo nothing; bodies have a size limit.
    Attack(
        "a suspect without gender (the 422 must not echo the suspects)",
        "procuratorate",
        "POST",
        "/cases",
        content=_json(_without_gender()),
        headers={"content-type": "application/json"},
        expected=422,
    ),
    Attack(
        "16 MiB of JSON",
        "procuratorate",
        "POST",
        "/cases",
        content=b'{"x": "' + b"a" * (16 * 1024 * 1024) + b'"}',
        headers={"content-type": "application/json"},
        expected=413,
        resource="/cases",
    ),
    Attack(
        "a body larger than its declared length",
        "aid_center",
        "POST",
        "/firms",
        content=b"[" + b"1," * 200_000 + b"1]",
        headers={"content-type": "application/json"},
        expected=413,
        resource="/firms",
    ),
    Attack(
        "a content length that is not a number",
        "aid_center",
        "POST",
        "/firms",
        content=b"{}",
        headers={"content-type": "application/json", "content-length": "x"},
    ),
    # Class 6: tokens.
    Attack("no token", "aid_center", "GET", "/notices", token=False, expected=401),
    Attack(
        "a method the path does not allow",
        "procuratorate",
        "DELETE",
        "/ledger",
        expected=405,
        resource="/ledger",
    ),
    Attack(
        "NUL in a path no route serves",
        "procuratorate",
        "GET",
        "/nowhere/%00",
        token=False,
        resource="unmatched",
    ),
]


async def _send(service: Service, attack: Attack) -> httpx.Response:
    headers = {**(service.staff if attack.token else {}), **attack.headers}
    return await service.client.request(
        attack.method, attack.path, content=attack.content, headers=headers
    )


def _assert_refused_cleanly(attack: Attack, response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, (attack.name, response.status_code, response.text)
    if attack.expected is not None:
        assert response.status_code == attack.expected, (attack.name, response.text)
    assert response.headers.get("cache-control") == "no-store", attack.name
    assert len(response.content) < MAX_ERROR_BODY, (attack.name, len(response.content))
    assert ID_NUMBER not in response.text, attack.name
    assert '"input"' not in response.text, attack.name
    problem(response)  # whoever refused it (guard, routing, validation, route): one format


@pytest.mark.parametrize("attack", ATTACKS, ids=[attack.name for attack in ATTACKS])
async def test_a_hostile_request_is_refused_with_a_4xx_and_audited(
    services: dict[str, Service], attack: Attack
) -> None:
    service = services[attack.service]
    before = await service.audit_rows()
    response = await _send(service, attack)
    _assert_refused_cleanly(attack, response)
    after = await service.audit_rows()
    assert len(after) == len(before) + 1, f"{attack.name}: not audited once"
    assert after[-1][1] not in ("ok", "error"), (attack.name, after[-1])
    if attack.resource is not None:
        assert after[-1][0] == attack.resource, (attack.name, after[-1])


async def test_a_token_living_too_long_is_refused_and_audited(
    services: dict[str, Service],
) -> None:
    service = services["procuratorate"]
    settings = service.settings
    token = issue_token(
        Principal("u-long", Role.PROCURATORATE_STAFF, agency=HEDONG),
        secret=settings.auth_jwt_secret.get_secret_value(),
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        ttl=timedelta(days=30),
        now=datetime.now(UTC),
    )
    before = await service.audit_rows()
    response = await service.client.get("/ledger", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "lifetime" in problem(response)["detail"]
    after = await service.audit_rows()
    assert [outcome for _, outcome in after[len(before) :]] == ["unauthenticated"]


async def test_the_same_new_case_sent_many_times_at_once_is_never_a_500(
    services: dict[str, Service],
) -> None:
    """Each request passes the route's own duplicate check before any has committed; the
    database's constraint decides, and the losers hear a 200 (the same transfer) or a 409."""
    procuratorate = services["procuratorate"]
    for body in (_case(), {**_case(), "suspects": _case()["suspects"]}):
        for variant in (body, {**body, "case_id": str(uuid.uuid4())}):
            responses = await asyncio.gather(
                *(
                    procuratorate.client.post("/cases", json=variant, headers=procuratorate.staff)
                    for _ in range(8)
                )
            )
            assert {r.status_code for r in responses} <= {200, 201, 409}, [
                (r.status_code, r.text[:200]) for r in responses
            ]


async def test_legitimate_requests_succeed_while_hostile_ones_arrive(
    services: dict[str, Service],
) -> None:
    """The review's worst case: concurrent legitimate requests failed with the hostile one."""
    procuratorate = services["procuratorate"]
    legitimate = [
        procuratorate.client.post("/cases", json=_case(), headers=procuratorate.staff)
        for _ in range(10)
    ] + [
        services[name].client.get(path, headers=services[name].staff)
        for name, path in [
            ("procuratorate", "/ledger"),
            ("aid_center", "/notices"),
            ("notifier", "/templates"),
        ]
        for _ in range(10)
    ]
    hostile_attacks = [attack for attack in ATTACKS if "16 MiB" not in attack.name] * 2
    hostile = [_send(services[attack.service], attack) for attack in hostile_attacks]
    before = {name: len(await service.audit_rows()) for name, service in services.items()}
    responses = await asyncio.gather(*legitimate, *hostile)
    good, bad = responses[: len(legitimate)], responses[len(legitimate) :]
    assert [
        (r.request.url.path, r.status_code, r.text[:300]) for r in good if r.status_code >= 300
    ] == []
    for attack, response in zip(hostile_attacks, bad, strict=True):
        _assert_refused_cleanly(attack, response)
    audited = 0
    for name, service in services.items():
        audited += len(await service.audit_rows()) - before[name]
    assert audited == len(legitimate) + len(hostile)


async def test_api_answers_are_not_cached_but_probes_and_documents_may_be(
    services: dict[str, Service],
) -> None:
    for name, path in [("procuratorate", "/ledger"), ("aid_center", "/notices")]:
        service = services[name]
        response = await service.client.get(path, headers=service.staff)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
    for path in ("/health", "/openapi.json"):
        response = await services["notifier"].client.get(path)
        assert "no-store" not in response.headers.get("cache-control", "")
