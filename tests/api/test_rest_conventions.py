"""The REST conventions client developers rely on, asserted route by route over each service's
OpenAPI document and its live app (the README's "REST conventions"):

- every list pages: ``limit`` (bounded) and ``cursor`` in, ``{"items", "next_cursor"}`` and a
  ``Link: <…>; rel="next"`` header out; no route answers a bare array;
- every POST honours ``Idempotency-Key``: documented, and a retry with the key of a valid
  request (the body's documented example) is answered again (``Idempotent-Replayed: true``)
  without a second effect (no row of any table changes), the key for another request is a
  422, another caller's key is not theirs; an effect and its stored response commit together;
- every ``PATCH``/``PUT`` honours ``If-Match`` (documented, with its 412): the resource's ``GET``
  and the write send its ``ETag``, and a write with a stale one is a 412 that changes nothing.
"""

from __future__ import annotations

import asyncio
import re
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from service_runtime.paging import MAX_LIMIT
from service_runtime.security.principal import Role
from tests.infrastructure import RunningService, bearer, own_topics, run_service
from tests.security.test_route_access_matrix import (
    CLAIMS,
    FACTORIES,
    OPEN,
    _audience,
    _concrete,
)

sys.path.insert(0, str(Path(__file__).parents[2] / "services/procuratorate/tests/integration"))
from procuratorate_factories import case

pytestmark = pytest.mark.integration

# Whom to call a route as: the first of these its audience admits.
PREFERRED = [Role.PROCURATORATE_STAFF, Role.AID_CENTER_STAFF, Role.OPERATOR, Role.LAWYER]


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return sorted(
        (method.upper(), path, operation)
        for path, operations in document["paths"].items()
        if path not in OPEN
        for method, operation in operations.items()
    )


