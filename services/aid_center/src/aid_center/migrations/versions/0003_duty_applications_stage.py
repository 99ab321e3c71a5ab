"""Duty-lawyer rota and requests, applications (申请指派), notice closure and stage outcome.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)


def _created() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def _closure(table: str) -> None:
    op.add_column(table, sa.Column("closed_reason", sa.Text, nullable=True))
    op.add_column(table, sa.Column("closed_detail", sa.Text, nullable=True))
    op.add_column(table, sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))


def upgrade() -> None:
    _closure("notices")
    op.create_table(
        "applications",
        sa.Column("application_id", UUID, primary_key=True),
        sa.Column("case_id", UUID, nullable=False),
        sa.Column("suspect_id", UUID, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("district", sa.Text, nullable=True),
        sa.Column("applied_by", sa.Text, nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("forwarded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("addressee_center", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unassignable_reason", sa.Text, nullable=True),
        sa.Column("last_decision", pg.JSONB, nullable=True),
        sa.Column("closed_reason", sa.Text, nullable=True),
        sa.Column("closed_detail", sa.Text, nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_applications_case_id", "applications", ["case_id"])
    op.create_index("ix_applications_suspect_id", "applications", ["suspect_id"])
    op.add_column(
        "assignments",
        sa.Column(
            "application_id",
            UUID,
            sa.ForeignKey("applications.application_id"),
            nullable=True,
        ),
    )
    op.add_column("assignments", sa.Column("stage_outcome", sa.Text, nullable=True))
    op.add_column("assignments", sa.Column("trial_court", sa.Text, nullable=True))
    op.add_column(
        "assignments", sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "work_stations",
        sa.Column("station_id", UUID, primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("district", sa.Text, nullable=False),
        sa.Column("host_kind", sa.Text, nullable=False),
        sa.Column("host_name", sa.Text, nullable=False),
        sa.Column("contact", sa.Text, nullable=True),
        _created(),
    )
    op.create_table(
        "duty_shifts",
        sa.Column("shift_id", UUID, primary_key=True),
        sa.Column("station_id", UUID, sa.ForeignKey("work_stations.station_id"), nullable=False),
        sa.Column("lawyer_id", UUID, sa.ForeignKey("lawyers.lawyer_id"), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("mode", sa.Text, nullable=False),
        _created(),
        sa.UniqueConstraint("station_id", "lawyer_id", "on_date", name="uq_duty_shift"),
    )
    op.create_index("ix_duty_shifts_station_id", "duty_shifts", ["station_id"])
    op.create_index("ix_duty_shifts_lawyer_id", "duty_shifts", ["lawyer_id"])
    op.create_index("ix_duty_shifts_on_date", "duty_shifts", ["on_date"])
    op.create_table(
        "duty_requests",
        sa.Column("request_id", UUID, primary_key=True),
        sa.Column("case_id", UUID, nullable=False),
        sa.Column("suspect_id", UUID, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_station", sa.Text, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("shift_id", UUID, sa.ForeignKey("duty_shifts.shift_id"), nullable=True),
        sa.Column("station_id", UUID, nullable=True),
        sa.Column("lawyer_id", UUID, nullable=True),
        sa.Column("mode", sa.Text, nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unassigned_reason", sa.Text, nullable=True),
        sa.Column("decision", pg.JSONB, nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_duty_requests_case_id", "duty_requests", ["case_id"])
    op.create_index("ix_duty_requests_suspect_id", "duty_requests", ["suspect_id"])
    op.create_index("ix_duty_requests_lawyer_id", "duty_requests", ["lawyer_id"])


def downgrade() -> None:
    for table in ("duty_requests", "duty_shifts", "work_stations"):
        op.drop_table(table)
    for column in ("handed_over_at", "trial_court", "stage_outcome", "application_id"):
        op.drop_column("assignments", column)
    op.drop_table("applications")
    for column in ("closed_at", "closed_detail", "closed_reason"):
        op.drop_column("notices", column)
