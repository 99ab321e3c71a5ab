"""The error conventions every service's REST API shares.

- 422: the body or a parameter is malformed (FastAPI's validation, naming the field's ``loc``);
- 404 :class:`NotFound`: an unknown id;
- 409 :class:`Conflict`: the action is well-formed but the case's state forbids it;
- 400 :class:`InvalidInput`: well-formed but wrong in a way only the domain can tell, with the
  field at fault;
- 401 :class:`Unauthenticated`: no bearer token, or one that does not verify;
- 403 :class:`Forbidden`: a verified caller whose role may not use this route. (A case outside
  the caller's unit is a 404, not a 403: its existence is not disclosed.)
"""

from __future__ import annotations

from typing import ClassVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class ApiError(Exception):
    status_code = 400
    code = "invalid"
    headers: ClassVar[dict[str, str] | None] = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
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


def install_error_handlers(app: FastAPI) -> None:
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return JSONResponse(status_code=exc.status_code, content=exc.body(), headers=exc.headers)

    app.add_exception_handler(ApiError, handle)


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"description": "Input the domain rejects; `detail.field` names the field at fault"},
    404: {"description": "Unknown id"},
    409: {"description": "The case's state forbids this action"},
}

AUTH_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"description": "No bearer token, or one that is expired, forged or for another audience"},
    403: {"description": "The caller's role may not use this route"},
}
