"""One async engine and session factory per service process."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # pre_ping: after a database restart the pool hands out live connections, not dead ones.
    return create_async_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True)


def session_factory(
    engine: AsyncEngine, info: dict[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    """``info`` is carried by every session (e.g. the field cipher, see security.personal)."""
    return async_sessionmaker(engine, expire_on_commit=False, info=info or {})
