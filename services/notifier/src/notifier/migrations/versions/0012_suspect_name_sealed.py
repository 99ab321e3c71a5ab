"""`suspects.name` is sealed with the suspect's id as associated data.

Revision ID: 0012
Revises: 0011
"""

from alembic import context, op

from notifier.db.personal import SUSPECT_NAME
from notifier.settings import NotifierSettings
from service_runtime.migrations import field_cipher_of
from service_runtime.security.personal import seal_text_column


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _each(*, opening: bool) -> None:
    seal_text_column(
        op.get_bind(),
        field_cipher_of(context.config, NotifierSettings),
        table="suspects",
        key="suspect_id",
        column="name",
        field=SUSPECT_NAME,
        opening=opening,
    )


def upgrade() -> None:
    _each(opening=False)


def downgrade() -> None:
    _each(opening=True)
