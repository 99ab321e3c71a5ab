"""The audit log: every read and write of a case's personal data, append-only, hash-chained.

Each entry records who (subject, role, agency, lawyer), when, what (resource, action, case,
record, the names of the fields touched — never their values) and the outcome. Entry *n*
stores ``prev_hash`` = entry *n-1*'s hash and ``hash`` = SHA-256 of ``prev_hash`` and its own
canonical JSON, so altering, removing or inserting an entry breaks the chain at that entry.

- The database refuses UPDATE, DELETE and TRUNCATE on the table (a trigger made by
  :func:`create_audit_log`), whoever the client is; only someone who can disable the trigger
  (the table's owner, a superuser) can tamper, and ``verify`` then names the first broken link.
- Appending takes a transaction-scoped advisory lock, so concurrent writers extend one chain
  instead of forking it; the entry commits or rolls back with the caller's transaction.
- The chain cannot show that its newest entries were cut off: record the head hash that
  ``verify`` prints somewhere else (an operator's log, a ticket) to anchor it.

    python -m service_runtime.security.audit verify --database-url postgresql://…/procuratorate
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from service_runtime.security.principal import Principal

log = logging.getLogger(__name__)

AUDIT_TABLE = "audit_log"
GENESIS_HASH = "0" * 64
# pg_advisory_xact_lock key of the chain head (each service's database has its own chain).
AUDIT_CHAIN_LOCK = 0xA0D17_106


def add_audit_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        AUDIT_TABLE,
        metadata,
        # Assigned by the writer under the chain lock: ids are gapless, so a gap is a removal.
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("agency", sa.Text, nullable=True),
        sa.Column("lawyer_id", sa.Text, nullable=True),
        sa.Column("resource", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("case_id", sa.Uuid, nullable=True, index=True),
        sa.Column("record_id", sa.Text, nullable=True),
        sa.Column("fields", JSONB, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )


_REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
_TRIGGERS = [
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()",
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()",
]


def create_audit_log(bind: sa.engine.Connection) -> None:
    """Create ``audit_log`` and the triggers that refuse UPDATE, DELETE and TRUNCATE.

    For a service's Alembic revision: ``create_audit_log(op.get_bind())``. Idempotent."""
    metadata = sa.MetaData()
    add_audit_table(metadata)
    metadata.create_all(bind)
    bind.execute(sa.text(_REFUSE_FUNCTION))
    for statement in _TRIGGERS:
        bind.execute(sa.text(statement))


def drop_audit_log(bind: sa.engine.Connection) -> None:
    """The downgrade of :func:`create_audit_log` (DROP is DDL: the triggers do not stop it)."""
    bind.execute(sa.text("DROP TABLE IF EXISTS audit_log"))
    bind.execute(sa.text("DROP FUNCTION IF EXISTS audit_log_refuse_change()"))


@dataclass(frozen=True)
class AuditEntry:
    """What happened; who did it comes from the principal (or a system actor for consumers)."""

    resource: str  # "case", "suspect", "assignment"…
    action: str  # "read", "create", "update", "list"…
    outcome: str = "ok"  # "ok", "denied", "not_found", "error"
    case_id: UUID | None = None
    record_id: str | None = None
    fields: tuple[str, ...] = ()  # names of the personal-data fields read or written


@dataclass(frozen=True)
class Actor:
    subject: str
    role: str
    agency: str | None = None
    lawyer_id: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(principal.subject, principal.role.value, principal.agency, principal.lawyer_id)

    @classmethod
    def system(cls, name: str) -> Actor:
        """An event handler applying another service's event (no person behind the request)."""
        return cls(subject=name, role="system")


# What an entry becomes when even its escaped form cannot be stored: who, when, the outcome.
UNSTORABLE_RESOURCE = "unstorable-entry"


