"""The letter in `notices.letter` is sealed (the suspect's name and contacts, guardian, place of
detention, the rendered text), and the timeline's payloads seal names and rendered texts too.

Existing rows are sealed here with the service's keys (passed by the service at start, or from
its settings in the environment when alembic is run by hand).

Revision ID: 0009
Revises: 0008
"""

from alembic import context, op

from procuratorate.db.personal import LETTER_PERSONAL, TIMELINE_PERSONAL
from procuratorate.settings import ProcuratorateSettings
from service_runtime.migrations import field_cipher_of
from service_runtime.security.personal import reseal_column

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    cipher = field_cipher_of(context.config, ProcuratorateSettings)
    bind = op.get_bind()
    reseal_column(
        bind, cipher, table="notices", key="notice_id", column="letter",
        keys=LETTER_PERSONAL, record="letter",
    )
    reseal_column(
        bind, cipher, table="timeline", key="event_id", column="payload",
        keys=TIMELINE_PERSONAL, record="event",
    )


def downgrade() -> None:
    cipher = field_cipher_of(context.config, ProcuratorateSettings)
    reseal_column(
        op.get_bind(), cipher, table="notices", key="notice_id", column="letter",
        keys=(), record="letter",
    )
