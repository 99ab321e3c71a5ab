"""The aid center's own tables: cases, suspects, notices, roster, assignments, activity, quality.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)


def _created() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("case_id", UUID, primary_key=True),
        sa.Column("district", sa.Text, nullable=False),
        sa.Column("procuratorate_unit", sa.Text, nullable=False),
        sa.Column("transferring_agency", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        _created(),
    )
    op.create_table(
        "suspects",
        sa.Column("suspect_id", UUID, primary_key=True),
        sa.Column("case_id", UUID, sa.ForeignKey("cases.case_id"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("gender", sa.Text, nullable=False),
        sa.Column("likely_sentence", sa.Text, nullable=False),
        sa.Column("minor", sa.Boolean, nullable=False),
        sa.Column("charges", pg.JSONB, nullable=False),
        sa.Column("place_of_detention_or_residence", sa.Text, nullable=False),
    )
    op.create_index("ix_suspects_case_id", "suspects", ["case_id"])
    op.create_table(
        "notices",
        sa.Column("notice_id", UUID, primary_key=True),
        sa.Column("case_id", UUID, nullable=False),
        sa.Column("suspect_id", UUID, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("district", sa.Text, nullable=True),
        sa.Column("document_number", sa.Text, nullable=False),
        sa.Column("procuratorate_unit", sa.Text, nullable=False),
        sa.Column("suspect_name", sa.Text, nullable=False),
        sa.Column("grounds", pg.JSONB, nullable=False),
        sa.Column("letter", pg.JSONB, nullable=False),
        sa.Column("materials", pg.JSONB, nullable=False),
        sa.Column("wishes", pg.JSONB, nullable=True),
        sa.Column(
            "missing_items", pg.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")
        ),
        sa.Column(
            "missing_materials", pg.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assignment_due_on", sa.Date, nullable=True),
        sa.Column(
            "assignment_due_provisional", sa.Boolean, nullable=False, server_default="false"
        ),
        sa.Column("unassignable_reason", sa.Text, nullable=True),
        sa.Column("last_decision", pg.JSONB, nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_notices_case_id", "notices", ["case_id"])
    op.create_index("ix_notices_suspect_id", "notices", ["suspect_id"])
    op.create_table(
        "law_firms",
        sa.Column("firm_id", UUID, primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("district", sa.Text, nullable=True),
        sa.Column("contact", sa.Text, nullable=False),
        _created(),
    )
    op.create_table(
        "lawyers",
        sa.Column("lawyer_id", UUID, primary_key=True),
        sa.Column("firm_id", UUID, sa.ForeignKey("law_firms.firm_id"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("license_number", sa.Text, nullable=False, unique=True),
        sa.Column("contact", sa.Text, nullable=False),
        sa.Column("gender", sa.Text, nullable=False),
        sa.Column("criminal_practice_years", sa.Integer, nullable=False),
        sa.Column("specialties", pg.JSONB, nullable=False),
        sa.Column("districts", pg.JSONB, nullable=False),
        sa.Column("languages", pg.JSONB, nullable=False),
        sa.Column("max_concurrent_cases", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default="true"),
        _created(),
    )
    op.create_index("ix_lawyers_firm_id", "lawyers", ["firm_id"])
    op.create_table(
        "lawyer_leaves",
        sa.Column("leave_id", UUID, primary_key=True),
        sa.Column("lawyer_id", UUID, sa.ForeignKey("lawyers.lawyer_id"), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        _created(),
    )
    op.create_index("ix_lawyer_leaves_lawyer_id", "lawyer_leaves", ["lawyer_id"])
    op.create_table(
        "previous_stage_lawyers",
        sa.Column("suspect_id", UUID, primary_key=True),
        sa.Column("lawyer_id", UUID, sa.ForeignKey("lawyers.lawyer_id"), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        _created(),
    )
    op.create_table(
        "assignments",
        sa.Column("assignment_id", UUID, primary_key=True),
        sa.Column("case_id", UUID, nullable=False),
        sa.Column("suspect_id", UUID, nullable=False),
        sa.Column("notice_id", UUID, sa.ForeignKey("notices.notice_id"), nullable=True),
        sa.Column("lawyer_id", UUID, sa.ForeignKey("lawyers.lawyer_id"), nullable=False),
        sa.Column("firm_id", UUID, sa.ForeignKey("law_firms.firm_id"), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("manual", sa.Boolean, nullable=False),
        sa.Column("continued_from_previous_stage", sa.Boolean, nullable=False),
        sa.Column("previous_assignment_id", UUID, nullable=True),
        sa.Column("decision", pg.JSONB, nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.Text, nullable=True),
        sa.Column("end_detail", sa.Text, nullable=True),
    )
    op.create_index("ix_assignments_case_id", "assignments", ["case_id"])
    op.create_index("ix_assignments_suspect_id", "assignments", ["suspect_id"])
    op.create_index("ix_assignments_lawyer_id", "assignments", ["lawyer_id"])
    op.create_index(
        "uq_assignments_active_suspect",
        "assignments",
        ["suspect_id"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(
        "uq_assignments_active_case_firm",
        "assignments",
        ["case_id", "firm_id"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "conflict_reports",
        sa.Column("report_id", UUID, primary_key=True),
        sa.Column(
            "assignment_id", UUID, sa.ForeignKey("assignments.assignment_id"), nullable=False
        ),
        sa.Column("suspect_id", UUID, nullable=False),
        sa.Column("firm_id", UUID, sa.ForeignKey("law_firms.firm_id"), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("conflicting_suspect_ids", pg.JSONB, nullable=False),
        sa.Column("detail", sa.Text, nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replacement_assignment_id", UUID, nullable=True),
    )
    op.create_index("ix_conflict_reports_suspect_id", "conflict_reports", ["suspect_id"])
    op.create_table(
        "activities",
        sa.Column("activity_id", UUID, primary_key=True),
        sa.Column(
            "assignment_id", UUID, sa.ForeignKey("assignments.assignment_id"), nullable=False
        ),
        sa.Column("lawyer_id", UUID, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("performed_on", sa.Date, nullable=False),
        sa.Column("duration_minutes", sa.Integer, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column(
            "logged_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_activities_assignment_id", "activities", ["assignment_id"])
    op.create_table(
        "quality_reviews",
        sa.Column("review_id", UUID, primary_key=True),
        sa.Column(
            "assignment_id", UUID, sa.ForeignKey("assignments.assignment_id"), nullable=False
        ),
        sa.Column("measures", pg.JSONB, nullable=False),
        sa.Column("rating", sa.Text, nullable=False),
        sa.Column("checklist", pg.JSONB, nullable=False),
        sa.Column("service_standard_met", sa.Boolean, nullable=False),
        sa.Column("reviewer", sa.Text, nullable=False),
        sa.Column("findings", sa.Text, nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_quality_reviews_assignment_id", "quality_reviews", ["assignment_id"])


def downgrade() -> None:
    for table in (
        "quality_reviews",
        "activities",
        "conflict_reports",
        "assignments",
        "previous_stage_lawyers",
        "lawyer_leaves",
        "lawyers",
        "law_firms",
        "notices",
        "suspects",
        "cases",
    ):
        op.drop_table(table)
