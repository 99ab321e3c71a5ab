"""The one mapping from the domain's refusals to the edges: a route answers with the HTTP
error of the project's conventions, a consumer files the event as a permanent failure (dead
letter). Domain code raises :class:`~procuratorate.domain.defense_path.DomainError` and knows
nothing of either."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from defense_messaging import PermanentEventError
from procuratorate.domain.defense_path import DomainError
from service_runtime.errors import ApiError, Conflict, InvalidInput, NotFound

_API_ERRORS: dict[str, type[ApiError]] = {
    "conflict": Conflict,
    "invalid_input": InvalidInput,
}


def as_api_error(error: DomainError) -> ApiError:
    if error.kind == "not_found":
        found = NotFound("", "")
        found.message = error.message
        return found
    return _API_ERRORS.get(error.kind, Conflict)(error.message, field=error.field)


def as_permanent(error: DomainError | ApiError) -> PermanentEventError:
    """An event the rules refuse can never apply: it goes to the dead-letter topic."""
    return PermanentEventError(error.message)


def install_domain_errors(app: FastAPI) -> None:
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return as_api_error(exc).response()

    app.add_exception_handler(DomainError, handle)
