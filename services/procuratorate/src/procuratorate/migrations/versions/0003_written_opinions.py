"""Written opinions of defense lawyers (Measures Art. 9), each against the review deadline.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "written_opinions",
        sa.Column("opinion_id", sa.UUID(), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("suspect_id", sa.UUID(), nullable=False),
        sa.Column("defender_name", sa.String(length=100), nullable=False),
        sa.Column("assignment_id", sa.UUID(), nullable=True),
        sa.Column("retention_id", sa.UUID(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review_deadline", sa.Date(), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=False),
        sa.Column("covers_plea_matters", sa.Boolean(), nullable=False),
        sa.Column("copy_filed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"]),
        sa.ForeignKeyConstraint(["suspect_id"], ["suspects.suspect_id"]),
        sa.PrimaryKeyConstraint("opinion_id"),
    )
    op.create_index(
        op.f("ix_written_opinions_case_id"), "written_opinions", ["case_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_written_opinions_case_id"), table_name="written_opinions")
    op.drop_table("written_opinions")
