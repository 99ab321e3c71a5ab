"""A held delivery says since when it waits: the operators' view and gauge show its age.
Rows held before this revision count from the migration.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "held_deliveries",
        sa.Column(
            "held_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def downgrade() -> None:
    op.drop_column("held_deliveries", "held_at")
