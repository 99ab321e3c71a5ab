"""The error conventions every service's REST API shares.

- 422: the body or a parameter is malformed (FastAPI's validation, naming the field's ``loc``);
- 404 :class:`NotFound`: an unknown id;
- 409 :class:`Conflict`: the action is well-formed but the case's state forbids it;
- 400 :class:`InvalidInput`: well-formed but wrong in a way only the domain can tell, with the
  field at fault.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class ApiError(Exception):
    status_code = 400
    code = "invalid"

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


def install_error_handlers(app: FastAPI) -> None:
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return JSONResponse(status_code=exc.status_code, content=exc.body())

    app.add_exception_handler(ApiError, handle)


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"description": "Input the domain rejects; `detail.field` names the field at fault"},
    404: {"description": "Unknown id"},
    409: {"description": "The case's state forbids this action"},
}
