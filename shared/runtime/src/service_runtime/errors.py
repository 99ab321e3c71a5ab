"""The error conventions every service's REST API shares.

- 422: the body or a parameter is malformed (FastAPI's validation, naming the field's ``loc``,
  its ``msg`` and ``type`` only: the offending value is never echoed, as it may be personal
  data or megabytes long);
- 404 :class:`NotFound`: an unknown id;
- 409 :class:`Conflict`: the action is well-formed but the case's state forbids it;
- 400 :class:`InvalidInput`: well-formed but wrong in a way only the domain can tell, with the
  field at fault;
- 401 :class:`Unauthenticated`: no bearer token, or one that does not verify;
- 403 :class:`Forbidden`: a verified caller whose role may not use this route. (A case outside
  the caller's unit is a 404, not a 403: its existence is not disclosed.)
- 503 :class:`Unavailable`: a representation this server cannot make now (a document's PDF
  where LibreOffice is not installed: the DOCX is still served).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar

import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from service_runtime.request_guards import clean_text

MAX_REPORTED_ERRORS = 20
log = logging.getLogger(__name__)


class ApiError(Exception):
    status_code = 400
    code = "invalid"
    headers: ClassVar[dict[str, str] | None] = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def body(self) -> dict[str, object]:
        # Messages may quote a path parameter (an unknown id): made safe to encode, and short.
        body: dict[str, object] = {"code": self.code, "message": clean_text(self.message, 500)}
        if self.field is not None:
            body["field"] = clean_text(self.field)
        return {"detail": body}


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


def install_error_handlers(app: FastAPI) -> None:
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return JSONResponse(status_code=exc.status_code, content=exc.body(), headers=exc.headers)

    app.add_exception_handler(ApiError, handle)
    app.add_exception_handler(RequestValidationError, _validation_failed)
    app.add_exception_handler(sqlalchemy.exc.IntegrityError, _constraint_failed)
    app.add_exception_handler(sqlalchemy.exc.DataError, _value_refused_by_database)


async def _constraint_failed(request: Request, exc: Exception) -> JSONResponse:
    """Two requests that each passed the route's own check and then collided in the database
    (the same new id twice at once): the loser's transaction is rolled back, and it is told so
    as a conflict, not a 500. Logged, as a route that lets this happen alone has a bug."""
    log.warning("%s %s: constraint violated: %s", request.method, request.url.path, _cause(exc))
    error = Conflict("the request conflicts with a concurrent or earlier change; read and retry")
    return JSONResponse(status_code=error.status_code, content=error.body())


async def _value_refused_by_database(request: Request, exc: Exception) -> JSONResponse:
    log.error(
        "%s %s: a value the API accepted was refused by the database: %s",
        request.method,
        request.url.path,
        _cause(exc),
    )
    error = InvalidInput("a value does not fit what the database can hold")
    return JSONResponse(status_code=error.status_code, content=error.body())


def _cause(exc: Exception) -> str:
    # The constraint's name and SQLSTATE, not the statement or its parameters (personal data).
    orig = getattr(exc, "orig", None)
    return f"{type(orig).__name__} {getattr(orig, 'sqlstate', '')}".strip()


def validation_details(errors: Sequence[Any]) -> list[dict[str, object]]:
    """FastAPI's errors without ``input`` and ``ctx`` (they echo what was sent), each text made
    safe to encode (a lone surrogate in a key would fail the response) and short, and no more
    than :data:`MAX_REPORTED_ERRORS` of them (a list of a million bad items is one answer)."""
    details: list[dict[str, object]] = []
    for error in list(errors)[:MAX_REPORTED_ERRORS]:
        loc = [part if isinstance(part, int) else clean_text(str(part)) for part in error["loc"]]
        details.append(
            {
                "loc": loc,
                "msg": clean_text(str(error.get("msg", "")), 300),
                "type": clean_text(str(error.get("type", "")), 100),
            }
        )
    return details


async def _validation_failed(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(status_code=422, content={"detail": validation_details(exc.errors())})


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"description": "Input the domain rejects; `detail.field` names the field at fault"},
    404: {"description": "Unknown id"},
    409: {"description": "The case's state forbids this action"},
}

AUTH_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"description": "No bearer token, or one that is expired, forged or for another audience"},
    403: {"description": "The caller's role may not use this route"},
}
