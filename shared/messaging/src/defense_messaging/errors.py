"""How a handler tells the consumer what kind of failure it hit."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError


class PermanentEventError(Exception):
    """The event can never be applied as it is (e.g. it names an unknown case).

    The consumer dead-letters it at once, with this message as the reason.
    """


# SQLSTATEs of a server that is away, not of a statement that is wrong: connection exceptions
# (class 08), the server shutting down, crashed or not yet accepting connections (57P01-57P03),
# and no connection slot free (53300).
_AWAY_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")
# A transaction the server chose to roll back so that another could go on (a deadlock, a
# serialization failure): run again, it succeeds. Two members of a group briefly apply one
# case's events at once after a rebalance, and their locks may cross.
_ROLLED_BACK_SQLSTATES = ("40001", "40P01")


def is_transient(exc: BaseException) -> bool:
    """Failures that go away by themselves: retried with backoff, never dead-lettered. The
    database or broker away (:func:`is_away`), or a transaction the database rolled back for
    another's sake (a deadlock, a serialization failure)."""
    return _in_chain(exc, _away) or _in_chain(exc, _rolled_back)


def is_away(exc: BaseException) -> bool:
    """The database or broker is unreachable, shutting down or full: errors that name hosts,
    not data (a deadlock's statement and parameters may quote an event)."""
    return _in_chain(exc, _away)


def _in_chain(exc: BaseException, test: Callable[[BaseException], bool]) -> bool:
    """Whether ``exc`` or one of its causes passes ``test``.

    The database's own errors arrive wrapped (asyncpg's, in the adapter's DB-API error, in
    SQLAlchemy's DBAPIError), so the chain of causes (``orig``, ``raise from``) is looked at,
    not the outer error. Not ``__context__``: a handler that raises while handling a lost
    connection raises its own failure.
    """
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if test(current):
            return True
        for linked in (getattr(current, "orig", None), current.__cause__):
            if isinstance(linked, BaseException):
                pending.append(linked)
    return False


def _rolled_back(exc: BaseException) -> bool:
    sqlstate = getattr(exc, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate in _ROLLED_BACK_SQLSTATES


def _away(exc: BaseException) -> bool:
    if isinstance(exc, (OperationalError, InterfaceError, ConnectionError, TimeoutError, OSError)):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith(_AWAY_SQLSTATES):
        return True
    # asyncpg raises its own connection errors outside SQLAlchemy's wrapping during connect.
    return type(exc).__name__ in {
        "ConnectionDoesNotExistError",
        "CannotConnectNowError",
        "TooManyConnectionsError",
    }
