"""A suspect's facts seal the name as well.

Revision ID: 0010
Revises: 0009
"""

from alembic import context, op

from procuratorate.db.personal import SUSPECT_PERSONAL
from procuratorate.settings import ProcuratorateSettings
from service_runtime.migrations import field_cipher_of
from service_runtime.security.personal import reseal_column

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    reseal_column(
        op.get_bind(),
        field_cipher_of(context.config, ProcuratorateSettings),
        table="suspects",
        key="suspect_id",
        column="facts",
        keys=SUSPECT_PERSONAL,
        record="suspect",
    )


def downgrade() -> None:
    pass  # facts sealed more than before still read
