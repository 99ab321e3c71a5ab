"""The aid_center's projection: its own tables plus the tables every service has.

- ``cases`` / ``suspects``: what the center knows of each case from ``CaseReceived``.
- ``notices``: each notice-of-defense letter received, its check and the state of the aid it
  asks for (awaiting a supplement, accepted, assigned, unassignable, closed).
- ``law_firms`` / ``lawyers`` / ``lawyer_leaves``: the roster. A lawyer's caseload is never
  stored: it is counted from live (``active``) assignments.
- ``previous_stage_lawyers``: the lawyer the center appointed in the previous stage (continuity).
- ``assignments``: every appointment, active or ended, with the engine's explanation.
- ``conflict_reports``, ``activities``, ``quality_reviews``.
- ``applications``: legal-aid applications forwarded by the procuratorate (申请指派), with the
  same aid state as a notice.
- ``work_stations`` / ``duty_shifts`` / ``duty_requests``: the duty-lawyer rota (值班律师,
  Measures Art. 15) and each request for a duty lawyer with its outcome.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from aid_center.domain.status import AssignmentStatus
from service_runtime.tables import add_platform_tables

metadata = sa.MetaData()
platform = add_platform_tables(metadata)

UUID = pg.UUID(as_uuid=True)
NOW = sa.func.now()


def _created() -> sa.Column[object]:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW)


cases = sa.Table(
    "cases",
    metadata,
    sa.Column("case_id", UUID, primary_key=True),
    sa.Column("district", sa.Text, nullable=False),
    sa.Column("procuratorate_unit", sa.Text, nullable=False),
    sa.Column("transferring_agency", sa.Text, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    _created(),
)

suspects = sa.Table(
    "suspects",
    metadata,
    sa.Column("suspect_id", UUID, primary_key=True),
    sa.Column("case_id", UUID, sa.ForeignKey("cases.case_id"), nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("birth_date", sa.Date, nullable=False),
    sa.Column("gender", sa.Text, nullable=False),
    sa.Column("likely_sentence", sa.Text, nullable=False),
    sa.Column("minor", sa.Boolean, nullable=False),
    sa.Column("charges", pg.JSONB, nullable=False),
    sa.Column("place_of_detention_or_residence", sa.Text, nullable=False),
)

notices = sa.Table(
    "notices",
    metadata,
    sa.Column("notice_id", UUID, primary_key=True),
    sa.Column("case_id", UUID, nullable=False, index=True),
    sa.Column("suspect_id", UUID, nullable=False, index=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("district", sa.Text, nullable=True),
    sa.Column("document_number", sa.Text, nullable=False),
    sa.Column("procuratorate_unit", sa.Text, nullable=False),
    # The center the letter is addressed to: whose staff may see and act on it.
    sa.Column("addressee_center", sa.Text, nullable=False, index=True),
    sa.Column("suspect_name", sa.Text, nullable=False),
    sa.Column("grounds", pg.JSONB, nullable=False),
    sa.Column("letter", pg.JSONB, nullable=False),
    sa.Column("materials", pg.JSONB, nullable=False),
    sa.Column("wishes", pg.JSONB, nullable=True),
    sa.Column("missing_items", pg.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("missing_materials", pg.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("assignment_due_on", sa.Date, nullable=True),
    sa.Column("assignment_due_provisional", sa.Boolean, nullable=False, server_default="false"),
    # The period's start (the letter's receipt, or the supplement that completed it) and the
    # years its due day guessed: what a recount needs when such a year is loaded.
    sa.Column("assignment_started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column(
        "assignment_missing_years",
        pg.JSONB,
        nullable=False,
        server_default=sa.text("'[]'::jsonb"),
    ),
    sa.Column("unassignable_reason", sa.Text, nullable=True),
    sa.Column("last_decision", pg.JSONB, nullable=True),
    sa.Column("closed_reason", sa.Text, nullable=True),
    sa.Column("closed_detail", sa.Text, nullable=True),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    # A center's queue in the list's order (received_at, notice_id), a page from its cursor.
    sa.Index("ix_notices_center_received", "addressee_center", "received_at", "notice_id"),
)

applications = sa.Table(
    "applications",
    metadata,
    sa.Column("application_id", UUID, primary_key=True),
    sa.Column("case_id", UUID, nullable=False, index=True),
    sa.Column("suspect_id", UUID, nullable=False, index=True),
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
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    # The review (LAL Art. 41-43): the applicant (name and contact sealed with the row's id),
    # the hardship statement or the exemption grounds, the 7-day period, the one request for
    # missing material, the decision and, on a grant, the 3 days to appoint.
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
    # Sealed like the name: 父亲, 本人 (migration 0017).
    sa.Column("applicant_relationship", sa.Text, nullable=True),
    # Deemed withdrawn by the center's own check, without staff (LAL Art. 43; migration 0019).
    sa.Column("decided_automatically", sa.Boolean, nullable=False, server_default=sa.false()),
)

subsidy_standards = sa.Table(
    "subsidy_standards",
    metadata,
    sa.Column("standard_id", UUID, primary_key=True),
    sa.Column("region", sa.Text, nullable=False),
    sa.Column("stage", sa.Text, nullable=False),
    sa.Column("case_kind", sa.Text, nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_to", sa.Date, nullable=True),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    sa.CheckConstraint("amount_fen > 0", name="ck_subsidy_standard_amount"),
)

# A lawyer's report of a ground for ending aid (LAL Art. 48 ¶2) and staff's decision on it
# (migration 0021). The statement is sealed with the report's id.
termination_reports = sa.Table(
    "termination_reports",
    metadata,
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

subsidy_claims = sa.Table(
    "subsidy_claims",
    metadata,
    sa.Column("claim_id", UUID, primary_key=True),
    # One claim per assignment: the work of one lawyer for one suspect at one stage.
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
    # The days the day due was counted with (the setting may change later), and whether it was
    # counted on a guessed calendar (a year without data): counted again when the year is
    # loaded, while the claim is unpaid.
    sa.Column("payment_days", sa.Integer, nullable=True),
    sa.Column("payment_due_provisional", sa.Boolean, nullable=False, server_default="false"),
    sa.Column(
        "payment_due_missing_years", pg.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")
    ),
    sa.Column("paid_amount_fen", sa.BigInteger, nullable=True),
    sa.Column("paid_on", sa.Date, nullable=True),
    sa.Column("payment_reference", sa.Text, nullable=True),
    sa.Column("paid_late", sa.Boolean, nullable=True),
    sa.Column("paid_short", sa.Boolean, nullable=True),
)

law_firms = sa.Table(
    "law_firms",
    metadata,
    sa.Column("firm_id", UUID, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("district", sa.Text, nullable=True),
    sa.Column("contact", sa.Text, nullable=False),
    _created(),
)

lawyers = sa.Table(
    "lawyers",
    metadata,
    sa.Column("lawyer_id", UUID, primary_key=True),
    sa.Column("firm_id", UUID, sa.ForeignKey("law_firms.firm_id"), nullable=False, index=True),
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

lawyer_leaves = sa.Table(
    "lawyer_leaves",
    metadata,
    sa.Column("leave_id", UUID, primary_key=True),
    sa.Column("lawyer_id", UUID, sa.ForeignKey("lawyers.lawyer_id"), nullable=False, index=True),
    sa.Column("starts_on", sa.Date, nullable=False),
    sa.Column("ends_on", sa.Date, nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
    _created(),
)

previous_stage_lawyers = sa.Table(
    "previous_stage_lawyers",
    metadata,
    sa.Column("suspect_id", UUID, primary_key=True),
    sa.Column("lawyer_id", UUID, sa.ForeignKey("lawyers.lawyer_id"), nullable=False),
    sa.Column("note", sa.Text, nullable=True),
    _created(),
)

document_counters = sa.Table(
    "document_counters",
    metadata,
    # The center's document numbers 〔year〕N号: unique and gap-free per center per year.
    sa.Column("issuing_unit", sa.Text, primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("last_sequence", sa.Integer, nullable=False),
)

_ACTIVE = sa.text(f"status = '{AssignmentStatus.ACTIVE.value}'")

assignments = sa.Table(
    "assignments",
    metadata,
    sa.Column("assignment_id", UUID, primary_key=True),
    sa.Column("case_id", UUID, nullable=False, index=True),
    sa.Column("suspect_id", UUID, nullable=False, index=True),
    sa.Column("notice_id", UUID, sa.ForeignKey("notices.notice_id"), nullable=True),
    sa.Column("application_id", UUID, sa.ForeignKey("applications.application_id"), nullable=True),
    sa.Column("lawyer_id", UUID, sa.ForeignKey("lawyers.lawyer_id"), nullable=False, index=True),
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
    # At indictment (StageHandedOver): continues_to_trial, with the court; ended otherwise.
    sa.Column("stage_outcome", sa.Text, nullable=True),
    sa.Column("trial_court", sa.Text, nullable=True),
    sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True),
    # The number of the reply telling the procuratorate who defends (函告, Measures Art. 4).
    sa.Column("document_number", pg.JSONB, nullable=True),
    # One active appointment per suspect; and never one firm for two co-suspects of a case at
    # the same time (Measures Art. 13 ¶2) — the database refuses it even if the code slipped.
    sa.Index(
        "uq_assignments_active_suspect",
        "suspect_id",
        unique=True,
        postgresql_where=_ACTIVE,
    ),
    sa.Index(
        "uq_assignments_active_case_firm",
        "case_id",
        "firm_id",
        unique=True,
        postgresql_where=_ACTIVE,
    ),
)

conflict_reports = sa.Table(
    "conflict_reports",
    metadata,
    sa.Column("report_id", UUID, primary_key=True),
    sa.Column("assignment_id", UUID, sa.ForeignKey("assignments.assignment_id"), nullable=False),
    sa.Column("suspect_id", UUID, nullable=False, index=True),
    sa.Column("firm_id", UUID, sa.ForeignKey("law_firms.firm_id"), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("conflicting_suspect_ids", pg.JSONB, nullable=False),
    sa.Column("detail", sa.Text, nullable=True),
    sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("replacement_assignment_id", UUID, nullable=True),
)

activities = sa.Table(
    "activities",
    metadata,
    sa.Column("activity_id", UUID, primary_key=True),
    sa.Column(
        "assignment_id",
        UUID,
        sa.ForeignKey("assignments.assignment_id"),
        nullable=False,
        index=True,
    ),
    sa.Column("lawyer_id", UUID, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("performed_on", sa.Date, nullable=False),
    sa.Column("duration_minutes", sa.Integer, nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
)

quality_reviews = sa.Table(
    "quality_reviews",
    metadata,
    sa.Column("review_id", UUID, primary_key=True),
    sa.Column(
        "assignment_id",
        UUID,
        sa.ForeignKey("assignments.assignment_id"),
        nullable=False,
        index=True,
    ),
    sa.Column("measures", pg.JSONB, nullable=False),
    sa.Column("rating", sa.Text, nullable=False),
    sa.Column("checklist", pg.JSONB, nullable=False),
    sa.Column("service_standard_met", sa.Boolean, nullable=False),
    sa.Column("reviewer", sa.Text, nullable=False),
    sa.Column("findings", sa.Text, nullable=True),
    sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
)

work_stations = sa.Table(
    "work_stations",
    metadata,
    sa.Column("station_id", UUID, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("district", sa.Text, nullable=False),
    sa.Column("host_kind", sa.Text, nullable=False),
    sa.Column("host_name", sa.Text, nullable=False),
    sa.Column("contact", sa.Text, nullable=True),
    _created(),
)

duty_shifts = sa.Table(
    "duty_shifts",
    metadata,
    sa.Column("shift_id", UUID, primary_key=True),
    sa.Column(
        "station_id", UUID, sa.ForeignKey("work_stations.station_id"), nullable=False, index=True
    ),
    sa.Column("lawyer_id", UUID, sa.ForeignKey("lawyers.lawyer_id"), nullable=False, index=True),
    sa.Column("on_date", sa.Date, nullable=False, index=True),
    sa.Column("mode", sa.Text, nullable=False),
    _created(),
    sa.UniqueConstraint("station_id", "lawyer_id", "on_date", name="uq_duty_shift"),
)

duty_requests = sa.Table(
    "duty_requests",
    metadata,
    sa.Column("request_id", UUID, primary_key=True),
    sa.Column("case_id", UUID, nullable=False, index=True),
    sa.Column("suspect_id", UUID, nullable=False, index=True),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("requested_station", sa.Text, nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("shift_id", UUID, sa.ForeignKey("duty_shifts.shift_id"), nullable=True),
    sa.Column("station_id", UUID, nullable=True),
    sa.Column("lawyer_id", UUID, nullable=True, index=True),
    sa.Column("mode", sa.Text, nullable=True),
    sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("unassigned_reason", sa.Text, nullable=True),
    sa.Column("decision", pg.JSONB, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
)
