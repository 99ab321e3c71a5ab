"""The audit log: every read and write of a case's personal data, append-only, MAC-chained.

Each entry records who (subject, role, agency, lawyer), when, what (resource, action, case,
record, the names of the fields touched — never their values) and the outcome. Entry *n*
stores ``prev_hash`` = entry *n-1*'s MAC and ``hash`` = HMAC-SHA256, under the service's
``AUDIT_KEY``, of ``prev_hash`` and its own canonical JSON. The database never holds the key,
so whoever can write the table (its owner, a superuser) still cannot make a rewritten, inserted
or removed entry verify.

- The table lives in the ``audit`` schema and, in a deployment, belongs to a role of its own
  that the service cannot become (``audit_guard.sql``, applied by a superuser: the local setup,
  docker's init, :func:`guard_audit_log`); the service's role may only INSERT and SELECT. Its
  triggers refuse UPDATE, DELETE and TRUNCATE and fire ``ALWAYS``, so
  ``session_replication_role = replica`` does not switch them off.
- Appending takes a transaction-scoped advisory lock, so concurrent writers extend one chain
  instead of forking it; the entry commits or rolls back with the caller's transaction.
- A chain alone cannot show that its newest entries were cut off: each service publishes its
  head (entries, MAC) as an anchor event on its own topic, outside the database
  (:func:`chain_head`); ``verify --anchor N:MAC`` checks the chain still holds that head.

    python -m service_runtime.security.audit verify --database-url postgresql://…/procuratorate \
        [--anchor 1234:<mac>]      # the key from $AUDIT_KEY (or --key-file)
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import resources
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
AUDIT_SCHEMA = "audit"
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
        schema=AUDIT_SCHEMA,
    )


_REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION audit.audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
# ENABLE ALWAYS: the triggers fire under session_replication_role = replica as well.
_TRIGGERS = [
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit.audit_log",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit.audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit.audit_log_refuse_change()",
    "ALTER TABLE audit.audit_log ENABLE ALWAYS TRIGGER audit_log_append_only",
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit.audit_log",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit.audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit.audit_log_refuse_change()",
    "ALTER TABLE audit.audit_log ENABLE ALWAYS TRIGGER audit_log_no_truncate",
]


def create_audit_log(bind: sa.engine.Connection) -> None:
    """Create ``audit.audit_log`` and its triggers, as the service's own migration user.

    For a service's Alembic revision: ``create_audit_log(op.get_bind())``. Idempotent. When the
    table already belongs to another role (the guard, ``audit_guard.sql``, ran first) it is
    left alone: the service could not change it anyway. A log an earlier release made in
    ``public`` is moved into the ``audit`` schema."""
    owner = bind.execute(
        sa.text(
            "SELECT pg_get_userbyid(relowner) FROM pg_class "
            "WHERE oid = to_regclass('audit.audit_log')"
        )
    ).scalar()
    if owner is not None and owner != bind.execute(sa.text("SELECT current_user")).scalar():
        return
    bind.execute(sa.text("CREATE SCHEMA IF NOT EXISTS audit"))
    if owner is None and bind.execute(sa.text("SELECT to_regclass('public.audit_log')")).scalar():
        bind.execute(sa.text("ALTER TABLE public.audit_log SET SCHEMA audit"))
        bind.execute(sa.text("DROP FUNCTION IF EXISTS public.audit_log_refuse_change() CASCADE"))
    metadata = sa.MetaData()
    add_audit_table(metadata)
    metadata.create_all(bind)
    bind.execute(sa.text(_REFUSE_FUNCTION))
    for statement in _TRIGGERS:
        bind.execute(sa.text(statement))


def drop_audit_log(bind: sa.engine.Connection) -> None:
    """The downgrade of :func:`create_audit_log` (DROP is DDL: the triggers do not stop it)."""
    bind.execute(sa.text("DROP TABLE IF EXISTS audit.audit_log"))
    bind.execute(sa.text("DROP TABLE IF EXISTS public.audit_log"))
    bind.execute(sa.text("DROP FUNCTION IF EXISTS audit.audit_log_refuse_change()"))
    bind.execute(sa.text("DROP FUNCTION IF EXISTS public.audit_log_refuse_change()"))


def return_audit_log_to_public(bind: sa.engine.Connection) -> None:
    """The downgrade of the revision that moved the log into the ``audit`` schema: back to
    ``public``, unless the guard gave it to another role (then it stays where its owner put it)."""
    own = bind.execute(
        sa.text(
            "SELECT pg_get_userbyid(relowner) = current_user FROM pg_class "
            "WHERE oid = to_regclass('audit.audit_log')"
        )
    ).scalar()
    if own:
        bind.execute(sa.text("ALTER TABLE audit.audit_log SET SCHEMA public"))


def audit_guard_sql() -> str:
    """The guard's SQL (``audit_guard.sql``) without its psql-only preamble."""
    text = resources.files(__package__).joinpath("audit_guard.sql").read_text(encoding="utf-8")
    return text[text.index("-- BEGIN GUARD") :]


