"""Dependency aliases so route signatures read like sentences."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from service_runtime.app import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _runtime_dependency(request: Request) -> Runtime:
    # async although it awaits nothing: FastAPI runs a plain ``def`` dependency in a worker
    # thread, a thread hop on every request.
    return get_runtime(request)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session whose transaction commits when the route returns and rolls back on error."""
    async with get_runtime(request).sessions() as session, session.begin():
        yield session


RuntimeDep = Annotated[Runtime, Depends(_runtime_dependency)]
# scope="function": commit before the response is sent. FastAPI's default ("request") commits
# after it, so a client could be told 201 before the write is visible (or when it then fails).
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
