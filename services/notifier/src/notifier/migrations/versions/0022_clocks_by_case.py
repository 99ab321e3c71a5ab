"""Every clock of a case, stopped ones included, found by the case: a batch counts the clocks
each key already had (a new clock's id is derived from the case, the key and that count), and
a late description is filled in on the case's clocks.

Revision ID: 0022
Revises: 0021
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_clocks_case", "clocks", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_clocks_case", table_name="clocks")
