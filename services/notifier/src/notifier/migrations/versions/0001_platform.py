"""Platform tables: outbox, inbox, dead letters, legal calendar years.

Revision ID: 0001
Revises:
"""

from alembic import op

from service_runtime.tables import create_platform_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables(op.get_bind())


def downgrade() -> None:
    for table in ("legal_calendar_years", "dead_letters", "inbox", "outbox"):
        op.drop_table(table)
