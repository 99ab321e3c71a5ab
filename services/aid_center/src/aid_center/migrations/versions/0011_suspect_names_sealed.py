"""Suspects' names are sealed: `suspects.name` with the suspect's id, `notices.suspect_name`
with the notice's id as associated data.

Revision ID: 0011
Revises: 0010
"""

from alembic import context, op

from aid_center.db.personal import NOTICE_SUSPECT_NAME, SUSPECT_NAME
from aid_center.settings import AidCenterSettings
from service_runtime.migrations import field_cipher_of
from service_runtime.security.personal import seal_text_column

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMNS = (
    ("suspects", "suspect_id", "name", SUSPECT_NAME),
    ("notices", "notice_id", "suspect_name", NOTICE_SUSPECT_NAME),
)


def _each(*, opening: bool) -> None:
    cipher = field_cipher_of(context.config, AidCenterSettings)
    for table, key, column, field in COLUMNS:
        seal_text_column(
            op.get_bind(),
            cipher,
            table=table,
            key=key,
            column=column,
            field=field,
            opening=opening,
        )


def upgrade() -> None:
    _each(opening=False)


def downgrade() -> None:
    _each(opening=True)
