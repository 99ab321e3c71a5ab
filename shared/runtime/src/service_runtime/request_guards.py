"""Checks every service applies to request bodies before its routes see them.

PostgreSQL text and jsonb cannot hold the NUL character (``\\u0000``): a body carrying one would
pass the models and fail at the database as a 500. It is refused here with a 422 naming the
field, in the same shape as FastAPI's own validation errors.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_WRITES = {"POST", "PUT", "PATCH"}


def reject_nul_characters(app: ASGIApp) -> ASGIApp:
    """The guard around ``app``, for ``FastAPI.add_middleware``."""
    return NulCharacterGuard(app)


class NulCharacterGuard:
    """Plain ASGI, not ``BaseHTTPMiddleware``: that one runs every request through a task group
    and memory streams, a cost paid on each request although the check applies to few."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WRITES:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        if "json" not in request.headers.get("content-type", ""):
            await self.app(scope, receive, send)
            return
        body = await request.body()
        location = _nul_location_in_body(body)
        if location is None:
            await self.app(scope, _replaying(body, receive), send)
            return
        refusal = JSONResponse(
            status_code=422,
            content={
                "detail": [
                    {
                        "type": "string_nul_character",
                        "loc": list(location),
                        "msg": "text may not contain the NUL character (\\u0000)",
                    }
                ]
            },
        )
        await refusal(scope, receive, send)


def _nul_location_in_body(body: bytes) -> tuple[str | int, ...] | None:
    if b"\\u0000" not in body and b"\x00" not in body:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None  # malformed JSON: FastAPI's 422 says so
    return _nul_location(data, ("body",))


def _replaying(body: bytes, receive: Receive) -> Receive:
    """The body was read here: the app gets it again as one message, then the live channel
    (which tells it when the client disconnects)."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _nul_location(value: Any, path: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                return (*path, key)
            if (found := _nul_location(item, (*path, key))) is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if (found := _nul_location(item, (*path, index))) is not None:
                return found
    return None
