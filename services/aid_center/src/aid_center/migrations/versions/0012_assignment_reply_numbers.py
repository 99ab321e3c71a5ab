"""The center's reply to the procuratorate (指派通知书/函告, Measures Art. 4) is a numbered
document: `assignments.document_number` (the number's parts and printed text) and the
per-center, per-year counter it is drawn from. Assignments made before have no number.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_counters",
        sa.Column("issuing_unit", sa.Text, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("last_sequence", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("issuing_unit", "year"),
    )
    op.add_column("assignments", sa.Column("document_number", pg.JSONB, nullable=True))


def downgrade() -> None:
    op.drop_column("assignments", "document_number")
    op.drop_table("document_counters")