def storable_text(value: str) -> str:
    """``value`` as PostgreSQL text can hold it: NUL and lone UTF-16 surrogates, which it
    refuses, become visible escapes (``\\x00``, ``\\ud800``), so the entry says what came in."""
    if "\x00" not in value:
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            pass
    # Backslashes doubled first, so an escape made here cannot be confused with one sent.
    value = value.replace("\\", "\\\\").replace("\x00", "\\x00")
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def _storable_optional(value: str | None) -> str | None:
    return None if value is None else storable_text(value)


def storable_entry(entry: AuditEntry) -> AuditEntry:
    return replace(
        entry,
        resource=storable_text(entry.resource),
        action=storable_text(entry.action),
        outcome=storable_text(entry.outcome),
        record_id=_storable_optional(entry.record_id),
        fields=tuple(storable_text(field) for field in entry.fields),
    )


def storable_actor(actor: Actor) -> Actor:
    return Actor(
        storable_text(actor.subject),
        storable_text(actor.role),
        _storable_optional(actor.agency),
        _storable_optional(actor.lawyer_id),
    )


def reduced_entry(entry: AuditEntry) -> AuditEntry:
    """The part of an entry that is always storable: the request's free text is left out."""
    return AuditEntry(
        resource=UNSTORABLE_RESOURCE,
        action=entry.action if entry.action in ("read", "write") else "unknown",
        outcome=entry.outcome if entry.outcome.isascii() and entry.outcome.isalpha() else "error",
        case_id=entry.case_id,
    )


def reduced_actor(actor: Actor) -> Actor:
    return Actor(subject="unstorable", role=actor.role if actor.role.isascii() else "unknown")


def _canonical(row: dict[str, Any]) -> bytes:
    occurred: datetime = row["occurred_at"]
    body = {
        "id": row["id"],
        "occurred_at": occurred.astimezone(UTC).isoformat(timespec="microseconds"),
        "service": row["service"],
        "subject": row["subject"],
        "role": row["role"],
        "agency": row["agency"],
        "lawyer_id": row["lawyer_id"],
        "resource": row["resource"],
        "action": row["action"],
        "case_id": str(row["case_id"]) if row["case_id"] is not None else None,
        "record_id": row["record_id"],
        "fields": list(row["fields"]),
        "outcome": row["outcome"],
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, row: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + _canonical(row)).hexdigest()