def _schema(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _ok_schema(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    for status in ("200", "201"):
        content = operation.get("responses", {}).get(status, {}).get("content", {})
        if "application/json" in content:
            return _schema(document, content["application/json"].get("schema", {}))
    return None


def _is_page(schema: dict[str, Any] | None) -> bool:
    properties = (schema or {}).get("properties", {})
    return properties.get("items", {}).get("type") == "array" and "next_cursor" in properties


def _lists(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (path, operation)
        for method, path, operation in _operations(document)
        if method == "GET" and _is_page(_ok_schema(document, operation))
    ]


def _caller(service: str, method: str, path: str, running: RunningService) -> dict[str, str]:
    admitted = _audience(service, method, path) or set()
    role = next(role for role in PREFERRED if role in admitted)
    return bearer(running.settings, role, **CLAIMS[role])


@pytest.fixture(scope="module")
async def services(service_settings: Any) -> AsyncIterator[dict[str, RunningService]]:
    running: dict[str, RunningService] = {}
    stack = []
    for name, (factory, settings_class) in FACTORIES.items():
        settings = await service_settings(
            settings_class,
            f"conventions_{name}",
            topic_partitions=1,
            **own_topics(f"conventions-{name}"),
        )
        context = run_service(factory(settings), settings)
        running[name] = await context.__aenter__()
        stack.append(context)
    yield running
    for context in reversed(stack):
        await context.__aexit__(None, None, None)


@pytest.mark.parametrize("service", list(FACTORIES))
def test_no_route_answers_a_bare_array_and_every_list_takes_limit_and_cursor(
    service: str,
) -> None:
    factory, _ = FACTORIES[service]
    document = factory().openapi()
    bare = [
        f"{method} {path}"
        for method, path, operation in _operations(document)
        if method == "GET" and (_ok_schema(document, operation) or {}).get("type") == "array"
    ]
    assert bare == []
    lists = _lists(document)
    assert len(lists) >= 4
    for path, operation in lists:
        parameters = {p["name"]: p for p in operation.get("parameters", [])}
        assert {"limit", "cursor"} <= set(parameters), path
        limit = parameters["limit"]["schema"]
        assert (limit["minimum"], limit["maximum"]) == (1, MAX_LIMIT), path
        assert parameters["limit"]["required"] is False, path


@pytest.mark.parametrize("service", list(FACTORIES))
async def test_every_list_bounds_limit_and_refuses_a_made_up_cursor(
    services: dict[str, RunningService], service: str
) -> None:
    running = services[service]
    wrong: list[str] = []
    for path, _ in _lists(running.app.openapi()):
        if "{" in path:
            continue  # an unknown parent is a 404 first (the bound is checked in the document)
        url = _concrete(path)
        headers = _caller(service, "GET", path, running)
        params = {"starts_on": "2026-03-01"} if path == "/duty-rota" else {}
        for limit in (0, MAX_LIMIT + 1):
            response = await running.client.get(
                url, params={**params, "limit": limit}, headers=headers
            )
            if response.status_code != 422 or "limit" not in response.text:
                wrong.append(f"{path} limit={limit}: {response.status_code}")
        forged = await running.client.get(
            url, params={**params, "cursor": "eyJwIjoiLyJ9.AAAA"}, headers=headers
        )
        if forged.status_code != 400 or "cursor" not in forged.text:
            wrong.append(f"{path} forged cursor: {forged.status_code} {forged.text[:200]}")
    assert wrong == []


async def _walk(
    running: RunningService, url: str, headers: dict[str, str], params: dict[str, str]
) -> list[Any]:
    """Every item, one per page, by the ``Link`` header alone."""
    items: list[Any] = []
    response = await running.client.get(url, params={**params, "limit": 1}, headers=headers)
    while True:
        assert response.status_code == 200, (url, response.text)
        body = response.json()
        assert len(body["items"]) <= 1
        items += body["items"]
        link = response.headers.get("link")
        if body["next_cursor"] is None:
            assert link is None
            return items
        target = re.fullmatch(r'<([^>]+)>; rel="next"', link or "")
        assert target is not None, link
        assert f"cursor={body['next_cursor']}" in target.group(1)
        response = await running.client.get(target.group(1), headers=headers)


async def test_a_list_walked_one_by_one_by_its_link_header_gives_each_item_once_in_order(
    services: dict[str, RunningService],
) -> None:
    center = services["aid_center"]
    staff = _caller("aid_center", "GET", "/firms", center)
    for name in ("丁所", "甲所", "乙所", "丙所", "戊所"):
        created = await center.client.post(
            "/firms", json={"name": f"天津{name}", "contact": "022-1"}, headers=staff
        )
        assert created.status_code == 201, created.text
    whole = (await center.client.get("/firms", params={"limit": MAX_LIMIT}, headers=staff)).json()
    assert whole["next_cursor"] is None and len(whole["items"]) >= 5
    names = [firm["name"] for firm in whole["items"]]
    assert names == sorted(names)
    walked = await _walk(center, "/firms", staff, {})
    assert walked == whole["items"]
    # A cursor is for the list it came from only.
    page = (await center.client.get("/firms", params={"limit": 1}, headers=staff)).json()
    elsewhere = await center.client.get(
        "/work-stations", params={"cursor": page["next_cursor"]}, headers=staff
    )
    assert elsewhere.status_code == 400 and "cursor" in elsewhere.text


@pytest.mark.parametrize("service", list(FACTORIES))
async def test_every_list_without_a_parent_walks_to_the_same_items_page_by_page(
    services: dict[str, RunningService], service: str
) -> None:
    running = services[service]
    for path, _ in _lists(running.app.openapi()):
        if "{" in path:
            continue
        headers = _caller(service, "GET", path, running)
        params = {"starts_on": "2026-03-01"} if path == "/duty-rota" else {}
        whole = await running.client.get(
            path, params={**params, "limit": MAX_LIMIT}, headers=headers
        )
        assert whole.status_code == 200, (path, whole.text)
        assert await _walk(running, path, headers, params) == whole.json()["items"], path


@pytest.mark.parametrize("service", list(FACTORIES))
def test_every_post_documents_the_idempotency_key(service: str) -> None:
    factory, _ = FACTORIES[service]
    document = factory().openapi()
    posts = [(path, op) for method, path, op in _operations(document) if method == "POST"]
    assert posts
    undocumented = [
        path
        for path, operation in posts
        if not any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
    ]
    assert undocumented == []


async def _outbox(running: RunningService) -> int:
    outbox = running.runtime.definition.tables.messaging.outbox
    async with running.runtime.sessions() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(outbox)) or 0)


