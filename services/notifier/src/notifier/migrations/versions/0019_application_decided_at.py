"""The suspect's latest decision on an application for legal aid: a forwarded application
applied after the decision that answered it opens no review clock.

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
        "suspects",
        sa.Column(
            "application_decided_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="the latest decision on an application: closes a review started at or "
            "before it",
        ),
    )


def downgrade() -> None:
    op.drop_column("suspects", "application_decided_at")