async def guard_audit_log(admin: Any, *, service_role: str, owner_role: str) -> None:
    """Apply the guard with a superuser's asyncpg connection to the service's database: the
    table, its function and schema belong to ``owner_role`` (NOLOGIN, created if missing), the
    service's role may only INSERT and SELECT and is not a member of the owner's role."""
    async with admin.transaction():
        await admin.execute(
            "SELECT set_config('audit_guard.service_role', $1, true), "
            "set_config('audit_guard.owner_role', $2, true)",
            service_role,
            owner_role,
        )
        await admin.execute(audit_guard_sql())


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


def chain_hash(prev_hash: str, row: dict[str, Any], key: bytes) -> str:
    """The entry's MAC: HMAC-SHA256 under the service's audit key over the previous MAC and
    the entry's canonical JSON."""
    message = prev_hash.encode("ascii") + b"\n" + _canonical(row)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def unkeyed_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """The SHA-256 chain of earlier releases (anyone could recompute it)."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + _canonical(row)).hexdigest()


async def append_audit(
    session: AsyncSession,
    table: sa.Table,
    actor: Actor | Principal,
    entry: AuditEntry,
    *,
    service: str,
    key: bytes,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Append ``entry`` inside the session's current transaction; returns the row written.

    The advisory lock is held until that transaction ends: keep it short after this call."""
    (row,) = await append_audit_many(
        session, table, [(actor, entry)], service=service, now=now, key=key
    )
    return row


async def append_audit_many(
    session: AsyncSession,
    table: sa.Table,
    entries: Sequence[tuple[Actor | Principal, AuditEntry]],
    *,
    service: str,
    key: bytes,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Append ``entries`` in order, in one lock, one read of the head and one insert, chained
    under the service's MAC ``key``."""
    if not entries:
        return []
    mac_key = key
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
        row["hash"] = prev_hash = chain_hash(prev_hash, row, mac_key)
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
        self,
        sessions: async_sessionmaker[AsyncSession],
        table: sa.Table,
        *,
        service: str,
        key: bytes,
    ) -> None:
        self.sessions = sessions
        self._table = table
        self._service = service
        self._key = key
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
            await append_audit_many(
                session, self._table, entries, service=self._service, key=self._key
            )

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


