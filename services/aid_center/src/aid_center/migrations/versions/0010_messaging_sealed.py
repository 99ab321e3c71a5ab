"""Outbox rows (value and headers) and dead letters' refusal texts are sealed at rest.

Revision ID: 0010
Revises: 0009
"""

from alembic import context, op

from aid_center.settings import AidCenterSettings
from service_runtime.migrations import field_cipher_of
from service_runtime.security.personal import seal_dead_letter_errors, seal_outbox_rows

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    cipher = field_cipher_of(context.config, AidCenterSettings)
    seal_outbox_rows(op.get_bind(), cipher)
    seal_dead_letter_errors(op.get_bind(), cipher)


def downgrade() -> None:
    cipher = field_cipher_of(context.config, AidCenterSettings)
    seal_outbox_rows(op.get_bind(), cipher, opening=True)
    seal_dead_letter_errors(op.get_bind(), cipher, opening=True)
