"""Case subsidies (办案补贴, notice §四): the standards as data and a claim per assignment whose
work on the stage ended, from the closing materials to the payment.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)


def upgrade() -> None:
    op.create_table(
        "subsidy_standards",
        sa.Column("standard_id", UUID, primary_key=True),
        sa.Column("region", sa.Text, nullable=False),
        sa.Column("stage", sa.Text, nullable=False),
        sa.Column("case_kind", sa.Text, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint("amount_fen > 0", name="ck_subsidy_standard_amount"),
    )
    op.create_table(
        "subsidy_claims",
        sa.Column("claim_id", UUID, primary_key=True),
        sa.Column("assignment_id", UUID, nullable=False, unique=True),
        sa.Column("case_id", UUID, nullable=False, index=True),
        sa.Column("suspect_id", UUID, nullable=False),
        sa.Column("lawyer_id", UUID, nullable=False, index=True),
        sa.Column("firm_id", UUID, nullable=False),
        sa.Column("addressee_center", sa.Text, nullable=False),
        sa.Column("district", sa.Text, nullable=True),
        sa.Column("stage", sa.Text, nullable=False),
        sa.Column("case_kind", sa.Text, nullable=False),
        sa.Column("standard_id", UUID, nullable=True),
        sa.Column("standard_amount_fen", sa.BigInteger, nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("materials", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("materials_submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checklist", pg.JSONB, nullable=True),
        sa.Column("service_standard_met", sa.Boolean, nullable=True),
        sa.Column("quality_rating", sa.Text, nullable=True),
        sa.Column("approved_amount_fen", sa.BigInteger, nullable=True),
        sa.Column("reduction_reason", sa.Text, nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payment_due_on", sa.Date, nullable=True),
        sa.Column("paid_amount_fen", sa.BigInteger, nullable=True),
        sa.Column("paid_on", sa.Date, nullable=True),
        sa.Column("payment_reference", sa.Text, nullable=True),
        sa.Column("paid_late", sa.Boolean, nullable=True),
        sa.Column("paid_short", sa.Boolean, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("subsidy_claims")
    op.drop_table("subsidy_standards")
