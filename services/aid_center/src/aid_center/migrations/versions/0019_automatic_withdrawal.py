"""Applications deemed withdrawn by the center's own check (LAL Art. 43: the material asked
for not supplied by the day given), told apart from staff's decisions.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "applications",
        sa.Column("decided_automatically", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("applications", "decided_automatically")