async def append_audit(
    session: AsyncSession,
    table: sa.Table,
    actor: Actor | Principal,
    entry: AuditEntry,
    *,
    service: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Append ``entry`` inside the session's current transaction; returns the row written.

    The advisory lock is held until that transaction ends: keep it short after this call."""
    (row,) = await append_audit_many(session, table, [(actor, entry)], service=service, now=now)
    return row


async def append_audit_many(
    session: AsyncSession,
    table: sa.Table,
    entries: Sequence[tuple[Actor | Principal, AuditEntry]],
    *,
    service: str,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Append ``entries`` in order, in one lock, one read of the head and one insert."""
    if not entries:
        return []
    await session.execute(sa.select(sa.func.pg_advisory_xact_lock(AUDIT_CHAIN_LOCK)))
    head = (
        await session.execute(
            sa.select(table.c.id, table.c.hash).order_by(table.c.id.desc()).limit(1)
        )
    ).first()
    prev_id, prev_hash = (head.id, head.hash) if head is not None else (0, GENESIS_HASH)
    # Microseconds are all PostgreSQL keeps: hash what will be read back.
    occurred_at = (now or datetime.now(UTC)).astimezone(UTC)
    rows: list[dict[str, Any]] = []
    for actor, raw_entry in entries:
        who = storable_actor(Actor.of(actor) if isinstance(actor, Principal) else actor)
        entry = storable_entry(raw_entry)
        prev_id += 1
        row: dict[str, Any] = {
            "id": prev_id,
            "occurred_at": occurred_at,
            "service": service,
            "subject": who.subject,
            "role": who.role,
            "agency": who.agency,
            "lawyer_id": who.lawyer_id,
            "resource": entry.resource,
            "action": entry.action,
            "case_id": entry.case_id,
            "record_id": entry.record_id,
            "fields": list(entry.fields),
            "outcome": entry.outcome,
            "prev_hash": prev_hash,
        }
        row["hash"] = prev_hash = chain_hash(prev_hash, row)
        rows.append(row)
    await session.execute(sa.insert(table), rows)
    return rows


class GroupAppender:
    """Appends the entries of concurrent callers together, each caller waiting for its own.

    Every entry costs the chain's lock, a read of its head and a commit; concurrent requests
    would take the lock one after another and each wait for the others' commits. Here the first
    caller starts a writer, callers arriving meanwhile queue, and the writer appends each queue
    in one transaction (group commit). :meth:`append` returns only once its entry is committed
    and raises if it could not be, so an entry is still durable before its response leaves."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], table: sa.Table, *, service: str
    ) -> None:
        self.sessions = sessions
        self._table = table
        self._service = service
        self._queue: list[tuple[Actor | Principal, AuditEntry, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def append(self, actor: Actor | Principal, entry: AuditEntry) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((actor, entry, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued())
        await done

    async def _write_queued(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                await self._write([(actor, entry) for actor, entry, _ in batch])
            except Exception:
                # One entry the database refuses must not fail the others queued with it.
                for actor, entry, done in batch:
                    await self._write_alone(actor, entry, done)
            else:
                for *_, done in batch:
                    if not done.done():  # a caller that went away still got its entry
                        done.set_result(None)

    async def _write(self, entries: list[tuple[Actor | Principal, AuditEntry]]) -> None:
        async with self.sessions() as session, session.begin():
            await append_audit_many(session, self._table, entries, service=self._service)

    async def _write_alone(
        self, actor: Actor | Principal, entry: AuditEntry, done: asyncio.Future[None]
    ) -> None:
        try:
            await self._write([(actor, entry)])
        except Exception as whole:
            who = Actor.of(actor) if isinstance(actor, Principal) else actor
            log.error(
                "audit entry refused by the database (%s); storing its reduced form",
                type(whole).__name__,
            )
            try:
                await self._write([(reduced_actor(who), reduced_entry(entry))])
            except Exception as reduced:
                if not done.done():
                    done.set_exception(reduced)
                return
        if not done.done():
            done.set_result(None)


@dataclass(frozen=True)
class ChainReport:
    entries: int
    head_hash: str
    broken_at: int | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


async def verify_chain(connection: AsyncConnection, table_name: str = AUDIT_TABLE) -> ChainReport:
    """Walk the chain in id order; report the first entry whose link does not hold."""
    table = add_audit_table(sa.MetaData())
    if table_name != AUDIT_TABLE:
        table.name = table_name
    prev_id, prev_hash, count = 0, GENESIS_HASH, 0
    result = await connection.stream(sa.select(table).order_by(table.c.id))
    async for raw in result.mappings():
        row = dict(raw)
        count += 1
        if row["hash"] != chain_hash(row["prev_hash"], row):
            return ChainReport(count, prev_hash, row["id"], "its contents do not match its hash")
        if row["prev_hash"] != prev_hash:
            return ChainReport(
                count,
                prev_hash,
                row["id"],
                f"its prev_hash is not the hash of entry {prev_id}: an entry before it was "
                "removed, inserted or rewritten",
            )
        if row["id"] != prev_id + 1:
            return ChainReport(
                count, prev_hash, row["id"], f"entries {prev_id + 1}..{row['id'] - 1} are missing"
            )
        prev_id, prev_hash = row["id"], row["hash"]
    return ChainReport(count, prev_hash)


def _async_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


async def verify_database(database_url: str) -> ChainReport:
    engine = create_async_engine(_async_url(database_url), poolclass=sa.pool.NullPool)
    try:
        async with engine.connect() as connection:
            return await verify_chain(connection)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service_runtime.security.audit")
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="check the hash chain; name the first break")
    verify.add_argument("--database-url", required=True, help="the service's database")
    args = parser.parse_args(argv)
    report = asyncio.run(verify_database(args.database_url))
    if report.intact:
        print(f"audit log intact: {report.entries} entries, head hash {report.head_hash}")
        return 0
    print(f"audit log BROKEN at entry {report.broken_at}: {report.reason}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
