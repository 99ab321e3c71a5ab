"""The messaging tables every service's database holds: outbox, inbox, dead letters.

Each service adds them to its own ``MetaData`` (through ``service_runtime.tables``), so the
three services share one definition.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg


@dataclass(frozen=True)
class MessagingTables:
    outbox: sa.Table
    inbox: sa.Table
    dead_letters: sa.Table


def add_messaging_tables(metadata: sa.MetaData) -> MessagingTables:
    outbox = sa.Table(
        "outbox",
        metadata,
        # A bigserial gives the relay its publishing order; per-case order follows from it
        # because writes to one case are serialised by the case's row lock.
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", pg.UUID(as_uuid=True), nullable=True),
        sa.Column("topic", sa.Text, nullable=False),
        # Bytes, not text: a dead letter's copy keeps the original key, which may hold any byte
        # (a NUL cannot be stored in a text column).
        sa.Column("key", sa.LargeBinary, nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("headers", pg.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
        # Set when the broker refused the row for good (too large, invalid topic …): the relay
        # leaves it for an operator instead of retrying it forever in front of every other row.
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Index(
            "ix_outbox_pending",
            "id",
            postgresql_where=sa.text("published_at IS NULL AND parked_at IS NULL"),
        ),
    )
    inbox = sa.Table(
        "inbox",
        metadata,
        sa.Column("consumer", sa.Text, primary_key=True),
        sa.Column("event_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column(
            "applied_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    dead_letters = sa.Table(
        "dead_letters",
        metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("consumer", sa.Text, nullable=False),
        sa.Column("source_topic", sa.Text, nullable=False),
        sa.Column("source_partition", sa.Integer, nullable=False),
        sa.Column("source_offset", sa.BigInteger, nullable=False),
        # The message's own bytes, whatever they are (NUL included).
        sa.Column("key", sa.LargeBinary, nullable=True),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("event_id", sa.Text, nullable=True),
        sa.Column("event_type", sa.Text, nullable=True),
        sa.Column("error_kind", sa.Text, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column(
            "dead_lettered_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        # Reprocessing the same bad message after a crash must not file it twice.
        sa.UniqueConstraint(
            "consumer", "source_topic", "source_partition", "source_offset", name="uq_dead_letter"
        ),
    )
    return MessagingTables(outbox=outbox, inbox=inbox, dead_letters=dead_letters)


def upgrade_messaging_tables(bind: sa.engine.Connection) -> None:
    """Brings outbox and dead letters of a database made by an earlier revision to the shape
    above: keys as bytes, the outbox's ``parked_at``. Idempotent, so a database created after
    this change (revision 0001 builds the current shape) passes through unchanged."""
    for table in ("outbox", "dead_letters"):
        bind.exec_driver_sql(
            f"""
            DO $$ BEGIN
              IF (SELECT data_type FROM information_schema.columns
                  WHERE table_schema = current_schema() AND table_name = '{table}'
                    AND column_name = 'key') = 'text' THEN
                ALTER TABLE {table} ALTER COLUMN key TYPE bytea USING convert_to(key, 'UTF8');
              END IF;
            END $$
            """
        )
    bind.exec_driver_sql("ALTER TABLE outbox ADD COLUMN IF NOT EXISTS parked_at timestamptz")
    bind.exec_driver_sql("DROP INDEX IF EXISTS ix_outbox_unpublished")
    bind.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS ix_outbox_pending ON outbox (id) "
        "WHERE published_at IS NULL AND parked_at IS NULL"
    )


def downgrade_messaging_tables(bind: sa.engine.Connection) -> None:
    """Back to text keys (bytes that are not UTF-8 or hold a NUL are escaped) and no parking."""
    bind.exec_driver_sql("DROP INDEX IF EXISTS ix_outbox_pending")
    bind.exec_driver_sql("ALTER TABLE outbox DROP COLUMN IF EXISTS parked_at")
    bind.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS ix_outbox_unpublished ON outbox (id) WHERE published_at IS NULL"
    )
    for table in ("outbox", "dead_letters"):
        bind.exec_driver_sql(
            f"ALTER TABLE {table} ALTER COLUMN key TYPE text USING encode(key, 'escape')"
        )
