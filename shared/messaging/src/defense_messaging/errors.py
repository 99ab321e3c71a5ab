"""How a handler tells the consumer what kind of failure it hit."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError


class PermanentEventError(Exception):
    """The event can never be applied as it is (e.g. it names an unknown case).

    The consumer dead-letters it at once, with this message as the reason.
    """


def is_transient(exc: BaseException) -> bool:
    """Failures that go away by themselves: retried with backoff, never dead-lettered."""
    if isinstance(exc, (OperationalError, InterfaceError, ConnectionError, TimeoutError, OSError)):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    name = type(exc).__name__
    # asyncpg raises its own connection errors outside SQLAlchemy's wrapping during connect.
    return name in {
        "ConnectionDoesNotExistError",
        "CannotConnectNowError",
        "TooManyConnectionsError",
    }
