"""The one error format of every service's REST API: RFC 9457 problem details.

Every error response — a route's, a dependency's, the request guard's before routing, an
unknown path's 404, a 405, an unexpected 500 — is ``application/problem+json``::

    {"type": "urn:defense-coverage:problem:conflict", "title": "Conflict", "status": 409,
     "detail": "the case is closed", "instance": "urn:uuid:…", "code": "conflict",
     "errors": [{"pointer": "#/status", "detail": "the case is closed"}]}

- ``code`` (an extension member) is the stable, machine-readable kind a client switches on;
  ``type`` is the same kind as a URI (an identifier, not a link), ``title`` its fixed summary;
- ``detail`` says what went wrong this time, ``instance`` names this occurrence (a fresh URN,
  logged with a 5xx; not the request path, which may carry what the caller sent);
- ``errors`` names each part at fault: ``pointer`` is a JSON pointer (RFC 6901, as a URI
  fragment) into the request body — or, for a 409, into the resource whose state refuses —
  and ``parameter`` with ``in`` a query, path or header parameter. Never the value sent: it
  may be personal data or megabytes long.

The statuses:

- 422 ``validation_failed``: the body or a parameter is malformed (each field in ``errors``);
- 400 :class:`InvalidInput` ``invalid_input``: well-formed but wrong in a way only the domain
  can tell, with the field at fault;
- 404 :class:`NotFound`: an unknown id, or a path no route serves;
- 409 :class:`Conflict`: the action is well-formed but the case's state forbids it;
- 401 :class:`Unauthenticated`: no bearer token, or one that does not verify;
- 403 :class:`Forbidden`: a verified caller whose role may not use this route. (A case outside
  the caller's unit is a 404, not a 403: its existence is not disclosed.)
- 503 :class:`Unavailable` ``unavailable``: a representation this server cannot make now (a
  document's PDF where LibreOffice is not installed: the DOCX is still served), or a
  dependency that did not answer.
- 412 :class:`PreconditionFailed`, 413 ``body_too_large``, 415 :class:`UnsupportedMediaType`,
  429 :class:`TooManyRequests`, 405 ``method_not_allowed``, 500 ``internal_error``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service_runtime.request_guards import clean_text

MAX_REPORTED_ERRORS = 20
PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:defense-coverage:problem:"
log = logging.getLogger(__name__)

# The fixed summary of each kind (RFC 9457 §3.1.3: the same for every occurrence of a type).
TITLES: dict[str, str] = {
    "invalid_input": "The input is refused by the rules",
    "bad_request": "Bad request",
    "unauthenticated": "Authentication required",
    "forbidden": "The caller's role may not use this route",
    "not_found": "Not found",
    "method_not_allowed": "Method not allowed",
    "conflict": "The current state forbids this action",
    "precondition_failed": "The resource changed since it was read",
    "idempotency_key_reused": "The Idempotency-Key was used for another request",
    "body_too_large": "The request body is too large",
    "unsupported_media_type": "Unsupported media type",
    "validation_failed": "The request is malformed",
    "too_many_requests": "Too many requests",
    "internal_error": "Internal server error",
    "unavailable": "The service cannot answer this now",
}


def _code_of_status(status: int) -> str:
    known = {
        400: "bad_request",
        401: "unauthenticated",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        412: "precondition_failed",
        413: "body_too_large",
        415: "unsupported_media_type",
        422: "validation_failed",
        429: "too_many_requests",
        500: "internal_error",
        503: "unavailable",
    }
    if status in known:
        return known[status]
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def problem_body(
    status: int,
    *,
    code: str | None = None,
    detail: str | None = None,
    errors: Sequence[Mapping[str, object]] | None = None,
) -> dict[str, object]:
    """A problem details object; ``detail`` is made safe to encode and short."""
    code = code or _code_of_status(status)
    body: dict[str, object] = {
        "type": TYPE_PREFIX + code,
        "title": TITLES.get(code) or _phrase(status),
        "status": status,
        "detail": clean_text(detail if detail is not None else _phrase(status), 500),
        "instance": f"urn:uuid:{uuid.uuid4()}",
        "code": code,
    }
    if errors:
        body["errors"] = [dict(error) for error in errors]
    return body


def problem(
    status: int,
    *,
    code: str | None = None,
    detail: str | None = None,
    errors: Sequence[Mapping[str, object]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The response every error of the API is sent as."""
    return JSONResponse(
        status_code=status,
        content=problem_body(status, code=code, detail=detail, errors=errors),
        headers=dict(headers) if headers else None,
        media_type=PROBLEM_JSON,
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def json_pointer(path: Sequence[str | int]) -> str:
    """RFC 6901 pointer as a URI fragment (``#/suspects/0/name``; ``#`` is the whole body)."""
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in path)
    return "#" + "".join("/" + clean_text(part) for part in escaped)


def field_error(field: str, detail: str, *, where: str = "body") -> dict[str, object]:
    """One entry of ``errors`` for a field a route or the domain names (dotted, as
    ``opinions.0.explanation``; empty for the whole body); ``where`` is ``body`` or a
    parameter's place."""
    if where == "body":
        parts: list[str | int] = [] if field in ("", ".") else [*field.split(".")]
        return {"pointer": json_pointer(parts), "detail": clean_text(detail, 300)}
    return {"parameter": clean_text(field), "in": where, "detail": clean_text(detail, 300)}