async def _rows(running: RunningService) -> dict[str, int]:
    """Every table's row count but the audit log's and the keys' own (a request of any kind,
    a replay too, is audited): what an effect would change."""
    tables = running.runtime.definition.tables
    skipped = {tables.audit_log.name, tables.idempotency.name}
    counts = {}
    async with running.runtime.sessions() as session:
        for table in running.runtime.definition.metadata.sorted_tables:
            if table.name not in skipped:
                counted = await session.scalar(sa.select(sa.func.count()).select_from(table))
                counts[table.fullname] = int(counted or 0)
    return counts


def _example_body(document: dict[str, Any], operation: dict[str, Any]) -> Any:
    """The request body's own example from the document (tests/api/test_openapi_examples.py
    holds them valid); none for a POST without a body."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    schema = _schema(document, content.get("schema", {}))
    return schema["examples"][0]


# Where a POST needs a body fitted to the live resources its example cannot know: the case the
# example transfers is for the caller's own unit, with a transfer number and ids of its own.
def _fitted(service: str, path: str, body: Any) -> Any:
    if (service, path) == ("procuratorate", "/cases"):
        fresh = case()
        return {
            **body,
            **{k: fresh[k] for k in ("transfer_number", "procuratorate_unit")},
            "suspects": [{**body["suspects"][0], "suspect_id": str(uuid.uuid4())}],
        }
    if (service, path) == ("aid_center", "/firms"):
        return {**body, "name": f"{body['name']}{uuid.uuid4().hex[:6]}"}
    if (service, path) == ("aid_center", "/work-stations"):
        return {**body, "name": f"{body['name']}{uuid.uuid4().hex[:6]}"}
    return body


@pytest.mark.parametrize("service", list(FACTORIES))
async def test_every_post_sent_twice_with_one_key_answers_alike_and_acts_at_most_once(
    services: dict[str, RunningService], service: str
) -> None:
    """Each POST with a valid body (its documented example; the procuratorate's on a case and
    suspect that exist): the retry with the same key answers the same, and a 2xx is a replay
    that changes no row of any table (no second event in the outbox, no second resource)."""
    running = services[service]
    document = running.app.openapi()
    ids: dict[str, str] = {}
    if service == "procuratorate":
        staff = _caller(service, "POST", "/cases", running)
        created = await running.client.post("/cases", json=case(), headers=staff)
        assert created.status_code == 201, created.text
        ids = {
            "case_id": created.json()["case_id"],
            "suspect_id": created.json()["suspects"][0]["suspect_id"],
        }
    wrong: list[str] = []
    replayed: list[str] = []
    for method, path, operation in _operations(document):
        if method != "POST":
            continue
        headers = {**_caller(service, method, path, running), "Idempotency-Key": uuid.uuid4().hex}
        url = re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "{" + m.group(1) + "}"), path)
        body = _fitted(service, path, _example_body(document, operation))
        first = await running.client.post(_concrete(url), json=body, headers=headers)
        before = await _rows(running)
        again = await running.client.post(_concrete(url), json=body, headers=headers)
        if first.status_code >= 500 or again.status_code != first.status_code:
            wrong.append(f"{path}: {first.status_code} then {again.status_code}")
        elif 200 <= first.status_code < 300:
            if again.content != first.content or again.headers.get("idempotent-replayed") != "true":
                wrong.append(f"{path}: the retry was not a replay")
            elif (after := await _rows(running)) != before:
                grew = {t: after[t] - before[t] for t in after if after[t] != before[t]}
                wrong.append(f"{path}: the replay changed rows: {grew}")
            else:
                replayed.append(path)
    assert wrong == []
    # The examples reach the routes' effects, not only their refusals.
    assert len(replayed) >= {"procuratorate": 8, "aid_center": 2, "notifier": 0}[service], replayed


async def test_a_case_and_a_rights_notification_retried_with_their_keys_happen_once(
    services: dict[str, RunningService],
) -> None:
    running = services["procuratorate"]
    staff = _caller("procuratorate", "POST", "/cases", running)
    body = case()
    keyed = {**staff, "Idempotency-Key": "case-" + uuid.uuid4().hex}
    created = await running.client.post("/cases", json=body, headers=keyed)
    assert created.status_code == 201, created.text
    assert "idempotent-replayed" not in created.headers
    events = await _outbox(running)
    replayed = await running.client.post("/cases", json=body, headers=keyed)
    # Without the key the same transfer is a 200 (already received): this is the stored 201.
    assert (replayed.status_code, replayed.content) == (201, created.content)
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.headers["content-type"] == created.headers["content-type"]
    assert await _outbox(running) == events

    view = created.json()
    suspect_id = view["suspects"][0]["suspect_id"]
    url = f"/cases/{view['case_id']}/suspects/{suspect_id}/rights-notification"
    told = {
        "informed": [{"role": "suspect", "name": "张三"}],
        "relatives_not_informed_reason": "无近亲属",
    }
    action = {**staff, "Idempotency-Key": "rights-" + uuid.uuid4().hex}
    first = await running.client.post(url, json=told, headers=action)
    assert first.status_code == 200, first.text
    events = await _outbox(running)
    again = await running.client.post(url, json=told, headers=action)
    assert (again.status_code, again.content) == (200, first.content)
    assert await _outbox(running) == events

    # The key for another request: refused, naming the header.
    other = await running.client.post(
        url, json={**told, "relatives_not_informed_reason": "另一理由"}, headers=action
    )
    assert other.status_code == 422 and "Idempotency-Key" in other.text
    # Another caller's key of the same text is theirs: it replays nothing of this caller's.
    stranger = {
        **bearer(
            running.settings,
            Role.PROCURATORATE_STAFF,
            agency=CLAIMS[Role.PROCURATORATE_STAFF]["agency"],
            subject="another-clerk",
        ),
        "Idempotency-Key": action["Idempotency-Key"],
    }
    theirs = await running.client.post(url, json=told, headers=stranger)
    assert "idempotent-replayed" not in theirs.headers
    # A malformed key is a 400 naming the header.
    bad = await running.client.post(url, json=told, headers={**staff, "Idempotency-Key": "a b"})
    assert bad.status_code == 400 and "Idempotency-Key" in bad.text


class _ProcessDied(BaseException):
    """The process ends at this point: nothing after it runs in this request."""


def _dying_on_the_way_out(app: Any) -> Any:
    """The app, behind a connection that dies as the response starts to leave: the route ran
    to its end, its response is never sent."""

    async def dying(scope: Any, receive: Any, send: Any) -> None:
        async def lost(message: Any) -> None:
            if message["type"] == "http.response.start":
                raise _ProcessDied
            await send(message)

        await app(scope, receive, lost)

    return dying


async def test_a_response_lost_after_its_effect_committed_is_replayed_not_run_again(
    services: dict[str, RunningService],
) -> None:
    """The effect and the stored response commit together: there is no moment where the one
    is committed and the other not, so the retry of a request whose answer never left gets
    that answer (and not a second effect, nor a 409 until the key expires)."""
    running = services["procuratorate"]
    staff = _caller("procuratorate", "POST", "/cases", running)
    created = await running.client.post("/cases", json=case(), headers=staff)
    assert created.status_code == 201, created.text
    view = created.json()
    url = f"/cases/{view['case_id']}/suspects/{view['suspects'][0]['suspect_id']}"
    told = {
        "informed": [{"role": "suspect", "name": "张三"}],
        "relatives_not_informed_reason": "无近亲属",
    }
    keyed = {**staff, "Idempotency-Key": uuid.uuid4().hex}
    before = await _outbox(running)
    transport = httpx.ASGITransport(app=_dying_on_the_way_out(running.app))
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as dying:
        with pytest.raises(_ProcessDied):
            await dying.post(f"{url}/rights-notification", json=told, headers=keyed)
    effect = await _outbox(running)
    assert effect > before  # the notification was recorded and its events queued
    retry = await running.client.post(f"{url}/rights-notification", json=told, headers=keyed)
    assert retry.status_code == 200, retry.text
    assert retry.headers.get("idempotent-replayed") == "true"
    assert retry.json()["suspect_id"] == view["suspects"][0]["suspect_id"]
    assert await _outbox(running) == effect
    read = await running.client.get(url, headers=staff)
    assert read.json()["rights_notified_at"] == retry.json()["notified_at"]


async def test_a_refused_post_frees_its_key_for_the_retry(
    services: dict[str, RunningService],
) -> None:
    running = services["procuratorate"]
    staff = _caller("procuratorate", "POST", "/cases", running)
    body = case()
    keyed = {**staff, "Idempotency-Key": uuid.uuid4().hex}
    unknown = f"/cases/{uuid.uuid4()}/suspects/{uuid.uuid4()}/rights-notification"
    told = {"informed": [{"role": "suspect", "name": "张三"}]}
    assert (await running.client.post(unknown, json=told, headers=keyed)).status_code == 404
    assert (await running.client.post(unknown, json=told, headers=keyed)).status_code == 404
    fresh = {**staff, "Idempotency-Key": uuid.uuid4().hex}
    refused = await running.client.post("/cases", json={**body, "suspects": []}, headers=fresh)
    assert refused.status_code == 422
    created = await running.client.post("/cases", json=body, headers=fresh)
    assert created.status_code == 201, created.text


@pytest.mark.parametrize("service", list(FACTORIES))
def test_every_patch_and_put_documents_if_match_and_its_412(service: str) -> None:
    factory, _ = FACTORIES[service]
    document = factory().openapi()
    writes = [
        (method, path, op)
        for method, path, op in _operations(document)
        if method in ("PATCH", "PUT")
    ]
    wrong = [
        f"{method} {path}"
        for method, path, operation in writes
        if not any(p["name"] == "If-Match" for p in operation.get("parameters", []))
        or "412" not in operation.get("responses", {})
        or "get" not in document["paths"][path]
    ]
    assert wrong == []


async def _guarded(
    running: RunningService,
    url: str,
    method: str,
    body: dict[str, Any],
    headers: dict[str, str],
    write_url: str | None = None,
) -> None:
    """The GET's ETag guards the write: stale → 412 and no change; current → applied, and the
    new ETag is the GET's from then on; the old one is stale now."""
    target = write_url or url
    read = await running.client.get(url, headers=headers)
    assert read.status_code == 200, (url, read.text)
    etag = read.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag), etag
    stale = await running.client.request(
        method, target, json=body, headers={**headers, "If-Match": '"0123456789abcdef"'}
    )
    assert stale.status_code == 412 and "If-Match" in stale.text, (target, stale.text)
    assert (await running.client.get(url, headers=headers)).headers["etag"] == etag
    applied = await running.client.request(
        method, target, json=body, headers={**headers, "If-Match": f"W/{etag}, {etag}"}
    )
    assert applied.status_code == 200, (target, applied.text)
    assert applied.headers["etag"] != etag
    assert (await running.client.get(url, headers=headers)).headers["etag"] == applied.headers[
        "etag"
    ]
    again = await running.client.request(
        method, target, json=body, headers={**headers, "If-Match": etag}
    )
    assert again.status_code == 412, target


