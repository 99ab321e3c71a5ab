"""The audit log moves into the `audit` schema, with triggers that fire ALWAYS (even under
session_replication_role = replica); a guard applied by a superuser (audit_guard.sql) then
gives schema and table to a role the service cannot become.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

from service_runtime.security.audit import create_audit_log, return_audit_log_to_public

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_log(op.get_bind())


def downgrade() -> None:
    return_audit_log_to_public(op.get_bind())
