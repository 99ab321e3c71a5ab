"""The center reviews applications (LAL Art. 41-43): the applicant, the hardship statement or
the exemption grounds, the 7-day review, the one request for missing material, the decision and
the 3 days to appoint after a grant.

Applications stored before this revision were appointed on receipt without a review: they are
recorded as granted on receipt, with that said in their reasons, so every application has a
decision and none is reviewed after the fact.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_COLUMNS = (
    sa.Column("applicant_name", sa.Text, nullable=True),
    sa.Column("applicant_contact", sa.Text, nullable=True),
    sa.Column("hardship_statement", sa.Text, nullable=True),
    sa.Column("exemption_grounds", pg.JSONB, nullable=False, server_default="[]"),
    sa.Column("materials", pg.JSONB, nullable=False, server_default="[]"),
    sa.Column("review_started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("review_due_on", sa.Date, nullable=True),
    sa.Column("review_due_provisional", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("missing_materials", pg.JSONB, nullable=True),
    sa.Column("materials_requested_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("materials_due_on", sa.Date, nullable=True),
    sa.Column("decision", sa.Text, nullable=True),
    sa.Column("decision_reasons", sa.Text, nullable=True),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("assignment_due_on", sa.Date, nullable=True),
)


def upgrade() -> None:
    for column in _COLUMNS:
        op.add_column("applications", column)
    op.execute(
        "UPDATE applications SET decision = 'granted', decided_at = received_at, "
        "review_started_at = received_at, decision_reasons = "
        "'appointed on receipt, before the center reviewed applications'"
    )


def downgrade() -> None:
    for column in reversed(_COLUMNS):
        op.drop_column("applications", column.name)
