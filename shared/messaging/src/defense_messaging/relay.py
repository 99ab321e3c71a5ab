"""The outbox relay: publishes committed outbox rows to Kafka and marks them sent.

Guarantees (see the README's "Delivery guarantees"):
- at least once: a row is marked published only after Kafka acknowledged it (acks=all,
  idempotent producer); a relay killed in between leaves the row unpublished and it is sent
  again, so a duplicate may reach the wire but consumers apply it once (inbox);
- per-case order: rows are claimed in id order with ``FOR UPDATE SKIP LOCKED`` under a
  transaction-level advisory lock, so only one relay replica publishes at a time and an
  earlier row of a case can never be overtaken by a later one claimed by another replica;
- no stranded rows: the relay wakes on ``LISTEN/NOTIFY`` (so a row is on its way as soon as its
  transaction commits, not at the next poll; and once more whenever the LISTEN connection is
  (re)established, for commits nobody heard), also polls, and a failed batch is retried with
  exponential backoff;
- no row blocks the others: a row the broker refuses for good (too large, an invalid topic …)
  is *parked* (``parked_at``, logged at ERROR, listed by ``/ops/outbox/parked``) and the rows
  behind it go on. A transient failure (broker away, timeout) parks nothing: the whole batch is
  retried, so rows that are merely delayed keep their per-key order.
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
from aiokafka.errors import (
    CorruptRecordException,
    InvalidTimestampError,
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    UnsupportedForMessageFormatError,
)
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from defense_messaging.tables import MessagingTables
from defense_messaging.tracing import TRACE_HEADERS, context_from_headers, start_span, trace_headers

log = logging.getLogger(__name__)

# One constant per database is enough: each service has its own database.
RELAY_ADVISORY_LOCK = 0x0DC_0B0C

# The broker (or the client, before sending) refuses these whatever the retries: the row itself
# is at fault. Anything else (connection lost, timeouts, authorization that an operator may
# still grant) is retried.
PERMANENT_PRODUCER_ERRORS: tuple[type[BaseException], ...] = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    InvalidTopicError,
    CorruptRecordException,
    InvalidTimestampError,
    UnsupportedForMessageFormatError,
    TypeError,
    ValueError,
)


def is_permanent_producer_error(exc: BaseException) -> bool:
    return isinstance(exc, PERMANENT_PRODUCER_ERRORS)


class UnopenableRow(ValueError):
    """A sealed row does not open (its key is gone, or it was tampered with or moved): no retry
    can publish it, so it is parked like a row the broker refuses."""


class TransientSendFailure(Exception):
    """Some rows of the batch could not be sent for now; the batch is retried."""


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
        on_parked: Callable[[int], Awaitable[None] | None] | None = None,
        send_timeout: float = 60.0,
        opener: Any = None,
        tracer: trace.Tracer | None = None,
    ) -> None:
        self._engine = engine
        # Each row is published in a producer span, child of the trace the row was written
        # under (defense_messaging.tracing); none recorded without a tracer.
        self._tracer = tracer
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
        self._on_parked = on_parked
        # A batch's acknowledgements are awaited this long at most: a hung send must not hang
        # the relay (the producer's own request timeout is 40 s).
        self._send_timeout = send_timeout
        self._last_purge = 0.0
        # Opens rows the outbox sealed (``open(row id, value, headers)``), just before
        # producing; without one rows are published as stored.
        self._opener = opener
        self.last_progress = time.monotonic()
        """When the loop last went round (``/health`` fails when this is too old)."""
        self.failing_since: float | None = None
        """Start of the current streak of failed batches (``/ready`` reports it), else None."""
        self.last_error: str | None = None

    async def run(self) -> None:
        """Publish until :meth:`stop`; survives broker and database outages."""
        listener = asyncio.create_task(self._listen(), name=f"outbox-listen-{self._channel}")
        backoff = self._poll_interval
        try:
            while not self._stopping:
                self.last_progress = time.monotonic()
                try:
                    published = await self.publish_pending()
                    self.failing_since, self.last_error = None, None
                    backoff = self._poll_interval
                    await self._purge_if_due()
                except Exception as exc:
                    if self.failing_since is None:
                        self.failing_since = time.monotonic()
                    self.last_error = type(exc).__name__
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

    @property
    def stop_requested(self) -> bool:
        return self._stopping

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
                    .where(
                        self._outbox.c.published_at.is_(None), self._outbox.c.parked_at.is_(None)
                    )
                    .order_by(self._outbox.c.id)
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            outcomes = await self._send(rows)
            failed = {row.id: exc for row, exc in zip(rows, outcomes, strict=True) if exc}
            permanent = {
                row_id: exc for row_id, exc in failed.items() if is_permanent_producer_error(exc)
            }
            transient = {k: v for k, v in failed.items() if k not in permanent}
            if transient:
                # Nothing is marked sent: the batch goes again, in order (what did reach the
                # broker is a duplicate the consumers' inbox absorbs).
                await conn.rollback()
            else:
                if permanent:
                    await self._park(conn, rows, permanent)
                await self._mark_published(conn, [row.id for row in rows if row.id not in failed])
        if transient:
            if permanent:
                async with self._engine.begin() as parking:
                    await self._park(parking, rows, permanent)
            first = next(iter(transient.values()))
            await self._record_failure(list(transient), first)
            raise TransientSendFailure(f"{len(transient)} of {len(rows)} rows not sent: {first!r}")
        sent = [row.id for row in rows if row.id not in failed]
        if permanent and self._on_parked is not None:
            parked_result = self._on_parked(len(permanent))
            if asyncio.iscoroutine(parked_result):
                await parked_result
        if self._on_published is not None and sent:
            result = self._on_published(len(sent))
            if asyncio.iscoroutine(result):
                await result
        return len(rows)

    async def _send(self, rows: Sequence[Any]) -> list[BaseException | None]:
        """Send every row; per row, the error that kept it from the broker (None: sent)."""
        outcomes: list[BaseException | None] = [None] * len(rows)
        pending: list[tuple[int, asyncio.Future[Any]]] = []
        spans: list[trace.Span | None] = [None] * len(rows)
        for index, row in enumerate(rows):
            value, headers = bytes(row.value), row.headers
            if self._opener is not None:
                try:
                    value, headers = self._opener.open(row.id, value, headers)
                except Exception as exc:
                    outcomes[index] = UnopenableRow(f"{type(exc).__name__}: {exc}")
                    continue
            spans[index], sent_context = start_span(
                self._tracer,
                f"{row.topic} publish",
                parent=context_from_headers(headers),
                kind=SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.operation.type": "publish",
                    "messaging.destination.name": row.topic,
                    "defense.outbox.row_id": row.id,
                },
            )
            # The message carries the publishing span, so the consumer's span is its child.
            headers = [
                *(pair for pair in headers if pair[0] not in TRACE_HEADERS),
                *trace_headers(sent_context),
            ]
            try:
                future = await asyncio.wait_for(
                    self._producer.send(
                        row.topic,
                        value=value,
                        key=bytes(row.key),
                        headers=[(name, text.encode()) for name, text in headers],
                    ),
                    timeout=self._send_timeout,
                )
            except Exception as exc:  # e.g. MessageSizeTooLargeError, raised before sending
                outcomes[index] = exc
                continue
            pending.append((index, future))
        # The idempotent producer keeps per-partition order even with several batches in
        # flight; we only need every acknowledgement before marking the rows.
        if pending:
            try:
                results = await asyncio.wait_for(
                    asyncio.gather(*(future for _, future in pending), return_exceptions=True),
                    timeout=self._send_timeout,
                )
            except TimeoutError as exc:
                results = [exc] * len(pending)
            for (index, _), result in zip(pending, results, strict=True):
                if isinstance(result, BaseException):
                    outcomes[index] = result
        for publishing, outcome in zip(spans, outcomes, strict=True):
            if publishing is not None:
                if outcome is not None:
                    publishing.set_status(Status(StatusCode.ERROR, type(outcome).__name__))
                publishing.end()
        return outcomes

    async def _park(
        self, conn: AsyncConnection, rows: Sequence[Any], errors: dict[int, BaseException]
    ) -> None:
        for row in rows:
            if row.id in errors:
                log.error(
                    "outbox row %d (topic %s, %d bytes) can never be published (%r): parked, "
                    "the rows behind it go on; see /ops/outbox/parked",
                    row.id,
                    row.topic,
                    len(row.value),
                    errors[row.id],
                )
        for row_id, exc in errors.items():
            await conn.execute(
                sa.update(self._outbox)
                .where(self._outbox.c.id == row_id)
                .values(
                    parked_at=sa.func.now(),
                    attempts=self._outbox.c.attempts + 1,
                    last_error=repr(exc)[:2000],
                )
            )

    async def _mark_published(self, conn: AsyncConnection, ids: list[int]) -> None:
        if not ids:
            return
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
                    # A commit while nobody listened (before the first LISTEN, or while the
                    # connection was down) sent its NOTIFY to no one: one pass now publishes it,
                    # rather than the next poll.
                    self._wakeup.set()
                    # Checked now and then: asyncpg gives no event when the socket dies.
                    while not self._stopping and not driver.is_closed():  # noqa: ASYNC110
                        await asyncio.sleep(5)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("outbox LISTEN connection lost; polling until it is back")
                await asyncio.sleep(self._poll_interval)
