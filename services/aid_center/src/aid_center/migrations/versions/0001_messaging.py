"""Messaging tables: outbox, inbox, dead letters.

Revision ID: 0001
Revises:
"""

from alembic import op

from defense_messaging import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(op.get_bind())


def downgrade() -> None:
    for table in ("dead_letters", "inbox", "outbox"):
        op.drop_table(table)
