"""Which failures the consumer retries (the database or broker is away, or the database rolled
the transaction back for another's sake) rather than files as dead letters: the database
shutting down, restarting or crashing is one of them, and so is a deadlock."""

from __future__ import annotations

import asyncpg.exceptions as pg
import pytest
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError

from defense_messaging import PermanentEventError
from defense_messaging.errors import is_away, is_transient


def _as_sqlalchemy_raises_it(error: Exception) -> DBAPIError:
    """asyncpg's error → the adapter's DB-API error → SQLAlchemy's, as a failed connect or
    statement surfaces in a handler."""
    adapted = AsyncAdapt_asyncpg_dbapi.Error(str(error))
    adapted.__cause__ = error
    wrapped = DBAPIError.instance(None, None, adapted, AsyncAdapt_asyncpg_dbapi.Error)
    wrapped.__cause__ = adapted
    return wrapped


@pytest.mark.parametrize(
    "error",
    [
        pg.CannotConnectNowError("the database system is shutting down"),
        pg.CannotConnectNowError("the database system is starting up"),
        pg.AdminShutdownError("terminating connection due to administrator command"),
        pg.CrashShutdownError("terminating connection because of crash of another process"),
        pg.TooManyConnectionsError("sorry, too many clients already"),
        pg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_the_database_going_away_is_transient_however_it_is_wrapped(error: Exception) -> None:
    assert is_transient(error)
    assert is_transient(_as_sqlalchemy_raises_it(error))


@pytest.mark.parametrize(
    "error",
    [
        pg.DeadlockDetectedError("deadlock detected"),
        pg.SerializationError("could not serialize access due to concurrent update"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_transaction_rolled_back_for_another_is_retried_but_not_logged_in_full(
    error: Exception,
) -> None:
    """Two members of a group may briefly apply one case at once after a rebalance, and their
    locks cross: the database rolls one back, and running it again succeeds. Its message and
    statement may quote the event, so it is logged by type like a handler's failure."""
    assert is_transient(_as_sqlalchemy_raises_it(error))
    assert not is_away(_as_sqlalchemy_raises_it(error))


@pytest.mark.parametrize(
    "error",
    [
        pg.UniqueViolationError("duplicate key value violates unique constraint"),
        pg.NotNullViolationError("null value in column"),
        PermanentEventError("notice was never received"),
        ValueError("a handler's bug"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_handlers_own_failure_is_not_transient(error: Exception) -> None:
    assert not is_transient(error)
    assert not is_transient(_as_sqlalchemy_raises_it(error))
