"""A held event keeps the contacts of the aid center's roles it would have reached when it was
applied: a later event of the same topic (the appointment's end) forgets the lawyer before the
held messages are planned.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "held_deliveries",
        sa.Column(
            "kept_contacts",
            sa.Text,
            nullable=True,
            comment="encrypted: the contacts of the aid center's roles when the event was held",
        ),
    )


def downgrade() -> None:
    op.drop_column("held_deliveries", "kept_contacts")
