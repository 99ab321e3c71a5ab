"""Personal data encrypted at rest (issue 7): contacts' address and name, deliveries' address,
recipient name, subject and body; the per-recipient uniqueness through a keyed hash.

Existing rows are encrypted here, with the service's keys (passed by the service at start, or
from its settings in the environment when alembic is run by hand). The associated data is
``<table>.<column>|<row id>`` exactly as ``notifier.db.personal`` writes it.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import context, op

from notifier.settings import NotifierSettings
from service_runtime.migrations import field_cipher_of

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ADDRESS_PURPOSE = "notifier.recipient_address"  # = notifier.db.personal.ADDRESS_PURPOSE
CONTACT_FIELDS = ("address", "name")
DELIVERY_FIELDS = ("address", "recipient_name", "subject", "body")
_contacts = sa.table("contacts", sa.column("id"), *(sa.column(f) for f in CONTACT_FIELDS))
_deliveries = sa.table(
    "deliveries",
    sa.column("notification_id"),
    sa.column("address_hash"),
    *(sa.column(f) for f in DELIVERY_FIELDS),
)


def _convert(table: sa.TableClause, key: str, fields: tuple[str, ...], *, sealing: bool) -> None:
    cipher = field_cipher_of(context.config, NotifierSettings)
    bind = op.get_bind()
    rows = bind.execute(sa.select(table.c[key], *(table.c[f] for f in fields))).mappings().all()
    for row in rows:
        record_id = row[key]
        change = {}
        for name in fields:
            value, where = row[name], f"{table.name}.{name}"
            if sealing:
                change[name] = cipher.encrypt_optional(value, field=where, record_id=record_id)
            else:
                change[name] = cipher.decrypt_optional(value, field=where, record_id=record_id)
        if table is _deliveries and sealing:
            change["address_hash"] = cipher.lookup_hash(row["address"], purpose=ADDRESS_PURPOSE)
        bind.execute(sa.update(table).where(table.c[key] == record_id).values(**change))


def upgrade() -> None:
    op.add_column(
        "deliveries",
        sa.Column("address_hash", sa.Text, nullable=True, comment="keyed hash of the address"),
    )
    op.drop_constraint("uq_delivery_per_recipient", "deliveries", type_="unique")
    _convert(_contacts, "id", CONTACT_FIELDS, sealing=True)
    _convert(_deliveries, "notification_id", DELIVERY_FIELDS, sealing=True)
    op.alter_column("deliveries", "address_hash", nullable=False)
    op.create_unique_constraint(
        "uq_delivery_per_recipient",
        "deliveries",
        ["about_event_id", "recipient_role", "address_hash", "channel"],
    )


def downgrade() -> None:
    op.drop_constraint("uq_delivery_per_recipient", "deliveries", type_="unique")
    _convert(_contacts, "id", CONTACT_FIELDS, sealing=False)
    _convert(_deliveries, "notification_id", DELIVERY_FIELDS, sealing=False)
    op.drop_column("deliveries", "address_hash")
    op.create_unique_constraint(
        "uq_delivery_per_recipient",
        "deliveries",
        ["about_event_id", "recipient_role", "address", "channel"],
    )
