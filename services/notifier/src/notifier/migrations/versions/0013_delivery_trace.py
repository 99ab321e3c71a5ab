"""A delivery keeps the W3C trace context of the event that caused it, so the worker's sending
continues that trace (ids only: no personal data, left clear).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "deliveries",
        sa.Column(
            "traceparent",
            sa.Text,
            nullable=True,
            comment="W3C trace context of the event that caused the delivery (ids only), so "
            "the worker's sending continues that trace",
        ),
    )


def downgrade() -> None:
    op.drop_column("deliveries", "traceparent")
