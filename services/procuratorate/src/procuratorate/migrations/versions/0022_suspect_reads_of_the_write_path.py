"""Indexes for the write path's reads by suspect, which scanned the whole table once the
history grew (`pg_stat_user_tables` during the bench's pipeline with 60,000 suspects held:
62.7 M timeline rows and 3.2 M notice rows read sequentially for 30 suspects):

- `ix_timeline_suspect_event`: a suspect's defense state asks whether a written request for
  another lawyer is in flight (`ReappointmentRequested` not yet answered by `LawyerReplaced`,
  `AssignmentFailed` or `LawyerAssigned`), and the refusal and reappointment reads look up
  one suspect's events of one type; the timeline had an index by case only.
- `ix_notices_suspect`: whether a suspect's letter is open; notices had an index by case only.

Not partial: the statements bind the event types as parameters, which a generic plan cannot
match against an index predicate.

Revision ID: 0022
Revises: 0021
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_timeline_suspect_event", "timeline", ["suspect_id", "event_type"])
    op.create_index("ix_notices_suspect", "notices", ["suspect_id"])


def downgrade() -> None:
    op.drop_index("ix_notices_suspect", table_name="notices")
    op.drop_index("ix_timeline_suspect_event", table_name="timeline")
