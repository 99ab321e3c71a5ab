"""The append-only, hash-chained audit log (issue 7): table and the triggers refusing change.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from service_runtime.security.audit import create_audit_log, drop_audit_log

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_log(op.get_bind())


def downgrade() -> None:
    drop_audit_log(op.get_bind())
