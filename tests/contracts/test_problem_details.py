"""Every error of every API is one RFC 9457 problem, whoever raises it: a route, a dependency,
the request guard before routing, routing itself (unknown path, wrong method) or a bug (500).
The shared mechanism is tested on a small app of its own, without I/O; the services' routes
are held to it by their own tests (tests.problems) and the OpenAPI check."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Query
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from service_runtime.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    TooManyRequests,
    Unauthenticated,
    UnsupportedMediaType,
    install_error_handlers,
)
from service_runtime.request_guards import request_guard
from tests.problems import at_fault, problem


class Suspect(BaseModel):
    name: str
    age: int


class Case(BaseModel):
    transfer_number: str
    suspects: list[Suspect]


RAISED = {
    "invalid": InvalidInput("the period ends before it starts", field="opinions.0.explanation"),
    "query": InvalidInput("ends_on is before starts_on", field="ends_on", where="query"),
    "missing": NotFound("case", "c-1"),
    "closed": Conflict("the case is closed", field="status"),
    "who": Unauthenticated("no bearer token"),
    "role": Forbidden("staff only"),
    "stale": PreconditionFailed("the case changed since it was read"),
    "media": UnsupportedMediaType("only JSON"),
    "slow": TooManyRequests("slow down"),
}


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(request_guard(1000))

    @app.post("/cases")
    async def create(body: Case, limit: Annotated[int, Query(ge=1)] = 10) -> Case:
        return body

    @app.get("/raise/{kind}")
    async def raise_(kind: str) -> None:
        raise RAISED[kind]

    async def refuse() -> None:
        raise Forbidden("a dependency refuses")

    @app.get("/guarded", dependencies=[Depends(refuse)])
    async def guarded() -> None:
        return None

    @app.get("/bug")
    async def bug() -> None:
        raise RuntimeError("a bug with secret 120102199001011234")

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # A 500's exception is re-raised by Starlette after the answer, for the server to log.
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        yield client


@pytest.mark.parametrize(
    ("kind", "status", "code", "fault"),
    [
        ("invalid", 400, "invalid_input", ["#/opinions/0/explanation"]),
        ("query", 400, "invalid_input", ["ends_on"]),
        ("missing", 404, "not_found", []),
        ("closed", 409, "conflict", ["#/status"]),
        ("who", 401, "unauthenticated", []),
        ("role", 403, "forbidden", []),
        ("stale", 412, "precondition_failed", []),
        ("media", 415, "unsupported_media_type", []),
        ("slow", 429, "too_many_requests", []),
    ],
)
async def test_each_raised_error_is_a_problem_with_its_code(
    client: httpx.AsyncClient, kind: str, status: int, code: str, fault: list[str]
) -> None:
    response = await client.get(f"/raise/{kind}")
    body = problem(response, status)
    assert body["code"] == code and body["detail"] == RAISED[kind].message
    assert body["instance"].startswith("urn:uuid:")
    assert at_fault(response) == fault
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_dependency_refusal_is_a_problem(client: httpx.AsyncClient) -> None:
    assert problem(await client.get("/guarded"), 403)["code"] == "forbidden"


async def test_routing_refusals_are_problems(client: httpx.AsyncClient) -> None:
    assert problem(await client.get("/nowhere"), 404)["code"] == "not_found"
    wrong = await client.delete("/cases")
    assert problem(wrong, 405)["code"] == "method_not_allowed"
    assert wrong.headers["allow"] == "POST"


async def test_a_bug_is_a_500_problem_that_says_nothing_of_it(client: httpx.AsyncClient) -> None:
    response = await client.get("/bug")
    body = problem(response, 500)
    assert body["code"] == "internal_error"
    assert "secret" not in response.text and "RuntimeError" not in response.text


async def test_validation_names_every_field_by_json_pointer(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/cases?limit=0", json={"suspects": [{"name": "张三", "age": "many"}, {"age": 3}]}
    )
    body = problem(response, 422)
    assert body["code"] == "validation_failed"
    assert sorted(at_fault(response)) == sorted(
        ["#/transfer_number", "#/suspects/0/age", "#/suspects/1/name", "limit"]
    )
    by_place = {e.get("pointer") or e["parameter"]: e for e in body["errors"]}
    assert by_place["limit"]["in"] == "query"
    assert by_place["#/transfer_number"]["type"] == "missing"


async def test_a_body_that_is_not_json_points_at_the_whole_body(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/cases", content=b'{"transfer_number": ', headers={"content-type": "application/json"}
    )
    assert at_fault(response, 422) == ["#"]


async def test_the_guards_refusals_before_routing_are_problems(
    client: httpx.AsyncClient,
) -> None:
    too_large = await client.post("/cases", content=b"x" * 2000)
    assert problem(too_large, 413)["code"] == "body_too_large"
    nul = await client.post("/cases", json={"transfer_number": "a\u0000b", "suspects": []})
    assert at_fault(nul, 422) == ["#/transfer_number"]
    assert problem(nul)["errors"][0]["type"] == "string_nul_character"
    deep = await client.post("/cases", content=b"[" * 100 + b"]" * 100)
    assert at_fault(deep, 422) == ["#"]
    lying = await client.post("/cases", content=b"{}", headers={"content-length": "x"})
    assert problem(lying, 400)["errors"] == [
        {
            "parameter": "content-length",
            "in": "header",
            "detail": "not a number",
            "type": "content_length",
        }
    ]


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    # Never a number, whatever follows: lax parsing would accept "000000" as an age.
    value=st.text(alphabet=st.characters(blacklist_categories=["Cs"])).map(
        lambda text: "不是数字" + text.replace("\x00", "")
    ),
    key=st.sampled_from(["age", "name"]),
)
async def test_a_refused_value_is_never_echoed(
    client: httpx.AsyncClient, value: str, key: str
) -> None:
    """Whatever was sent where a number belongs, the answer names the field, not the value."""
    suspect = {"name": "张三", "age": 3, key: {"nested": value} if key == "name" else value}
    response = await client.post("/cases", json={"transfer_number": "T", "suspects": [suspect]})
    body = problem(response, 422)
    assert at_fault(response) == [f"#/suspects/0/{key}"]
    assert value not in json.dumps(body, ensure_ascii=False)
