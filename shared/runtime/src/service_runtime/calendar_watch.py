"""Calendar changes reach every replica of a service.

``PUT /ops/calendar/{year}`` stores the year and, in the same transaction, sends
``NOTIFY legal_calendar_changed``. Every replica of the service (they share its database) holds
a ``LISTEN`` connection: on a notification it re-reads the calendar and runs the service's
``on_calendar_changed`` hook, which recomputes the provisional deadlines the new year settles.
Several replicas may run the hook for one change: each hook works under a transaction-scoped
advisory lock and only on rows still provisional, so the second finds nothing left to do.
A lost LISTEN connection is re-established; on reconnecting the calendar is read again, so a
change made meanwhile is not missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from service_runtime.app import Runtime

log = logging.getLogger(__name__)

CHANNEL = "legal_calendar_changed"


async def announce_calendar_change(session: AsyncSession, year: int) -> None:
    """Queue the notification in the caller's transaction: sent when (and only if) it commits."""
    await session.execute(sa.select(sa.func.pg_notify(CHANNEL, str(year))))


async def _apply_change(runtime: Runtime) -> None:
    await runtime.reload_calendar()
    hook = runtime.definition.on_calendar_changed
    if hook is not None:
        await hook(runtime)


async def watch_calendar(runtime: Runtime, *, reconnect_seconds: float = 1.0) -> None:
    """Follow calendar changes for as long as the service runs."""
    changed = asyncio.Event()
    first = True
    while True:
        try:
            async with runtime.engine.connect() as conn:
                raw = await conn.get_raw_connection()
                driver = raw.driver_connection
                assert driver is not None
                await driver.add_listener(CHANNEL, lambda *_: changed.set())
                if not first:
                    changed.set()  # whatever changed while the connection was down
                first = False
                while not driver.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(changed.wait(), timeout=5)
                    if changed.is_set():
                        changed.clear()
                        try:
                            await _apply_change(runtime)
                        except asyncio.CancelledError:
                            raise
                        except Exception:
                            log.exception("applying a calendar change failed; retried shortly")
                            await asyncio.sleep(reconnect_seconds)
                            changed.set()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("calendar LISTEN connection lost; reconnecting")
            await asyncio.sleep(reconnect_seconds)
