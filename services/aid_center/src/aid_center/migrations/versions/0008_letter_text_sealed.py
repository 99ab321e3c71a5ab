"""The letter in `notices.letter` seals its rendered text and the suspect's name too.

Revision ID: 0008
Revises: 0007
"""

from alembic import context, op

from aid_center.db.personal import LETTER_PERSONAL
from aid_center.settings import AidCenterSettings
from service_runtime.migrations import field_cipher_of
from service_runtime.security.personal import reseal_column

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    reseal_column(
        op.get_bind(),
        field_cipher_of(context.config, AidCenterSettings),
        table="notices",
        key="notice_id",
        column="letter",
        keys=LETTER_PERSONAL,
        record="letter",
    )


def downgrade() -> None:
    pass  # a letter sealed more than before still reads
