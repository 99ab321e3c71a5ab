"""The audit middleware at the edges: a route that raises is audited as an error, when the
entry cannot be written the caller gets a 500 and nothing of the route's answer, and the
entries of concurrent requests, appended together, each land once in an intact chain."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from procuratorate.service import create_app
from procuratorate.settings import ProcuratorateSettings
from service_runtime.security import audit
from service_runtime.security.audit import verify_chain
from service_runtime.security.principal import Role
from tests.infrastructure import bearer, own_topics

pytestmark = pytest.mark.integration

HEDONG = "天津市河东区人民检察院"


class Boom(Exception):
    pass


@pytest.fixture(scope="module")
async def service(service_settings: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    settings = await service_settings(
        ProcuratorateSettings, "audit_mw", topic_partitions=1, **own_topics("audit-mw")
    )
    app = create_app(settings)

    async def fails(case_id: uuid.UUID) -> None:
        raise Boom("the route failed")

    async def answers(case_id: uuid.UUID) -> dict[str, str]:
        return {"secret": "the route's answer"}

    async def answers_record(case_id: uuid.UUID, record_id: str) -> dict[str, str]:
        return {"secret": "the route's answer"}

    app.add_api_route("/cases/{case_id}/fails", fails, methods=["POST"])
    app.add_api_route("/cases/{case_id}/answers", answers, methods=["GET"])
    app.add_api_route("/cases/{case_id}/records/{record_id}", answers_record, methods=["GET"])
    async with app.router.lifespan_context(app):
        # As a server does: an exception the app lets out becomes the server's own 500.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://service",
            headers=bearer(settings, Role.PROCURATORATE_STAFF, agency=HEDONG, subject="u-mw"),
        ) as client:
            yield app, client


async def _outcomes(app: Any, case_id: uuid.UUID) -> list[tuple[str, str, str]]:
    runtime = app.state.runtime
    table = runtime.definition.tables.audit_log
    async with runtime.sessions() as session:
        rows = await session.execute(
            sa.select(table).where(table.c.case_id == case_id).order_by(table.c.id)
        )
        return [(row.action, row.resource, row.outcome) for row in rows]


async def test_a_route_that_raises_is_audited_as_an_error(service: Any) -> None:
    app, client = service
    case_id = uuid.uuid4()
    response = await client.post(f"/cases/{case_id}/fails")
    assert response.status_code == 500
    assert await _outcomes(app, case_id) == [("write", "/cases/{case_id}/fails", "error")]


async def test_an_entry_that_cannot_be_written_withholds_the_answer(
    service: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, client = service

    async def refuse(*args: Any, **kwargs: Any) -> None:
        raise Boom("the audit log is unavailable")

    monkeypatch.setattr(audit, "append_audit_many", refuse)
    response = await client.get(f"/cases/{uuid.uuid4()}/answers")
    assert response.status_code == 500
    assert "the route's answer" not in response.text


async def test_concurrent_requests_are_each_audited_once_in_an_intact_chain(
    service: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, client = service
    appended: list[int] = []
    append_many = audit.append_audit_many

    async def counting(session: Any, table: Any, entries: Any, **kwargs: Any) -> Any:
        appended.append(len(entries))
        return await append_many(session, table, entries, **kwargs)

    monkeypatch.setattr(audit, "append_audit_many", counting)
    cases = [uuid.uuid4() for _ in range(30)]
    responses = await asyncio.gather(*(client.get(f"/cases/{c}/answers") for c in cases))
    assert all(response.status_code == 200 for response in responses)
    for case_id in cases:
        assert await _outcomes(app, case_id) == [("read", "/cases/{case_id}/answers", "ok")]
    assert sum(appended) == 30
    assert len(appended) < 30, "concurrent entries share transactions"
    async with app.state.runtime.engine.connect() as connection:
        assert (await verify_chain(connection)).intact


@pytest.mark.parametrize("hostile", ["%00", "a%00b", "%ED%A0%80", "%00%ED%B0%80"])
async def test_an_unstorable_path_fails_no_other_request_and_is_audited(
    service: Any, hostile: str
) -> None:
    """NUL or a lone surrogate in a path segment, without a token: PostgreSQL text cannot hold
    either, and the entries of concurrent requests share one INSERT."""
    app, client = service
    legit = [uuid.uuid4() for _ in range(30)]
    hostile_cases = [uuid.uuid4() for _ in range(10)]

    async def anonymous(case_id: uuid.UUID) -> httpx.Response:
        return await client.get(
            f"/cases/{case_id}/records/{hostile}", headers={"Authorization": ""}
        )

    responses = await asyncio.gather(
        *(client.get(f"/cases/{c}/answers") for c in legit),
        *(anonymous(c) for c in hostile_cases),
    )
    statuses = [response.status_code for response in responses]
    assert statuses[:30] == [200] * 30
    assert all(status < 500 for status in statuses[30:]), statuses
    for case_id in legit:
        assert await _outcomes(app, case_id) == [("read", "/cases/{case_id}/answers", "ok")]
    runtime = app.state.runtime
    table = runtime.definition.tables.audit_log
    for case_id in hostile_cases:
        async with runtime.sessions() as session:
            rows = (await session.execute(sa.select(table).where(table.c.case_id == case_id))).all()
        assert len(rows) == 1
        assert rows[0].resource == "/cases/{case_id}/records/{record_id}"
        assert "\x00" not in (rows[0].record_id or "")
        assert rows[0].record_id  # escaped, not dropped
    async with runtime.engine.connect() as connection:
        assert (await verify_chain(connection)).intact


async def test_an_entry_the_database_refuses_is_kept_in_a_reduced_form(
    service: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever makes one entry unstorable, it is retried alone and, failing that, stored
    reduced; the entries queued with it are stored whole."""
    app, client = service
    poisoned = uuid.uuid4()
    real_storable = audit.storable_entry

    def poisoning(entry: Any) -> Any:
        entry = real_storable(entry)
        if entry.case_id == poisoned and entry.resource != audit.UNSTORABLE_RESOURCE:
            # A value PostgreSQL refuses, past the escaping (as a future bug could make).
            return dataclasses.replace(entry, record_id="poison\x00")
        return entry

    monkeypatch.setattr(audit, "storable_entry", poisoning)
    others = [uuid.uuid4() for _ in range(20)]
    responses = await asyncio.gather(
        client.get(f"/cases/{poisoned}/answers"),
        *(client.get(f"/cases/{c}/answers") for c in others),
    )
    assert all(response.status_code == 200 for response in responses)
    for case_id in others:
        assert await _outcomes(app, case_id) == [("read", "/cases/{case_id}/answers", "ok")]
    assert await _outcomes(app, poisoned) == [("read", audit.UNSTORABLE_RESOURCE, "ok")]
