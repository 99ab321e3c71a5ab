"""Checks every service applies to request bodies before its routes see them.

PostgreSQL text and jsonb cannot hold the NUL character (``\\u0000``): a body carrying one would
pass the models and fail at the database as a 500. It is refused here with a 422 naming the
field, in the same shape as FastAPI's own validation errors.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

_WRITES = {"POST", "PUT", "PATCH"}


async def reject_nul_characters(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    if request.method in _WRITES and "json" in request.headers.get("content-type", ""):
        body = await request.body()
        if b"\\u0000" in body or b"\x00" in body:
            try:
                data = json.loads(body)
            except ValueError:
                return await call_next(request)  # malformed JSON: FastAPI's 422 says so
            location = _nul_location(data, ("body",))
            if location is not None:
                return JSONResponse(
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
    return await call_next(request)


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
