"""A subsidy's day due counted on the legal calendar: the days it was counted with, whether it
was guessed and for which years, so loading such a year counts it again.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("subsidy_claims", sa.Column("payment_days", sa.Integer, nullable=True))
    op.add_column(
        "subsidy_claims",
        sa.Column("payment_due_provisional", sa.Boolean, nullable=False, server_default="false"),
    )
    op.add_column(
        "subsidy_claims",
        sa.Column(
            "payment_due_missing_years",
            pg.JSONB,
            nullable=False,
            server_default=sa.text("'[]'::jsonb"),
        ),
    )


def downgrade() -> None:
    op.drop_column("subsidy_claims", "payment_due_missing_years")
    op.drop_column("subsidy_claims", "payment_due_provisional")
    op.drop_column("subsidy_claims", "payment_days")
