"""The notifier's projection: its own tables plus the tables every service has."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects.postgresql import UUID

from service_runtime.tables import add_platform_tables

metadata = sa.MetaData()
platform = add_platform_tables(metadata)

NOW = sa.func.now()

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("transfer_number", sa.Text, nullable=True),
    sa.Column("procuratorate_unit", sa.Text, nullable=True),
    sa.Column("district", sa.Text, nullable=True),
    sa.Column("review_deadline", sa.Date, nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    comment="What the notifier knows of a case (from CaseReceived); created by any event",
)

suspects = sa.Table(
    "suspects",
    metadata,
    sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("suspect_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("name", sa.Text, nullable=True),
    sa.Column("in_scope", sa.Boolean, nullable=True),
    sa.Column("decided_no_counsel", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("notice_sent", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("has_defender", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("lawyer_assigned", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("aid_center", sa.Text, nullable=True),
    sa.Column("lawyer_firm", sa.Text, nullable=True),
    sa.Column(
        "lawyer_assigned_at",
        sa.DateTime(timezone=True),
        nullable=True,
        comment="the latest appointment: closes an assignment clock started at or before it",
    ),
    sa.Column(
        "notice_sent_at",
        sa.DateTime(timezone=True),
        nullable=True,
        comment="the latest letter: answers a letter clock reopened at or before it",
    ),
    sa.Column(
        "letter_reopened_at",
        sa.DateTime(timezone=True),
        nullable=True,
        comment="a termination or dismissal made the letter owed again",
    ),
    sa.Column("aid_terminated", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("legal_aid_law_ground", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column(
        "application_decided_at",
        sa.DateTime(timezone=True),
        nullable=True,
        comment="the latest decision on an application: closes a review started at or before it",
    ),
)

held_deliveries = sa.Table(
    "held_deliveries",
    metadata,
    sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("case_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("waits_for", sa.Text, nullable=False),
    sa.Column("envelope", sa.Text, nullable=False, comment="encrypted (db/personal.py)"),
    sa.Column(
        "kept_contacts",
        sa.Text,
        nullable=True,
        comment="encrypted: the contacts of the aid center's roles when the event was held",
    ),
    sa.Column("held_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    comment="Events whose messages wait for a fact of another topic (encrypted envelope)",
)

contacts = sa.Table(
    "contacts",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("case_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("suspect_id", UUID(as_uuid=True), nullable=True),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=True),
    sa.Column("address", sa.Text, nullable=False, comment="encrypted (db/personal.py)"),
    sa.Column("source_event_id", UUID(as_uuid=True), nullable=False),
    comment="The contacts projection: who can be reached for a case, from the events",
)

templates = sa.Table(
    "templates",
    metadata,
    sa.Column("event_type", sa.Text, primary_key=True),
    sa.Column("recipient_role", sa.Text, primary_key=True),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    comment="Message templates (Jinja2, sandboxed), editable over REST",
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("notification_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("case_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("suspect_id", UUID(as_uuid=True), nullable=True),
    sa.Column("about_event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("about_event_type", sa.Text, nullable=False),
    sa.Column("correlation_id", UUID(as_uuid=True), nullable=False),
    sa.Column("recipient_role", sa.Text, nullable=False),
    sa.Column("recipient_name", sa.Text, nullable=True),
    sa.Column("channel", sa.Text, nullable=False),
    # address, recipient_name, subject and body are encrypted (db/personal.py).
    sa.Column("address", sa.Text, nullable=False),
    sa.Column("address_hash", sa.Text, nullable=False, comment="keyed hash of the address"),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column(
        "traceparent",
        sa.Text,
        nullable=True,
        comment="W3C trace context of the event that caused the delivery (ids only), so the "
        "worker's sending continues that trace",
    ),
    sa.UniqueConstraint(
        "about_event_id",
        "recipient_role",
        "address_hash",
        "channel",
        name="uq_delivery_per_recipient",
    ),
    sa.Index(
        "ix_deliveries_due", "next_attempt_at", postgresql_where=sa.text("status = 'pending'")
    ),
    comment="Durable delivery jobs: created with the event, sent by the worker",
)

clocks = sa.Table(
    "clocks",
    metadata,
    sa.Column("clock_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("case_id", UUID(as_uuid=True), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("suspect_id", UUID(as_uuid=True), nullable=True),
    sa.Column("subject", sa.Text, nullable=False, server_default=""),
    sa.Column("responsible", sa.Text, nullable=False),
    sa.Column("agency", sa.Text, nullable=True),
    sa.Column("district", sa.Text, nullable=True),
    sa.Column("started_on", sa.Date, nullable=False),
    sa.Column("due_on", sa.Date, nullable=False),
    sa.Column("provisional", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("missing_years", pg.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("trigger_event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("correlation_id", UUID(as_uuid=True), nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="open"),
    sa.Column("approaching_sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("outcome", sa.Text, nullable=True),
    sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("stop_event_id", UUID(as_uuid=True), nullable=True),
    sa.Index(
        "uq_open_clock",
        "case_id",
        "kind",
        sa.text("coalesce(suspect_id, '00000000-0000-0000-0000-000000000000'::uuid)"),
        "subject",
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
    ),
    sa.Index("ix_clocks_open_due", "due_on", postgresql_where=sa.text("status = 'open'")),
    sa.Index("ix_clocks_case", "case_id"),
    comment="The deadline watch: every clock built from the events, with its alert flags",
)