async def verify_chain(
    connection: AsyncConnection,
    key: bytes | None = None,
    *,
    anchors: Sequence[tuple[int, str]] = (),
    accept_unkeyed_through: int = 0,
) -> ChainReport:
    """Walk the chain in id order; report the first entry whose link does not hold.

    ``key``: the service's audit key (default: the published local development key).
    ``anchors``: (entries, MAC) heads published earlier; the chain must still hold each, so a
    cut-off tail is found. ``accept_unkeyed_through``: entries up to this id may carry the
    unkeyed SHA-256 of earlier releases (an operator states how far, from a head recorded
    before the upgrade); anywhere else an unkeyed entry is a break."""
    mac_key = key if key is not None else local_audit_key()
    table = add_audit_table(sa.MetaData())
    expected = dict(anchors)
    prev_id, prev_hash, count = 0, GENESIS_HASH, 0
    result = await connection.stream(sa.select(table).order_by(table.c.id))
    async for raw in result.mappings():
        row = dict(raw)
        count += 1
        if row["hash"] != chain_hash(row["prev_hash"], row, mac_key) and not (
            row["id"] <= accept_unkeyed_through
            and row["hash"] == unkeyed_hash(row["prev_hash"], row)
        ):
            return ChainReport(count, prev_hash, row["id"], "its contents do not match its MAC")
        if row["prev_hash"] != prev_hash:
            return ChainReport(
                count,
                prev_hash,
                row["id"],
                f"its prev_hash is not the MAC of entry {prev_id}: an entry before it was "
                "removed, inserted or rewritten",
            )
        if row["id"] != prev_id + 1:
            return ChainReport(
                count, prev_hash, row["id"], f"entries {prev_id + 1}..{row['id'] - 1} are missing"
            )
        if row["id"] in expected and expected.pop(row["id"]) != row["hash"]:
            return ChainReport(
                count, prev_hash, row["id"], "it is not the entry the published anchor names"
            )
        prev_id, prev_hash = row["id"], row["hash"]
    if expected:
        cut = min(expected)
        return ChainReport(
            count,
            prev_hash,
            cut,
            f"the chain ends at entry {prev_id} but an anchor names entry {cut}: "
            "its tail was cut off",
        )
    return ChainReport(count, prev_hash)


async def chain_head(session: AsyncSession, table: sa.Table) -> tuple[int, str] | None:
    """The newest entry's id and MAC, to anchor outside the database."""
    head = (
        await session.execute(
            sa.select(table.c.id, table.c.hash).order_by(table.c.id.desc()).limit(1)
        )
    ).first()
    return (head.id, head.hash) if head is not None else None


def local_audit_key() -> bytes:
    from service_runtime.security.defaults import LOCAL_AUDIT_KEY

    return LOCAL_AUDIT_KEY.encode()


def _async_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


async def verify_database(
    database_url: str,
    key: bytes | None = None,
    *,
    anchors: Sequence[tuple[int, str]] = (),
    accept_unkeyed_through: int = 0,
) -> ChainReport:
    engine = create_async_engine(_async_url(database_url), poolclass=sa.pool.NullPool)
    try:
        async with engine.connect() as connection:
            return await verify_chain(
                connection, key, anchors=anchors, accept_unkeyed_through=accept_unkeyed_through
            )
    finally:
        await engine.dispose()


def _anchor(text: str) -> tuple[int, str]:
    entries, _, mac = text.partition(":")
    return int(entries), mac


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service_runtime.security.audit")
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="check the MAC chain; name the first break")
    verify.add_argument("--database-url", required=True, help="the service's database")
    verify.add_argument(
        "--key-file", help="a file holding the service's AUDIT_KEY (default: $AUDIT_KEY)"
    )
    verify.add_argument(
        "--anchor",
        action="append",
        default=[],
        type=_anchor,
        metavar="ENTRIES:MAC",
        help="a published head (AuditChainAnchored's entries and head_mac); repeatable",
    )
    verify.add_argument(
        "--accept-unkeyed-through",
        type=int,
        default=0,
        metavar="ID",
        help="entries up to ID may carry an earlier release's unkeyed hash",
    )
    args = parser.parse_args(argv)
    if args.key_file:
        with open(args.key_file, encoding="utf-8") as file:
            key: bytes | None = file.read().strip().encode()
    else:
        key = os.environ["AUDIT_KEY"].encode() if os.environ.get("AUDIT_KEY") else None
    if key is None:
        print(
            "no AUDIT_KEY given: verifying with the published local development key",
            file=sys.stderr,
        )
    report = asyncio.run(
        verify_database(
            args.database_url,
            key,
            anchors=args.anchor,
            accept_unkeyed_through=args.accept_unkeyed_through,
        )
    )
    if report.intact:
        print(f"audit log intact: {report.entries} entries, head hash {report.head_hash}")
        return 0
    print(f"audit log BROKEN at entry {report.broken_at}: {report.reason}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
