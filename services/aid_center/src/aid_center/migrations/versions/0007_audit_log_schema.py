"""The audit log moves into the `audit` schema, with triggers that fire ALWAYS (even under
session_replication_role = replica); a guard applied by a superuser (audit_guard.sql) then
gives schema and table to a role the service cannot become.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from service_runtime.security.audit import create_audit_log

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_log(op.get_bind())


def downgrade() -> None:
    bind = op.get_bind()
    owner = bind.execute(
        sa.text(
            "SELECT pg_get_userbyid(relowner) = current_user FROM pg_class "
            "WHERE oid = to_regclass('audit.audit_log')"
        )
    ).scalar()
    if owner:  # a guarded log stays where its owner put it
        bind.execute(sa.text("ALTER TABLE audit.audit_log SET SCHEMA public"))
