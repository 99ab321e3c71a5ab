"""The procuratorate's projection: its own tables plus the tables every service has.

Facts the workflow reads back (cases, suspects, grounds, clocks, notices, defenders, bookings,
decisions, written opinions) have their own tables; every event emitted or consumed is also
kept, whole, in the case's timeline, which is where the records that are only ever listed
(consultations, plea witnesses, refusals) are read from.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from service_runtime.tables import add_platform_tables

metadata = sa.MetaData()
platform = add_platform_tables(metadata)

TZ = sa.DateTime(timezone=True)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("transfer_number", sa.String(100), nullable=False),
    sa.Column("transferring_agency", sa.String(200), nullable=False),
    sa.Column("transferring_agency_kind", sa.String(40), nullable=False),
    sa.Column("procuratorate_unit", sa.String(200), nullable=False),
    sa.Column("district", sa.String(50), nullable=False, index=True),
    sa.Column("charges", JSONB, nullable=False),
    sa.Column("organisation_suspects", JSONB, nullable=False),
    sa.Column("major_and_complex", sa.Boolean, nullable=False),
    sa.Column("social_impact", sa.Boolean, nullable=False),
    sa.Column("pilot_district", sa.Boolean, nullable=False),
    sa.Column("receipt_kind", sa.String(60), nullable=False),
    sa.Column("received_at", TZ, nullable=False, index=True),
    # CPL Art. 172 / 175: the review period's current last day; null while returned for
    # supplementary investigation or after the decision that ends the stage.
    sa.Column("review_deadline", sa.Date),
    sa.Column("review_deadline_provisional", sa.Boolean, nullable=False, server_default="false"),
    sa.Column(
        "review_deadline_missing_years",
        JSONB,
        nullable=False,
        server_default=sa.text("'[]'::jsonb"),
    ),
    sa.Column("review_status", sa.String(40), nullable=False),
    sa.Column("extended", sa.Boolean, nullable=False, server_default="false"),
    sa.Column("expedited", sa.Boolean, nullable=False, server_default="false"),
    sa.Column("supplementary_investigations", sa.Integer, nullable=False, server_default="0"),
    sa.Column("prosecutor_name", sa.String(100)),
    sa.Column("prosecutor_contact", sa.String(200)),
    # The ledger: one unit's suspects by receipt and case, a page at a time from its cursor.
    sa.Index("ix_cases_unit_received", "procuratorate_unit", "received_at", "case_id"),
)

case_transfers = sa.Table(
    "case_transfers",
    metadata,
    # The same transfer (agency + its transfer number) received twice by one unit is one case;
    # the unit is part of the key, so one unit's transfer never resolves to another's case.
    sa.Column("procuratorate_unit", sa.String(200), primary_key=True),
    sa.Column("transferring_agency", sa.String(200), primary_key=True),
    sa.Column("transfer_number", sa.String(100), primary_key=True),
    sa.Column("case_id", UUID(as_uuid=True), sa.ForeignKey("cases.case_id"), nullable=False),
    sa.Column("receipt_kind", sa.String(60), nullable=False),
    sa.Column("received_at", TZ, nullable=False),
)

suspects = sa.Table(
    "suspects",
    metadata,
    sa.Column("suspect_id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "case_id", UUID(as_uuid=True), sa.ForeignKey("cases.case_id"), nullable=False, index=True
    ),
    sa.Column("position", sa.Integer, nullable=False),
    # Sealed (db.personal.seal_name): shown by the case view and the ledger, never queried.
    sa.Column("name", sa.Text, nullable=False),
    # Found by: the keyed hash of the normalised name (db.personal.name_hash), for the search.
    sa.Column("name_hash", sa.Text, nullable=False, index=True),
    sa.Column("facts", JSONB, nullable=False),  # SuspectParticulars, as last corrected
    sa.Column("grounds", JSONB, nullable=False),  # the grounds that apply now
    sa.Column("defense_status", sa.String(40), nullable=False),
    sa.Column("decision", sa.String(40)),
    sa.Column("decided_at", TZ),
    sa.Column("rights_notified_at", TZ),
    # Measures Art. 6: after a termination, a dismissal re-notifies on LAL grounds only.
    sa.Column("aid_terminated", sa.Boolean, nullable=False, server_default="false"),
    sa.Column("self_defense_permitted_at", TZ),
)

ground_discoveries = sa.Table(
    "ground_discoveries",
    metadata,
    sa.Column(
        "suspect_id", UUID(as_uuid=True), sa.ForeignKey("suspects.suspect_id"), primary_key=True
    ),
    sa.Column("ground", sa.String(60), primary_key=True),
    sa.Column("discovered_at", TZ, nullable=False),
)

clocks = sa.Table(
    "clocks",
    metadata,
    sa.Column("clock_id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "case_id", UUID(as_uuid=True), sa.ForeignKey("cases.case_id"), nullable=False, index=True
    ),
    sa.Column("suspect_id", UUID(as_uuid=True), index=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("subject", sa.String(100)),  # the ground, notice or request the clock is about
    sa.Column("trigger_on", sa.Date, nullable=False),
    sa.Column("due_on", sa.Date, nullable=False),
    sa.Column("closes_at", TZ, nullable=False),
    sa.Column("provisional", sa.Boolean, nullable=False),
    sa.Column("missing_years", JSONB, nullable=False),
    sa.Column("met_at", TZ),
    sa.Column("outcome", sa.String(20)),
    # Today's work (GET /deadlines) walks the open clocks by due day; settled ones, nearly
    # all of a long history, stay out of the index.
    sa.Index(
        "ix_clocks_open_due",
        "due_on",
        "closes_at",
        "clock_id",
        postgresql_where=sa.text("met_at IS NULL"),
    ),
)

notice_counters = sa.Table(
    "notice_counters",
    metadata,
    # One row per issuing unit and year, locked FOR UPDATE while a number is drawn: numbers
    # are unique and gap-free because the draw commits or rolls back with the letter.
    sa.Column("issuing_unit", sa.String(200), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("last_sequence", sa.Integer, nullable=False),
)

notices = sa.Table(
    "notices",
    metadata,
    sa.Column("notice_id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "case_id", UUID(as_uuid=True), sa.ForeignKey("cases.case_id"), nullable=False, index=True
    ),
    sa.Column(
        "suspect_id", UUID(as_uuid=True), sa.ForeignKey("suspects.suspect_id"), nullable=False
    ),
    sa.Column("issuing_unit", sa.String(200), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("document_number", sa.String(100), nullable=False),
    sa.Column("letter", JSONB, nullable=False),
    sa.Column("materials", JSONB, nullable=False),
    sa.Column("sent_at", TZ, nullable=False),
    sa.Column("status", sa.String(40), nullable=False),
    sa.Column("missing_items", JSONB, nullable=False, server_default="[]"),
    sa.Column("supplement_detail", sa.Text),
    sa.Column("supplement_requested_at", TZ),
    sa.UniqueConstraint("issuing_unit", "year", "sequence", name="uq_notice_number"),
    sa.Index("ix_notices_suspect", "suspect_id"),  # whether a suspect's letter is open
)

defenders = sa.Table(
    "defenders",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "suspect_id",
        UUID(as_uuid=True),
        sa.ForeignKey("suspects.suspect_id"),
        nullable=False,
        index=True,
    ),
    sa.Column("kind", sa.String(40), nullable=False),  # a DefenseStatus
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("firm", sa.String(200)),
    sa.Column("contact", sa.String(200)),
    sa.Column("lawyer_id", UUID(as_uuid=True)),
    sa.Column("assignment_id", UUID(as_uuid=True), index=True),
    sa.Column("retention_id", UUID(as_uuid=True), index=True),
    sa.Column("retained_by", sa.String(40)),
    # The center's reply naming an appointed lawyer (函告, Measures Art. 4), as printed.
    sa.Column("reply_number", sa.String(100)),
    sa.Column("started_at", TZ, nullable=False),
    sa.Column("ended_at", TZ),
    sa.Column("end_reason", sa.String(60)),
)

file_reviews = sa.Table(
    "file_reviews",
    metadata,
    sa.Column("request_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("case_id", UUID(as_uuid=True), sa.ForeignKey("cases.case_id"), nullable=False),
    sa.Column("suspect_id", UUID(as_uuid=True), nullable=False),
    sa.Column("defender_name", sa.String(100), nullable=False),
    sa.Column("requested_at", TZ, nullable=False),
    sa.Column("scheduled_at", TZ),
    sa.Column("review_starts_at", TZ),
    sa.Column("location", sa.String(300)),
    sa.Column("delay_explanation", sa.Text),
)

procedural_decisions = sa.Table(
    "procedural_decisions",
    metadata,
    sa.Column("decision_id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "case_id", UUID(as_uuid=True), sa.ForeignKey("cases.case_id"), nullable=False, index=True
    ),
    sa.Column("kind", sa.String(60), nullable=False),
    sa.Column("decided_at", TZ, nullable=False),
    sa.Column("review_deadline", sa.Date),
    sa.Column("round", sa.Integer),
    sa.Column("document_number", sa.String(100)),
    sa.Column("note", sa.Text),
)

timeline = sa.Table(
    "timeline",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("case_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("suspect_id", UUID(as_uuid=True)),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("event_type", sa.String(100), nullable=False),
    sa.Column("producer", sa.String(200), nullable=False),
    sa.Column("occurred_at", TZ, nullable=False),
    sa.Column("payload", JSONB, nullable=False),
    # The ledger's terminations of aid per suspect: a sliver of the timeline.
    sa.Index(
        "ix_timeline_terminations",
        "suspect_id",
        "id",
        postgresql_where=sa.text("event_type = 'AidTerminated'"),
    ),
    # A suspect's events of one type: the write path's defense state (a reappointment in
    # flight), refusals and reappointments.
    sa.Index("ix_timeline_suspect_event", "suspect_id", "event_type"),
)

written_opinions = sa.Table(
    "written_opinions",
    metadata,
    # Measures Art. 9: each opinion with its time against the review deadline then in force.
    sa.Column("opinion_id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "case_id", UUID(as_uuid=True), sa.ForeignKey("cases.case_id"), nullable=False, index=True
    ),
    sa.Column(
        "suspect_id", UUID(as_uuid=True), sa.ForeignKey("suspects.suspect_id"), nullable=False
    ),
    sa.Column("defender_name", sa.String(100), nullable=False),
    sa.Column("assignment_id", UUID(as_uuid=True)),
    sa.Column("retention_id", UUID(as_uuid=True)),
    sa.Column("received_at", TZ, nullable=False),
    # Null while the case is returned for supplementary investigation (no period running).
    sa.Column("review_deadline", sa.Date),
    sa.Column("on_time", sa.Boolean, nullable=False),
    sa.Column("covers_plea_matters", sa.Boolean, nullable=False),
    sa.Column("copy_filed", sa.Boolean, nullable=False),
)

# /statistics per (unit, district, receipt month): the tallies as counted, until a write makes
# the month stale (row triggers on cases, suspects, clocks, defenders and the timeline append
# it to statistics_stale when a column the statistics read changes; migrations 0020, 0021) or
# an open clock of it reaches its close.
statistics_months = sa.Table(
    "statistics_months",
    metadata,
    sa.Column("procuratorate_unit", sa.String(200), primary_key=True),
    sa.Column("district", sa.String(50), primary_key=True),
    sa.Column("month", sa.Date, primary_key=True),
    sa.Column("tallies", JSONB, nullable=False),
    sa.Column("valid_until", TZ),
)

statistics_stale = sa.Table(
    "statistics_stale",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("procuratorate_unit", sa.String(200), nullable=False),
    sa.Column("district", sa.String(50), nullable=False),
    sa.Column("month", sa.Date, nullable=False),
    sa.Index("ix_statistics_stale_month", "procuratorate_unit", "district", "month"),
)
