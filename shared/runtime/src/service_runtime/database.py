"""One async engine and session factory per service process."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

POOL_SIZE = 20
"""Connections a service keeps open. More than the requests a replica serves at once (the
bench's 16, the console's page loads) plus its relay, consumer and audit writer: a request
that finds every kept connection busy waits for one rather than opening one more."""


def create_engine(url: str, *, pool_size: int = POOL_SIZE) -> AsyncEngine:
    # No overflow: an overflow connection is closed as soon as it is returned, so a load above
    # the kept connections opened and closed one every few requests (a password exchange, and
    # a PostgreSQL backend started, for a connection whose prepared statements all start
    # cold). The ceiling is what it was (10 kept + 10 overflow); every one is now kept.
    # No pre-ping: it is a round trip on every transaction. After a database restart the first
    # statement on a dead connection fails (a consumer retries it as transient, a request
    # answers 500 once) and SQLAlchemy then drops every connection the pool held before.
    # hide_parameters: a database error's text would otherwise quote the statement's values
    # (names, phone numbers) into the log line that reports it.
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=0, pool_pre_ping=False, hide_parameters=True
    )


def session_factory(
    engine: AsyncEngine, info: dict[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    """``info`` is carried by every session (e.g. the field cipher, see security.personal)."""
    return async_sessionmaker(engine, expire_on_commit=False, info=info or {})
