"""`suspects.name_hash`: the keyed hash of the suspect's normalised name, so `GET /cases` finds
a suspect by exact name while the name itself stays sealed. Filled for the existing rows.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import context, op

from procuratorate.db.personal import NAME_FIELD, name_hash
from procuratorate.settings import ProcuratorateSettings
from service_runtime.migrations import field_cipher_of

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("suspects", sa.Column("name_hash", sa.Text, nullable=True))
    cipher = field_cipher_of(context.config, ProcuratorateSettings)
    bind = op.get_bind()
    update = sa.text("UPDATE suspects SET name_hash = :hash WHERE suspect_id = :id")
    for row in bind.execute(sa.text("SELECT suspect_id, name FROM suspects")).all():
        name = cipher.decrypt(row.name, field=NAME_FIELD, record_id=row.suspect_id)
        bind.execute(update, {"hash": name_hash(cipher, name), "id": row.suspect_id})
    op.alter_column("suspects", "name_hash", nullable=False)
    op.create_index("ix_suspects_name_hash", "suspects", ["name_hash"])


def downgrade() -> None:
    op.drop_index("ix_suspects_name_hash", table_name="suspects")
    op.drop_column("suspects", "name_hash")
