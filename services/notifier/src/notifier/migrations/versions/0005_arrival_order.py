"""Projections that do not depend on which topic's event arrives first: the time of the
suspect's latest appointment (closes an assignment clock whatever the order), and the
deliveries held until the facts they need have arrived.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "suspects", sa.Column("lawyer_assigned_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "held_deliveries",
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("case_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("waits_for", sa.Text, nullable=False),
        sa.Column("envelope", sa.Text, nullable=False),
        comment="Events whose messages wait for a fact of another topic (encrypted envelope)",
    )


def downgrade() -> None:
    op.drop_table("held_deliveries")
    op.drop_column("suspects", "lawyer_assigned_at")
