"""The letter clock reopens as the procuratorate's does (after a termination of aid or a
dismissal of counsel), and a clock names the calendar years its due day guessed.

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
    op.add_column("suspects", sa.Column("notice_sent_at", sa.DateTime(timezone=True)))
    op.add_column("suspects", sa.Column("letter_reopened_at", sa.DateTime(timezone=True)))
    op.add_column(
        "suspects",
        sa.Column("aid_terminated", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "suspects",
        sa.Column("legal_aid_law_ground", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "clocks",
        sa.Column("missing_years", pg.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    )


def downgrade() -> None:
    op.drop_column("clocks", "missing_years")
    for column in (
        "legal_aid_law_ground",
        "aid_terminated",
        "letter_reopened_at",
        "notice_sent_at",
    ):
        op.drop_column("suspects", column)