async def test_each_patch_and_put_applies_only_on_the_current_etag(
    services: dict[str, RunningService],
) -> None:
    notifier = services["notifier"]
    operator = bearer(notifier.settings, Role.OPERATOR)
    await _guarded(
        notifier,
        "/templates/LawyerAssigned/lawyer",
        "PUT",
        {"subject": "新指派", "body": "您被指派。"},
        operator,
    )
    # The calendar is loaded at the procuratorate (the others follow its events).
    procuratorate = services["procuratorate"]
    owner = bearer(procuratorate.settings, Role.OPERATOR)
    await _guarded(
        procuratorate,
        "/ops/calendar/2026",
        "PUT",
        {
            **(await procuratorate.client.get("/ops/calendar/2026", headers=owner)).json(),
            "source": "operator upload",
        },
        owner,
    )

    center = services["aid_center"]
    staff = _caller("aid_center", "PATCH", "/lawyers/{lawyer_id}", center)
    firm = await center.client.post(
        "/firms", json={"name": f"天津{uuid.uuid4().hex[:6]}所", "contact": "022-1"}, headers=staff
    )
    licence = f"{uuid.uuid4().int % 10**17:017d}"
    lawyer = await center.client.post(
        "/lawyers",
        json={
            "firm_id": firm.json()["firm_id"],
            "name": "律师甲",
            "license_number": licence,
            "contact": "13800000000",
            "gender": "male",
            "criminal_practice_years": 5,
            "max_concurrent_cases": 3,
        },
        headers=staff,
    )
    assert lawyer.status_code == 201, lawyer.text
    lawyer_id = lawyer.json()["lawyer_id"]
    await _guarded(center, f"/lawyers/{lawyer_id}", "PATCH", {"max_concurrent_cases": 4}, staff)
    suspect = uuid.uuid4()
    previous = f"/suspects/{suspect}/previous-stage-lawyer"
    first = await center.client.put(previous, json={"lawyer_id": lawyer_id}, headers=staff)
    assert first.status_code == 200, first.text
    await _guarded(center, previous, "PUT", {"lawyer_id": lawyer_id, "note": "侦查阶段"}, staff)

    procuratorate = services["procuratorate"]
    clerk = _caller("procuratorate", "PATCH", "/cases", procuratorate)
    created = await procuratorate.client.post("/cases", json=case(), headers=clerk)
    assert created.status_code == 201, created.text
    view = created.json()
    url = f"/cases/{view['case_id']}/suspects/{view['suspects'][0]['suspect_id']}"
    await _guarded(procuratorate, url, "PATCH", {"custody_status": "bail"}, clerk)


