"""The default template telling a suspect at liberty that the appointed lawyer no longer acts
(`AssignmentEnded`, Measures Art. 5 ¶1): retain counsel, or another lawyer will be appointed.
A detained suspect is told in person and gets no message. An operator's own text for the key
is kept.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import insert

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

EVENT_TYPE, ROLE = "AssignmentEnded", "suspect"
SUBJECT = "法律援助律师变更告知"
BODY = (
    "{{ recipient_name }}：为您提供辩护的法律援助律师已于{{ event.ended_at | cn_date }}"
    "不再担任您的辩护人（{{ case.procuratorate_unit }}审查起诉案件，{{ case.transfer_number }}）。"
    "{% if event.reason == 'refusal_allowed' %}您拒绝该律师的理由正当，已获准许；您应当另行委托"
    "辩护人，未委托的，人民检察院将书面通知法律援助机构另行指派律师（《实施办法》第五条第一款）。"
    "{% else %}法律援助机构将另行指派律师为您辩护。{% endif %}"
    "如有疑问，请与{{ case.procuratorate_unit }}联系。"
)


def _templates() -> sa.TableClause:
    return sa.table(
        "templates",
        sa.column("event_type", sa.Text),
        sa.column("recipient_role", sa.Text),
        sa.column("subject", sa.Text),
        sa.column("body", sa.Text),
    )


def upgrade() -> None:
    row = {"event_type": EVENT_TYPE, "recipient_role": ROLE, "subject": SUBJECT, "body": BODY}
    op.execute(insert(_templates()).values([row]).on_conflict_do_nothing())


def downgrade() -> None:
    table = _templates()
    op.execute(
        table.delete().where(table.c.event_type == EVENT_TYPE, table.c.recipient_role == ROLE)
    )
