"""`idempotency_keys`: the stored responses of POSTs sent with an `Idempotency-Key`.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.idempotency import create_idempotency_table

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_table(op.get_bind())


def downgrade() -> None:
    op.drop_table("idempotency_keys")
