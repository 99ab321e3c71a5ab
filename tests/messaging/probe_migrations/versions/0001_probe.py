"""Probe tables.

Revision ID: 0001
Revises:
"""

from alembic import op

from tests.messaging.probe import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS audit")  # the platform's audit_log lives there
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
