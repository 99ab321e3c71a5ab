"""Templates for the applicant of legal aid: the missing material asked for once (一次性告知)
and the center's decision (LAL Art. 43), a refusal with its reasons and the justice bureau to
object to (Art. 49). Staff restyle them over REST like the others.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_TEMPLATES = [
    (
        "ApplicationMaterialsRequested",
        "applicant",
        "法律援助申请补充材料告知",
        "{{ recipient_name }}：您为犯罪嫌疑人{{ suspect_name }}提出的法律援助申请材料不齐全，请于"
        "{{ event.due_on | cn_date }}前补充以下材料或者作出说明：{{ event.missing | join('、') }}。"
        "逾期未按要求补充材料或者作出说明的，视为撤回申请（《法律援助法》第四十三条）。",
    ),
    (
        "ApplicationDecided",
        "applicant",
        "{{ {'granted': '给予法律援助决定书', 'refused': '不予法律援助决定书',"
        " 'deemed_withdrawn': '法律援助申请视为撤回告知'}[event.decision] }}",
        "{{ recipient_name }}：{% if event.decision == 'granted' %}经审查，决定对犯罪嫌疑人"
        "{{ suspect_name }}给予法律援助，将于{{ event.assignment_due_on | cn_date }}前指派律师"
        "（《法律援助法》第四十三条）。{% elif event.decision == 'refused' %}经审查，决定对犯罪嫌疑人"
        "{{ suspect_name }}不予法律援助。理由：{{ event.reasons }}。如对本决定有异议，可以向"
        "{{ event.objection_to }}提出（《法律援助法》第四十九条）。{% else %}您为犯罪嫌疑人"
        "{{ suspect_name }}提出的法律援助申请，{{ event.reasons }}。{% endif %}",
    ),
]


def upgrade() -> None:
    templates = sa.table(
        "templates",
        sa.column("event_type", sa.Text),
        sa.column("recipient_role", sa.Text),
        sa.column("subject", sa.Text),
        sa.column("body", sa.Text),
    )
    op.bulk_insert(
        templates,
        [
            {"event_type": e, "recipient_role": r, "subject": subject, "body": body}
            for e, r, subject, body in _TEMPLATES
        ],
    )


def downgrade() -> None:
    for event_type, role, _, _ in _TEMPLATES:
        op.execute(
            sa.text(
                "DELETE FROM templates WHERE event_type = :e AND recipient_role = :r"
            ).bindparams(e=event_type, r=role)
        )
