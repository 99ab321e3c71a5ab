"""A notice keeps the center it is addressed to, so each center's staff see their own only.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notices", sa.Column("addressee_center", sa.Text))
    # The letter's addressee is not one of its sealed fields: readable here.
    op.execute("UPDATE notices SET addressee_center = letter->>'addressee_center'")
    op.alter_column("notices", "addressee_center", nullable=False)
    op.create_index("ix_notices_addressee_center", "notices", ["addressee_center"])


def downgrade() -> None:
    op.drop_index("ix_notices_addressee_center", table_name="notices")
    op.drop_column("notices", "addressee_center")
