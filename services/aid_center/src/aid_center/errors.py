"""The one mapping from the aid center's domain refusals to the edges: a route answers with the
HTTP error of the project's conventions, a consumer files the event as a permanent failure
(dead letter). Domain code and use cases raise :class:`~aid_center.domain.errors.DomainError`
and know nothing of either."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from aid_center.domain.errors import DomainError
from defense_messaging import PermanentEventError
from defense_schemas import Envelope
from service_runtime.errors import ApiError, Conflict, InvalidInput, NotFound
from service_runtime.unit_of_work import UnitOfWorkHandler

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


def as_permanent(error: DomainError) -> PermanentEventError:
    """An event the rules refuse can never apply: it goes to the dead-letter topic."""
    return PermanentEventError(error.message)


def permanent(handler: UnitOfWorkHandler) -> UnitOfWorkHandler:
    """``handler``, its domain refusals turned into permanent failures; database errors still
    propagate and are retried."""

    async def wrapped(uow: Any, envelope: Envelope, event: Any) -> None:
        try:
            await handler(uow, envelope, event)
        except DomainError as error:
            raise as_permanent(error) from error

    return wrapped


def install_domain_errors(app: FastAPI) -> None:
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return as_api_error(exc).response()

    app.add_exception_handler(DomainError, handle)
