"""Checks every service applies to a request before its routes see it, and to every response.

Each refusal is a 4xx problem (service_runtime.errors: ``errors[]`` names the part at
fault), so hostile input never reaches code that would fail on it with a 500:

- PostgreSQL text and jsonb cannot hold the NUL character, nor can UTF-8 encode a lone UTF-16
  surrogate (JSON's ``"\\ud800"``): either in any string or key of a body is a 422, and in a
  path or query parameter too (:func:`reject_unstorable_parameters`, after routing). The
  body is checked whatever its ``Content-Type`` says (FastAPI parses a body without one, or
  with any ``…/json`` or ``…+json`` type in any case, as JSON).
- JSON nested deeper than :data:`MAX_JSON_DEPTH` is a 422: Python's parser (and anything
  walking the result) recurses, and would fail with a RecursionError.
- A body larger than ``http_max_body_bytes`` is a 413, refused by its declared length or, if
  it lies or streams, as soon as the bytes read exceed it; nothing beyond is read.
- Every response but the probes and the API documents carries ``Cache-Control: no-store``:
  they carry case and personal data, which no browser or proxy cache may keep.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_JSON_DEPTH = 64
DEFAULT_MAX_BODY_BYTES = 1_048_576
CACHEABLE = frozenset(
    {"/health", "/ready", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
)
# The documentation pages' scripts and styles (service_runtime.docs): cacheable, not audited.
DOCS_ASSETS_PREFIX = "/docs/assets/"
NUL_MESSAGE = "text may not contain the NUL character (\\u0000)"
SURROGATE_MESSAGE = "text must be valid Unicode (a lone UTF-16 surrogate is not)"

# A JSON string token, or a bracket outside strings.
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
# JSON escapes of a surrogate code point (\uD800-\uDFFF), in either case.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]", re.ASCII)


def request_guard(max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Any:
    """The guard around an app, for ``FastAPI.add_middleware``."""

    def build(app: ASGIApp) -> ASGIApp:
        return RequestGuard(app, max_body_bytes=max_body_bytes)

    return build


class Refusal(Exception):
    def __init__(self, status: int, kind: str, loc: list[str | int], message: str) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.loc = loc
        self.message = message

    def response(self) -> JSONResponse:
        # Imported here: the error module uses this one's text cleaning.
        from service_runtime.errors import problem, validation_errors

        errors = validation_errors([{"type": self.kind, "loc": self.loc, "msg": self.message}])
        code = "validation_failed" if self.status == 422 else None
        return problem(self.status, code=code, detail=self.message, errors=errors)


class RequestGuard:
    """Plain ASGI, not ``BaseHTTPMiddleware``: that one runs every request through a task group
    and memory streams, a cost paid on each request."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _no_store(scope, send)
        try:
            body = await self._read_body(scope, receive)
            if body:
                _check_body(body)
        except Refusal as refusal:
            await refusal.response()(scope, receive, send)
            return
        await self.app(scope, _replaying(body, receive), send)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > self.max_body_bytes
            except ValueError:
                raise Refusal(
                    400, "content_length", ["header", "content-length"], "not a number"
                ) from None
            if too_large:
                raise self._too_large()
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client left; the app sees an empty body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _too_large(self) -> Refusal:
        return Refusal(
            413,
            "body_too_large",
            ["body"],
            f"the request body may not exceed {self.max_body_bytes} bytes",
        )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def reject_unstorable_parameters(request: Request) -> None:
    """An app-wide dependency: path and query parameters with a NUL or a lone surrogate are a
    422. A dependency, not part of the guard, so that the request is routed first and its audit
    entry names the route and the case like any other refused request's."""
    for where, params in (("path", request.path_params), ("query", request.query_params)):
        for name, value in params.items():
            for text in (name, value):
                if isinstance(text, str) and (problem := _text_problem(text)) is not None:
                    kind, message = problem
                    raise RequestValidationError(
                        [{"type": kind, "loc": (where, clean_text(name)), "msg": message}]
                    )


def _check_body(body: bytes) -> None:
    has_nul = b"\x00" in body or b"\\u0000" in body
    has_surrogate = _SURROGATE_ESCAPE.search(body) is not None
    deep = body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH
    if not (has_nul or has_surrogate or deep):
        return
    if deep and _json_depth(body) > MAX_JSON_DEPTH:
        raise Refusal(
            422,
            "json_too_deep",
            ["body"],
            f"JSON may not be nested more than {MAX_JSON_DEPTH} levels deep",
        )
    if not (has_nul or has_surrogate):
        return
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        if b"\x00" in body:  # not JSON, and the NUL would reach the database as it is
            raise Refusal(422, "string_nul_character", ["body"], NUL_MESSAGE) from None
        return  # malformed JSON: FastAPI's 422 says so
    found = _bad_text(data)
    if found is not None:
        loc, kind, message = found
        raise Refusal(422, kind, ["body", *loc], message)


def _json_depth(body: bytes) -> int:
    """The deepest bracket nesting, brackets inside strings not counted; iterative, so any
    depth is measured without recursion."""
    depth = deepest = 0
    for match in _JSON_TOKENS.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    return deepest
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def _bad_text(data: Any) -> tuple[list[str | int], str, str] | None:
    """Where the first string (value or key) with a NUL or a lone surrogate is, walked with a
    stack: the depth was bounded before, but nothing here depends on it."""
    stack: list[tuple[Any, list[str | int]]] = [(data, [])]
    while stack:
        value, path = stack.pop()
        items: Iterator[tuple[str | int, Any]]
        if isinstance(value, str):
            problem = _text_problem(value)
            if problem is not None:
                return path, *problem
            continue
        if isinstance(value, dict):
            for key in value:
                problem = _text_problem(key)
                if problem is not None:
                    return [*path, clean_text(key)], *problem
            items = iter(value.items())
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            continue
        stack.extend((item, [*path, key]) for key, item in reversed(list(items)))
    return None


def _text_problem(text: str) -> tuple[str, str] | None:
    if "\x00" in text:
        return "string_nul_character", NUL_MESSAGE
    if _has_surrogate(text):
        return "string_unicode", SURROGATE_MESSAGE
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def clean_text(text: str, limit: int = 200) -> str:
    """Safe to put in a response or a database row: NUL and lone surrogates written as their
    escapes (``\\u0000``, ``\\ud800``), long text cut."""
    text = text.replace("\x00", "\\u0000")
    if _has_surrogate(text):
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[:limit] + "…"


def _no_store(scope: Scope, send: Send) -> Send:
    path = str(scope.get("path", ""))
    if path in CACHEABLE or path.startswith(DOCS_ASSETS_PREFIX):
        return send

    async def send_no_store(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [
                (key, value)
                for key, value in message.get("headers", [])
                if key.lower() not in (b"cache-control", b"pragma")
            ]
            headers += [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
            message = {**message, "headers": headers}
        await send(message)

    return send_no_store


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
