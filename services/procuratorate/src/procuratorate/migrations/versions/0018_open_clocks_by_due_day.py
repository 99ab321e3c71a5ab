"""`ix_clocks_open_due`: the open clocks by due day, for today's work (`GET /deadlines`).
Partial: a settled clock never leaves the history, an open one soon does.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_clocks_open_due",
        "clocks",
        ["due_on", "closes_at", "clock_id"],
        postgresql_where=sa.text("met_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_clocks_open_due", table_name="clocks")
