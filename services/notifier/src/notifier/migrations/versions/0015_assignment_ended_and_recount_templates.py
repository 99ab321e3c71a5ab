"""Default templates for `AssignmentEnded` (an allowed refusal, or a replacement nobody could
take) and `ReviewDeadlineRecounted`: these events reached the notifier and told nobody.

An operator may already have saved a text for one of these keys: that text is kept.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import insert

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_REFUSAL = "{% if event.reason == 'refusal_allowed' %}"

# (event_type, recipient_role, subject, body), as in 0002.
TEMPLATES = [
    (
        "AssignmentEnded",
        "lawyer",
        "法律援助指派结束通知：{{ suspect_name }}",
        "{{ recipient_name }}律师：" + _REFUSAL + "犯罪嫌疑人{{ suspect_name }}拒绝您为其辩护，"
        "{{ case.procuratorate_unit }}认为理由正当，已予准许（《实施办法》第五条第一款）"
        "{% else %}因需更换承办律师，{% endif %}您对犯罪嫌疑人{{ suspect_name }}"
        "（{{ case.transfer_number }}）的指派已于{{ event.ended_at | cn_date }}结束，"
        "请停止以辩护人身份履职，并与法律援助机构办理交接。",
    ),
    (
        "AssignmentEnded",
        "prosecutor",
        "指派律师不再辩护告知：{{ suspect_name }}",
        "{{ recipient_name }}检察官：犯罪嫌疑人{{ suspect_name }}（{{ case.transfer_number }}）的"
        "法律援助律师已于{{ event.ended_at | cn_date }}不再为其辩护，犯罪嫌疑人目前没有辩护律师。"
        + _REFUSAL
        + "犯罪嫌疑人拒绝指派律师的理由正当已获准许，须另行委托辩护人；未另行委托的，"
        "请书面通知法律援助机构另行指派律师（《实施办法》第五条第一款）。"
        "{% else %}需更换的律师暂无符合条件的人选接替，法律援助机构应自收到通知之日起三日内"
        "确定承办律师（《实施办法》第四条）。{% endif %}"
        "{% if event.detail %}说明：{{ event.detail }}{% endif %}",
    ),
    (
        "AssignmentEnded",
        "procuratorate",
        "指派律师不再辩护告知",
        "犯罪嫌疑人{{ suspect_name }}（{{ case.transfer_number }}）的法律援助指派已于"
        "{{ event.ended_at | cn_date }}结束（" + _REFUSAL + "拒绝指派律师理由正当，已准许"
        "{% else %}更换律师未果，待另行指派{% endif %}），目前没有辩护律师。",
    ),
    (
        "AssignmentEnded",
        "guardian",
        "法律援助律师变更告知",
        "{{ recipient_name }}：犯罪嫌疑人{{ suspect_name }}的法律援助律师已于"
        "{{ event.ended_at | cn_date }}不再为其辩护。" + _REFUSAL + "可以在听取犯罪嫌疑人意见后"
        "为其另行委托辩护人（《实施办法》第五条、第六条）；未委托的，将另行指派律师。"
        "{% else %}法律援助机构将另行指派律师。{% endif %}"
        "如需了解详情，请与{{ case.procuratorate_unit }}联系。",
    ),
    (
        "AssignmentEnded",
        "close_relative",
        "法律援助律师变更告知",
        "{{ recipient_name }}：犯罪嫌疑人{{ suspect_name }}的法律援助律师已于"
        "{{ event.ended_at | cn_date }}不再为其辩护。" + _REFUSAL + "可以在听取犯罪嫌疑人意见后"
        "为其另行委托辩护人（《实施办法》第五条、第六条）；未委托的，将另行指派律师。"
        "{% else %}法律援助机构将另行指派律师。{% endif %}"
        "如需了解详情，请与{{ case.procuratorate_unit }}联系。",
    ),
    (
        "ReviewDeadlineRecounted",
        "lawyer",
        "审查起诉期限变更告知：{{ suspect_name }}",
        "{{ recipient_name }}律师：{{ case.procuratorate_unit }}办理的犯罪嫌疑人{{ suspect_name }}"
        "案件（{{ case.transfer_number }}）因节假日安排公布，审查起诉期限重新计算，由"
        "{{ event.previous_review_deadline | cn_date }}变更为{{ event.review_deadline | cn_date }}"
        "届满{% if event.review_deadline_provisional %}（部分年度节假日安排尚未公布，可能再次调整）"
        "{% endif %}。请在期限届满前提交书面辩护意见（《实施办法》第九条）。",
    ),
]


def _templates() -> sa.TableClause:
    return sa.table(
        "templates",
        sa.column("event_type", sa.Text),
        sa.column("recipient_role", sa.Text),
        sa.column("subject", sa.Text),
        sa.column("body", sa.Text),
    )


def upgrade() -> None:
    rows = [
        {"event_type": t, "recipient_role": r, "subject": s, "body": b} for t, r, s, b in TEMPLATES
    ]
    op.execute(insert(_templates()).values(rows).on_conflict_do_nothing())


def downgrade() -> None:
    table = _templates()
    for event_type, role, _, _ in TEMPLATES:
        op.execute(
            table.delete().where(table.c.event_type == event_type, table.c.recipient_role == role)
        )
