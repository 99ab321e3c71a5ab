"""Dependency aliases so route signatures read like sentences."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from service_runtime.app import Runtime
from service_runtime.idempotency import idempotent_session
from service_runtime.unit_of_work import UnitOfWork


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _runtime_dependency(request: Request) -> Runtime:
    # async although it awaits nothing: FastAPI runs a plain ``def`` dependency in a worker
    # thread, a thread hop on every request.
    return get_runtime(request)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session whose transaction commits when the route returns and rolls back on error;
    for a POST with an ``Idempotency-Key``, the claim's transaction, which the middleware
    commits together with the stored response."""
    claimed = idempotent_session(request.scope)
    if claimed is not None:
        yield claimed
        return
    async with get_runtime(request).sessions() as session, session.begin():
        yield session


async def get_unit_of_work(request: Request) -> AsyncIterator[Any]:
    """The request's unit of work (the service's class of it): committed when the route
    returns, rolled back on an error. One per request: every dependency that asks for it (an
    access check, the route) gets the same one. For a POST with an ``Idempotency-Key`` it joins
    the claim's transaction: the middleware commits the effect with the stored response."""
    runtime = get_runtime(request)
    claimed = idempotent_session(request.scope)
    if claimed is not None:
        yield runtime.definition.unit_of_work.joining(runtime, claimed)
        return
    async with runtime.unit_of_work() as uow:
        yield uow


RuntimeDep = Annotated[Runtime, Depends(_runtime_dependency)]
# scope="function": commit before the response is sent. FastAPI's default ("request") commits
# after it, so a client could be told 201 before the write is visible (or when it then fails).
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
UnitOfWorkDep = Annotated[UnitOfWork[Any], Depends(get_unit_of_work, scope="function")]
"""A service whose unit of work is a subclass declares its own alias the same way:
``Annotated[MyUnitOfWork, Depends(get_unit_of_work, scope="function")]``."""
