"""`ix_notices_center_received`: a center's notice queue by (received_at, notice_id), the
list's order; with only `addressee_center` indexed, every page read and sorted all of the
center's notices ever received (bench --history), and a later page could not start at its
cursor.

Revision ID: 0018
Revises: 0017
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_notices_center_received",
        "notices",
        ["addressee_center", "received_at", "notice_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_notices_center_received", table_name="notices")
