"""The applicant's relationship to the suspect (父亲, 本人), sealed like the applicant's name,
so the center's events can tell the notifier whose application its message answers.
Applications stored before it have none (the value is sealed, so SQL cannot fill it): the
message then names the suspect without the relationship.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("applications", sa.Column("applicant_relationship", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("applications", "applicant_relationship")
