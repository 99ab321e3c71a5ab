"""The review period's last day keeps the calendar years it was guessed for, like every clock.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "cases",
        sa.Column(
            "review_deadline_missing_years",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            server_default=sa.text("'[]'::jsonb"),
        ),
    )
    # A provisional day counted before this column existed: its years are those of the open
    # review period clock, which kept them.
    op.execute(
        """
        UPDATE cases SET review_deadline_missing_years = clocks.missing_years
        FROM clocks
        WHERE clocks.case_id = cases.case_id
          AND clocks.kind = 'review_period'
          AND clocks.outcome IS NULL
          AND clocks.due_on = cases.review_deadline
          AND cases.review_deadline_provisional
        """
    )


def downgrade() -> None:
    op.drop_column("cases", "review_deadline_missing_years")
