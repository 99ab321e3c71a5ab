"""A transfer is identified within the receiving unit: the unit joins case_transfers' key.

Two units receiving the same agency's transfer number (a mistake or a probe) each get their own
case; before, the second was answered with the first unit's case.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("case_transfers", sa.Column("procuratorate_unit", sa.String(200)))
    op.execute(
        "UPDATE case_transfers t SET procuratorate_unit = c.procuratorate_unit "
        "FROM cases c WHERE c.case_id = t.case_id"
    )
    op.alter_column("case_transfers", "procuratorate_unit", nullable=False)
    op.drop_constraint("case_transfers_pkey", "case_transfers", type_="primary")
    op.create_primary_key(
        "case_transfers_pkey",
        "case_transfers",
        ["procuratorate_unit", "transferring_agency", "transfer_number"],
    )


def downgrade() -> None:
    op.drop_constraint("case_transfers_pkey", "case_transfers", type_="primary")
    op.create_primary_key(
        "case_transfers_pkey", "case_transfers", ["transferring_agency", "transfer_number"]
    )
    op.drop_column("case_transfers", "procuratorate_unit")
