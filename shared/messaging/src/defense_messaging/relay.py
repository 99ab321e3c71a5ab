"""The outbox relay: publishes committed outbox rows to Kafka and marks them sent.

Guarantees (see the README's "Delivery guarantees"):
- at least once: a row is marked published only after Kafka acknowledged it (acks=all,
  idempotent producer); a relay killed in between leaves the row unpublished and it is sent
  again, so a duplicate may reach the wire but consumers apply it once (inbox);
- per-case order: rows are claimed in id order with ``FOR UPDATE SKIP LOCKED`` under a
  transaction-level advisory lock, so only one relay replica publishes at a time and an
  earlier row of a case can never be overtaken by a later one claimed by another replica;
- no stranded rows: the relay wakes on ``LISTEN/NOTIFY`` and also polls, and a failed batch is
  retried with exponential backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from defense_messaging.tables import MessagingTables

log = logging.getLogger(__name__)

# One constant per database is enough: each service has its own database.
RELAY_ADVISORY_LOCK = 0x0DC_0B0C


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        producer: AIOKafkaProducer,
        tables: MessagingTables,
        channel: str,
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        max_backoff: float = 30.0,
        retention: timedelta = timedelta(days=7),
        on_published: Callable[[int], Awaitable[None] | None] | None = None,
    ) -> None:
        self._engine = engine
        self._producer = producer
        self._outbox = tables.outbox
        self._channel = channel
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._max_backoff = max_backoff
        self._retention = retention
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._on_published = on_published
        self._last_purge = 0.0

    async def run(self) -> None:
        """Publish until :meth:`stop`; survives broker and database outages."""
        listener = asyncio.create_task(self._listen(), name=f"outbox-listen-{self._channel}")
        backoff = self._poll_interval
        try:
            while not self._stopping:
                try:
                    published = await self.publish_pending()
                    backoff = self._poll_interval
                    await self._purge_if_due()
                except Exception:
                    log.exception("outbox relay batch failed; retrying in %.1fs", backoff)
                    await self._sleep(backoff)
                    backoff = min(backoff * 2, self._max_backoff)
                    continue
                if published < self._batch_size:
                    await self._sleep(self._poll_interval)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished rows in id order; returns how many were sent."""
        async with self._engine.begin() as conn:
            got_lock = await conn.scalar(
                sa.select(sa.func.pg_try_advisory_xact_lock(RELAY_ADVISORY_LOCK))
            )
            if not got_lock:
                return 0  # another replica is publishing; it keeps the order
            rows = (
                await conn.execute(
                    sa.select(
                        self._outbox.c.id,
                        self._outbox.c.topic,
                        self._outbox.c.key,
                        self._outbox.c.value,
                        self._outbox.c.headers,
                    )
                    .where(self._outbox.c.published_at.is_(None))
                    .order_by(self._outbox.c.id)
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            try:
                await self._send(rows)
            except Exception as exc:
                await conn.rollback()
                await self._record_failure([row.id for row in rows], exc)
                raise
            await self._mark_published(conn, [row.id for row in rows])
        if self._on_published is not None:
            result = self._on_published(len(rows))
            if asyncio.iscoroutine(result):
                await result
        return len(rows)

    async def _send(self, rows: Sequence[Any]) -> None:
        futures = []
        for row in rows:
            futures.append(
                await self._producer.send(
                    row.topic,
                    value=row.value,
                    key=row.key.encode(),
                    headers=[(name, text.encode()) for name, text in row.headers],
                )
            )
        # The idempotent producer keeps per-partition order even with several batches in
        # flight; we only need every acknowledgement before marking the rows.
        await asyncio.gather(*futures)

    async def _mark_published(self, conn: AsyncConnection, ids: list[int]) -> None:
        await conn.execute(
            sa.update(self._outbox)
            .where(self._outbox.c.id.in_(ids))
            .values(published_at=sa.func.now(), attempts=self._outbox.c.attempts + 1)
        )

    async def _record_failure(self, ids: list[int], exc: BaseException) -> None:
        with contextlib.suppress(Exception):
            async with self._engine.begin() as conn:
                await conn.execute(
                    sa.update(self._outbox)
                    .where(self._outbox.c.id.in_(ids))
                    .values(attempts=self._outbox.c.attempts + 1, last_error=repr(exc)[:2000])
                )

    async def _purge_if_due(self) -> None:
        now = time.monotonic()
        if now - self._last_purge < 600:
            return
        self._last_purge = now
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.delete(self._outbox).where(
                    self._outbox.c.published_at < sa.func.now() - self._retention
                )
            )

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout=seconds)
        self._wakeup.clear()

    async def _listen(self) -> None:
        """Hold a LISTEN connection; reconnect after failures (polling covers the gap)."""
        while not self._stopping:
            try:
                async with self._engine.connect() as conn:
                    raw = await conn.get_raw_connection()
                    driver = raw.driver_connection
                    assert driver is not None
                    await driver.add_listener(self._channel, lambda *_: self._wakeup.set())
                    # Checked now and then: asyncpg gives no event when the socket dies.
                    while not self._stopping and not driver.is_closed():  # noqa: ASYNC110
                        await asyncio.sleep(5)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("outbox LISTEN connection lost; polling until it is back")
                await asyncio.sleep(self._poll_interval)
