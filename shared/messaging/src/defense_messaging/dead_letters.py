"""Operators' view of dead letters: list them, and replay one to its source topic.

A replay puts the original bytes back on the source topic through the outbox (so it is as
durable as any event) and stamps the row. Consumers that applied the event before skip it via
their inbox; the one that dead-lettered it applies it now that the cause is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from defense_messaging.outbox import Outbox
from defense_messaging.tables import MessagingTables

# session.info key of the service's sealer of dead letters' bytes (``seal`` / ``open``, each
# taking the bytes and the letter's source position as associated data); without one the
# bytes are stored as they came.
DEAD_LETTER_SEALER = "dead_letter_sealer"


def sealed_value(
    session: AsyncSession, value: bytes, topic: str, partition: int, offset: int
) -> bytes:
    sealer = session.info.get(DEAD_LETTER_SEALER)
    return value if sealer is None else bytes(sealer.seal(value, (topic, partition, offset)))


def opened_value(session: AsyncSession, row: Any) -> bytes:
    sealer = session.info.get(DEAD_LETTER_SEALER)
    value = bytes(row["value"])
    if sealer is None:
        return value
    where = (row["source_topic"], row["source_partition"], row["source_offset"])
    return bytes(sealer.open(value, where))


def sealed_error(session: AsyncSession, error: str, topic: str, partition: int, offset: int) -> str:
    """The refusal's text as stored: sealed when the service gives a sealer (a contract
    violation or a handler's exception may quote the input)."""
    sealer = session.info.get(DEAD_LETTER_SEALER)
    return error if sealer is None else str(sealer.seal_error(error, (topic, partition, offset)))


def opened_error(session: AsyncSession, row: Any) -> str:
    sealer = session.info.get(DEAD_LETTER_SEALER)
    error = str(row["error"])
    if sealer is None:
        return error
    where = (row["source_topic"], row["source_partition"], row["source_offset"])
    return str(sealer.open_error(error, where))


def _opened(session: AsyncSession, row: Any) -> DeadLetter:
    return DeadLetter(
        **{**row, "value": opened_value(session, row), "error": opened_error(session, row)}
    )


@dataclass(frozen=True)
class DeadLetter:
    id: int
    consumer: str
    source_topic: str
    source_partition: int
    source_offset: int
    key: bytes | None
    event_id: str | None
    event_type: str | None
    error_kind: str
    error: str
    dead_lettered_at: datetime
    replayed_at: datetime | None
    value: bytes


class DeadLetterNotFound(LookupError):
    pass


class AlreadyReplayed(RuntimeError):
    pass


async def list_dead_letters(
    session: AsyncSession,
    tables: MessagingTables,
    *,
    include_replayed: bool = False,
    limit: int = 100,
    after_id: int | None = None,
) -> list[DeadLetter]:
    """Oldest first, at most ``limit``, those after ``after_id`` when given."""
    table = tables.dead_letters
    query = sa.select(table).order_by(table.c.id).limit(limit)
    if after_id is not None:
        query = query.where(table.c.id > after_id)
    if not include_replayed:
        query = query.where(table.c.replayed_at.is_(None))
    rows = (await session.execute(query)).mappings().all()
    return [_opened(session, row) for row in rows]


async def replay_dead_letter(
    session: AsyncSession, tables: MessagingTables, outbox: Outbox, dead_letter_id: int
) -> DeadLetter:
    """Re-publish one dead letter to its source topic; call inside a transaction."""
    table = tables.dead_letters
    row = (
        (
            await session.execute(
                sa.select(table).where(table.c.id == dead_letter_id).with_for_update()
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise DeadLetterNotFound(dead_letter_id)
    if row["replayed_at"] is not None:
        raise AlreadyReplayed(dead_letter_id)
    await outbox.add_raw(
        session,
        topic=row["source_topic"],
        key=row["key"] or b"",
        value=opened_value(session, row),
        headers=[("replayed_dead_letter", str(dead_letter_id))],
    )
    stamped = (
        (
            await session.execute(
                sa.update(table)
                .where(table.c.id == dead_letter_id)
                .values(replayed_at=sa.func.now())
                .returning(table)
            )
        )
        .mappings()
        .one()
    )
    return _opened(session, stamped)
