"""Outbox and dead-letter keys as bytes (a message key may hold any byte, NUL included); the
outbox's ``parked_at`` for rows the broker refuses for good.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

from defense_messaging.tables import downgrade_messaging_tables, upgrade_messaging_tables

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    upgrade_messaging_tables(op.get_bind())


def downgrade() -> None:
    downgrade_messaging_tables(op.get_bind())
