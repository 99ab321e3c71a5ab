"""How every test reads an error response: an RFC 9457 problem (service_runtime.errors)."""

from __future__ import annotations

from typing import Any

import httpx

PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance", "code"}


def problem(response: httpx.Response, status: int | None = None) -> dict[str, Any]:
    """The problem ``response`` carries, checked against the format (and ``status``, if given)."""
    if status is not None:
        assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body: dict[str, Any] = response.json()
    assert PROBLEM_MEMBERS <= body.keys(), body
    assert body["status"] == response.status_code, body
    assert body["type"] == f"urn:defense-coverage:problem:{body['code']}", body
    return body


def at_fault(response: httpx.Response, status: int | None = None) -> list[str]:
    """Where the problem says each error is: a body pointer (``#/suspects/0/name``) or a
    parameter's name."""
    return [
        error.get("pointer") or error["parameter"]
        for error in problem(response, status).get("errors", [])
    ]
