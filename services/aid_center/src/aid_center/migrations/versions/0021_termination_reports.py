"""A lawyer's report of a ground for ending aid (LAL Art. 48 ¶2: 法律援助人员发现有前款规定情形的，
应当及时向法律援助机构报告) and staff's decision on it: terminate or dismiss, with reasons.

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)


def upgrade() -> None:
    op.create_table(
        "termination_reports",
        sa.Column("report_id", UUID, primary_key=True),
        sa.Column("assignment_id", UUID, nullable=False, index=True),
        sa.Column("case_id", UUID, nullable=False),
        sa.Column("suspect_id", UUID, nullable=False),
        sa.Column("lawyer_id", UUID, nullable=False, index=True),
        sa.Column("addressee_center", sa.Text, nullable=False, index=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("statement", sa.Text, nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reasons", sa.Text, nullable=True),
        sa.Column("decision_number", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("termination_reports")
