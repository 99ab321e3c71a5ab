"""An appointed defender keeps the number of the center's reply that named them (函告,
Measures Art. 4; `LawyerAssigned.document_number`): the procuratorate files and cites it.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("defenders", sa.Column("reply_number", sa.String(100), nullable=True))


def downgrade() -> None:
    op.drop_column("defenders", "reply_number")
