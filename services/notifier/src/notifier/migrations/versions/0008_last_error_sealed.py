"""A delivery's `last_error` is encrypted: a channel's error text can quote the address or the
message. Existing rows are encrypted here with the service's keys.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import context, op

from notifier.settings import NotifierSettings
from service_runtime.migrations import field_cipher_of

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FIELD = "deliveries.last_error"  # = notifier.db.personal: never rename


def _convert(*, sealing: bool) -> None:
    cipher = field_cipher_of(context.config, NotifierSettings)
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT notification_id, last_error FROM deliveries WHERE last_error IS NOT NULL")
    ).all()
    for notification_id, value in rows:
        changed = (
            cipher.encrypt(value, field=FIELD, record_id=notification_id)
            if sealing
            else cipher.decrypt(value, field=FIELD, record_id=notification_id)
        )
        bind.execute(
            sa.text("UPDATE deliveries SET last_error = :v WHERE notification_id = :id"),
            {"v": changed, "id": notification_id},
        )


def upgrade() -> None:
    _convert(sealing=True)


def downgrade() -> None:
    _convert(sealing=False)
