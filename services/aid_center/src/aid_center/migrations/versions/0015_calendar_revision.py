"""`legal_calendar_years.revision`: which load of a year the service holds, so a calendar
year published by the procuratorate is stored only when it is newer.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

from service_runtime.calendar_store import add_calendar_revision

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_calendar_revision(op.get_bind())


def downgrade() -> None:
    op.drop_column("legal_calendar_years", "revision")
