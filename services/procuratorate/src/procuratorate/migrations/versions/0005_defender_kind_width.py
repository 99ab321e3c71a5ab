"""A defender's kind holds every defense status: `appointed_on_application` needs 24 characters.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column(
        "defenders", "kind", type_=sa.String(40), existing_type=sa.String(20), nullable=False
    )


def downgrade() -> None:
    op.alter_column(
        "defenders", "kind", type_=sa.String(20), existing_type=sa.String(40), nullable=False
    )