async def test_two_writers_of_one_etag_one_wins_and_the_other_gets_412(
    services: dict[str, RunningService],
) -> None:
    notifier = services["notifier"]
    operator = bearer(notifier.settings, Role.OPERATOR)
    url = "/templates/LawyerReplaced/lawyer"
    etag = (await notifier.client.get(url, headers=operator)).headers["etag"]
    guarded = {**operator, "If-Match": etag}
    answers = await asyncio.gather(
        *(
            notifier.client.put(url, json={"subject": f"改派{n}", "body": "正文"}, headers=guarded)
            for n in range(4)
        )
    )
    assert sorted(a.status_code for a in answers) == [200, 412, 412, 412]
    [winner] = [a for a in answers if a.status_code == 200]
    current = await notifier.client.get(url, headers=operator)
    assert current.json()["subject"] == winner.json()["subject"]
    assert current.headers["etag"] == winner.headers["etag"]


async def test_concurrent_retries_under_one_key_run_the_post_once(
    services: dict[str, RunningService],
) -> None:
    running = services["procuratorate"]
    staff = _caller("procuratorate", "POST", "/cases", running)
    keyed = {**staff, "Idempotency-Key": uuid.uuid4().hex}
    body = case()
    answers = await asyncio.gather(
        *(running.client.post("/cases", json=body, headers=keyed) for _ in range(4))
    )
    ran = [a for a in answers if a.status_code == 201 and "idempotent-replayed" not in a.headers]
    assert len(ran) == 1, [(a.status_code, a.text[:100]) for a in answers]
    for other in answers:
        if other is not ran[0]:
            # Still running (409, retry later) or already answered (the stored 201 again).
            assert other.status_code == 409 or (
                other.headers.get("idempotent-replayed") == "true"
                and other.content == ran[0].content
            ), other.text
    # Without the key the others would have run too, answering 200 (the same transfer).
    assert not [a for a in answers if a.status_code == 200]
    replay = await running.client.post("/cases", json=body, headers=keyed)
    assert replay.status_code == 201 and replay.content == ran[0].content
