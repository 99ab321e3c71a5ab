"""A notice keeps when its assignment period started and which calendar years its due day
guessed, so the due day can be counted again when such a year is loaded.

Notices stored before this revision have no recorded start (a completing supplement restarts
the period, and which supplement did was not kept): they are left as they are rather than
recounted from a start that may be wrong.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notices", sa.Column("assignment_started_at", sa.DateTime(timezone=True)))
    op.add_column(
        "notices",
        sa.Column(
            "assignment_missing_years",
            pg.JSONB,
            nullable=False,
            server_default=sa.text("'[]'::jsonb"),
        ),
    )


def downgrade() -> None:
    op.drop_column("notices", "assignment_missing_years")
    op.drop_column("notices", "assignment_started_at")