class ApiError(Exception):
    status_code = 400
    code = "invalid"
    headers: ClassVar[dict[str, str] | None] = None

    def __init__(self, message: str, *, field: str | None = None, where: str = "body") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.where = where

    def body(self) -> dict[str, object]:
        # Messages may quote a path parameter (an unknown id): made safe to encode, and short.
        errors = None
        if self.field is not None:
            errors = [field_error(self.field, self.message, where=self.where)]
        return problem_body(self.status_code, code=self.code, detail=self.message, errors=errors)

    def response(self) -> JSONResponse:
        return JSONResponse(
            status_code=self.status_code,
            content=self.body(),
            headers=self.headers,
            media_type=PROBLEM_JSON,
        )


class InvalidInput(ApiError):
    status_code = 400
    code = "invalid_input"


class NotFound(ApiError):
    status_code = 404
    code = "not_found"

    def __init__(self, what: str, identifier: object) -> None:
        super().__init__(f"{what} {identifier} not found", field=None)


class Conflict(ApiError):
    status_code = 409
    code = "conflict"


class Unauthenticated(ApiError):
    status_code = 401
    code = "unauthenticated"
    # RFC 6750 §3: tell the client which scheme to use, and why the token was refused.
    headers: ClassVar[dict[str, str] | None] = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class Forbidden(ApiError):
    status_code = 403
    code = "forbidden"


class Unavailable(ApiError):
    """503: this server cannot produce the representation asked for (e.g. a PDF without
    LibreOffice installed), though the resource exists."""

    status_code = 503
    code = "unavailable"


class PreconditionFailed(ApiError):
    status_code = 412
    code = "precondition_failed"


class UnsupportedMediaType(ApiError):
    status_code = 415
    code = "unsupported_media_type"


class TooManyRequests(ApiError):
    status_code = 429
    code = "too_many_requests"


def install_error_handlers(app: FastAPI) -> None:
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return exc.response()

    app.add_exception_handler(ApiError, handle)
    app.add_exception_handler(RequestValidationError, _validation_failed)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(sqlalchemy.exc.IntegrityError, _constraint_failed)
    app.add_exception_handler(sqlalchemy.exc.DataError, _value_refused_by_database)
    # Starlette's outermost middleware answers with this and still re-raises, so the error
    # is logged (and audited) as before; the client gets a problem, not a text/plain page.
    app.add_exception_handler(Exception, _unexpected)


async def _http_exception(_: Request, exc: Exception) -> JSONResponse:
    """Routing's own refusals (a path no route serves, a method the path does not allow) and
    any ``HTTPException`` a dependency raises; its ``detail`` is a fixed text of ours."""
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    return problem(exc.status_code, detail=detail, headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    body = problem_body(500, detail="an unexpected error; it has been logged")
    log.error(
        "%s %s: unexpected %s, answered as %s",
        request.method,
        request.url.path,
        type(exc).__name__,
        body["instance"],
    )
    return JSONResponse(status_code=500, content=body, media_type=PROBLEM_JSON)


async def _constraint_failed(request: Request, exc: Exception) -> JSONResponse:
    """Two requests that each passed the route's own check and then collided in the database
    (the same new id twice at once): the loser's transaction is rolled back, and it is told so
    as a conflict, not a 500. Logged, as a route that lets this happen alone has a bug."""
    log.warning("%s %s: constraint violated: %s", request.method, request.url.path, _cause(exc))
    return Conflict(
        "the request conflicts with a concurrent or earlier change; read and retry"
    ).response()


async def _value_refused_by_database(request: Request, exc: Exception) -> JSONResponse:
    log.error(
        "%s %s: a value the API accepted was refused by the database: %s",
        request.method,
        request.url.path,
        _cause(exc),
    )
    return InvalidInput("a value does not fit what the database can hold").response()


def _cause(exc: Exception) -> str:
    # The constraint's name and SQLSTATE, not the statement or its parameters (personal data).
    orig = getattr(exc, "orig", None)
    return f"{type(orig).__name__} {getattr(orig, 'sqlstate', '')}".strip()


def validation_errors(errors: Sequence[Any]) -> list[dict[str, object]]:
    """FastAPI's errors as ``errors`` entries: where (a body pointer or a parameter), the
    message and the kind — never ``input`` or ``ctx`` (they echo what was sent); each text
    made safe to encode (a lone surrogate in a key would fail the response) and short, and no
    more than :data:`MAX_REPORTED_ERRORS` of them (a list of a million bad items is one
    answer)."""
    entries: list[dict[str, object]] = []
    for error in list(errors)[:MAX_REPORTED_ERRORS]:
        loc = [part if isinstance(part, int) else clean_text(str(part)) for part in error["loc"]]
        kind = clean_text(str(error.get("type", "")), 100)
        entry: dict[str, object]
        if not loc or loc[0] == "body":
            # A JSON syntax error's loc is the character's offset, not a path.
            path = [] if kind == "json_invalid" else loc[1:]
            entry = {"pointer": json_pointer(path)}
        else:
            entry = {"parameter": ".".join(str(part) for part in loc[1:]), "in": loc[0]}
        entry["detail"] = clean_text(str(error.get("msg", "")), 300)
        entry["type"] = kind
        entries.append(entry)
    return entries


def validation_problem(errors: Sequence[Any]) -> JSONResponse:
    """A 422 naming each malformed part (``errors`` as :func:`validation_errors` makes them)."""
    entries = validation_errors(errors)
    detail = "the request is malformed: " + "; ".join(
        f"{entry.get('pointer', entry.get('parameter'))}: {entry['detail']}"
        for entry in entries[:3]
    )
    return problem(422, code="validation_failed", detail=detail, errors=entries)


async def _validation_failed(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return validation_problem(exc.errors())


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"description": "Input the domain rejects; `errors[].pointer` names the field at fault"},
    404: {"description": "Unknown id"},
    409: {"description": "The case's state forbids this action"},
}

AUTH_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"description": "No bearer token, or one that is expired, forged or for another audience"},
    403: {"description": "The caller's role may not use this route"},
}
