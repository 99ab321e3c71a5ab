"""`suspects.name` is sealed like the facts (the suspect's id as associated data).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import context, op

from procuratorate.db.personal import NAME_FIELD
from procuratorate.settings import ProcuratorateSettings
from service_runtime.migrations import field_cipher_of
from service_runtime.security.personal import seal_text_column

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The sealed form of a 100-character name is longer than 100 characters.
    op.alter_column("suspects", "name", type_=sa.Text, existing_nullable=False)
    seal_text_column(
        op.get_bind(),
        field_cipher_of(context.config, ProcuratorateSettings),
        table="suspects",
        key="suspect_id",
        column="name",
        field=NAME_FIELD,
    )


def downgrade() -> None:
    seal_text_column(
        op.get_bind(),
        field_cipher_of(context.config, ProcuratorateSettings),
        table="suspects",
        key="suspect_id",
        column="name",
        field=NAME_FIELD,
        opening=True,
    )
    op.alter_column("suspects", "name", type_=sa.String(100), existing_nullable=False)
