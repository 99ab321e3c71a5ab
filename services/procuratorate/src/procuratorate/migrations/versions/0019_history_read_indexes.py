"""Indexes for the reads that stay open while the history grows (bench --history):

- `ix_cases_unit_received`: the ledger is one unit's, by (received_at, case_id); with the
  unit first, its first page reads only that unit's latest cases and a later page starts at
  its cursor (`service_runtime.paging` bounds the first key), instead of walking every unit's
  cases by receipt and filtering.
- `ix_timeline_terminations`: the ledger's and statistics' terminations of aid per suspect;
  the timeline (every event of every case) had no index by suspect, so each ledger page
  scanned it whole. Partial: terminations are a sliver of the timeline.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_cases_unit_received", "cases", ["procuratorate_unit", "received_at", "case_id"]
    )
    op.create_index(
        "ix_timeline_terminations",
        "timeline",
        ["suspect_id", "id"],
        postgresql_where=sa.text("event_type = 'AidTerminated'"),
    )


def downgrade() -> None:
    op.drop_index("ix_timeline_terminations", table_name="timeline")
    op.drop_index("ix_cases_unit_received", table_name="cases")
