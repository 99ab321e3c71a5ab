"""Deliveries, contacts, templates (with the Chinese defaults), and the deadline watch's clocks.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NOW = sa.func.now()

# (event_type, recipient_role, subject, body). `*` is the fallback of an event type (role `*`)
# or of everything. Placeholders: case.transfer_number / procuratorate_unit / district,
# suspect_name, recipient_name, event_type, event.<payload field>; filter `cn_date`.
DEFAULT_TEMPLATES = [
    (
        "LawyerAssigned",
        "lawyer",
        "法律援助指派通知：{{ suspect_name }}",
        "{{ recipient_name }}律师：您已被指派为犯罪嫌疑人{{ suspect_name }}（{{ case.procuratorate_unit }}"
        "审查起诉案件，{{ case.transfer_number }}）提供辩护。请及时阅卷、会见犯罪嫌疑人"
        "（《实施办法》第七条）。",
    ),
    (
        "LawyerAssigned",
        "prosecutor",
        "指派律师函告：{{ suspect_name }}",
        "{{ recipient_name }}检察官：法律援助机构已为犯罪嫌疑人{{ suspect_name }}指派律师"
        "{{ event.lawyer.name }}（{{ event.lawyer.firm_name }}，联系方式：{{ event.lawyer.contact }}）。",
    ),
    (
        "LawyerAssigned",
        "procuratorate",
        "指派律师函告",
        "犯罪嫌疑人{{ suspect_name }}（{{ case.transfer_number }}）已指派律师{{ event.lawyer.name }}"
        "（{{ event.lawyer.firm_name }}，{{ event.lawyer.contact }}）。",
    ),
    (
        "LawyerReplaced",
        "lawyer",
        "法律援助指派通知（更换律师）：{{ suspect_name }}",
        "{{ recipient_name }}律师：您已被指派接替为犯罪嫌疑人{{ suspect_name }}"
        "（{{ case.procuratorate_unit }}审查起诉案件）提供辩护，请及时阅卷、会见。",
    ),
    (
        "LawyerReplaced",
        "prosecutor",
        "更换律师函告：{{ suspect_name }}",
        "{{ recipient_name }}检察官：犯罪嫌疑人{{ suspect_name }}的法律援助律师已更换为"
        "{{ event.lawyer.name }}（{{ event.lawyer.firm_name }}，联系方式：{{ event.lawyer.contact }}）。",
    ),
    (
        "LawyerReplaced",
        "procuratorate",
        "更换律师函告",
        "犯罪嫌疑人{{ suspect_name }}（{{ case.transfer_number }}）的法律援助律师已更换为"
        "{{ event.lawyer.name }}（{{ event.lawyer.firm_name }}）。",
    ),
    (
        "ExpeditedProcedureApplied",
        "lawyer",
        "适用速裁程序通知：{{ suspect_name }}",
        "{{ recipient_name }}律师：{{ case.procuratorate_unit }}已对犯罪嫌疑人{{ suspect_name }}"
        "适用速裁程序，审查起诉期限至{{ event.review_deadline | cn_date }}届满（《实施办法》第七条）。",
    ),
    (
        "FileReviewScheduled",
        "lawyer",
        "阅卷安排通知：{{ suspect_name }}",
        "{{ recipient_name }}律师：已安排您于{{ event.review_starts_at | cn_date }}在"
        "{{ event.location }}阅卷（犯罪嫌疑人{{ suspect_name }}，《实施办法》第八条）。"
        "{% if event.delay_explanation %}未能即时安排的原因：{{ event.delay_explanation }}{% endif %}",
    ),
    (
        "ProceduralDecisionMade",
        "lawyer",
        "重大程序性决定告知：{{ suspect_name }}",
        "{{ recipient_name }}律师：{{ case.procuratorate_unit }}已就犯罪嫌疑人{{ suspect_name }}"
        "作出{{ {'return_for_supplementary_investigation': '退回补充侦查', 'extension': '延长审查起诉期限',"
        " 'indictment': '提起公诉', 'non_prosecution': '不起诉', 'jurisdiction_change': '改变管辖'}"
        "[event.kind] }}决定（《实施办法》第十条）。"
        "{% if event.review_deadline %}审查起诉期限至{{ event.review_deadline | cn_date }}。{% endif %}",
    ),
    (
        "SupplementRequested",
        "prosecutor",
        "通知辩护材料补充商请：{{ suspect_name }}",
        "{{ recipient_name }}检察官：法律援助机构认为犯罪嫌疑人{{ suspect_name }}的通知辩护公函或材料"
        "不齐全，请及时补充（《实施办法》第三条）。{% if event.detail %}说明：{{ event.detail }}{% endif %}",
    ),
    (
        "SupplementRequested",
        "procuratorate",
        "通知辩护材料补充商请",
        "犯罪嫌疑人{{ suspect_name }}（{{ case.transfer_number }}）的通知辩护材料需补充："
        "{{ event.missing_items | join('、') }}。",
    ),
    (
        "AidTerminated",
        "close_relative",
        "终止法律援助告知",
        "{{ recipient_name }}：犯罪嫌疑人{{ suspect_name }}的法律援助已于{{ event.terminated_at | cn_date }}"
        "终止。如需委托辩护人，请与{{ case.procuratorate_unit }}联系。",
    ),
    (
        "AidTerminated",
        "guardian",
        "终止法律援助告知",
        "{{ recipient_name }}：犯罪嫌疑人{{ suspect_name }}的法律援助已于{{ event.terminated_at | cn_date }}"
        "终止。如需委托辩护人，请与{{ case.procuratorate_unit }}联系。",
    ),
    (
        "AidTerminated",
        "lawyer",
        "终止法律援助通知：{{ suspect_name }}",
        "{{ recipient_name }}律师：您为犯罪嫌疑人{{ suspect_name }}提供的法律援助已终止。",
    ),
    (
        "DefenseNoticeSent",
        "aid_center",
        "通知辩护公函",
        "{{ event.letter.rendered_text }}",
    ),
    (
        "AssignmentFailed",
        "prosecutor",
        "指派律师未能完成：{{ suspect_name }}",
        "{{ recipient_name }}检察官：法律援助机构暂未能为犯罪嫌疑人{{ suspect_name }}指派律师，"
        "请关注三日指派期限（《实施办法》第四条）。",
    ),
    (
        "AssignmentFailed",
        "procuratorate",
        "指派律师未能完成",
        "犯罪嫌疑人{{ suspect_name }}（{{ case.transfer_number }}）暂未能指派律师。",
    ),
    (
        "DutyLawyerAssigned",
        "duty_lawyer",
        "值班律师法律帮助安排：{{ suspect_name }}",
        "{{ recipient_name }}律师：请为犯罪嫌疑人{{ suspect_name }}提供法律帮助（《实施办法》第十五条）。",
    ),
    (
        "ReappointmentRequested",
        "aid_center",
        "另行指派律师通知",
        "请为犯罪嫌疑人{{ suspect_name }}（{{ case.transfer_number }}）另行指派律师（《实施办法》第五条）。",
    ),
    (
        "*",
        "*",
        "案件通知：{{ event_type }}",
        "{{ case.procuratorate_unit }}审查起诉案件{{ case.transfer_number }}：{{ event_type }}。",
    ),
]


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("transfer_number", sa.Text, nullable=True),
        sa.Column("procuratorate_unit", sa.Text, nullable=True),
        sa.Column("district", sa.Text, nullable=True),
        sa.Column("review_deadline", sa.Date, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    )
    op.create_table(
        "suspects",
        sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("suspect_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("in_scope", sa.Boolean, nullable=True),
        sa.Column("decided_no_counsel", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("notice_sent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("has_defender", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("lawyer_assigned", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("aid_center", sa.Text, nullable=True),
        sa.Column("lawyer_firm", sa.Text, nullable=True),
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("case_id", UUID(as_uuid=True), nullable=False),
        sa.Column("suspect_id", UUID(as_uuid=True), nullable=True),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("source_event_id", UUID(as_uuid=True), nullable=False),
    )
    op.create_index("ix_contacts_case_id", "contacts", ["case_id"])
    templates = op.create_table(
        "templates",
        sa.Column("event_type", sa.Text, primary_key=True),
        sa.Column("recipient_role", sa.Text, primary_key=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    )
    op.bulk_insert(
        templates,
        [
            {"event_type": t, "recipient_role": r, "subject": s, "body": b}
            for t, r, s, b in DEFAULT_TEMPLATES
        ],
    )
    op.create_table(
        "deliveries",
        sa.Column("notification_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("case_id", UUID(as_uuid=True), nullable=False),
        sa.Column("suspect_id", UUID(as_uuid=True), nullable=True),
        sa.Column("about_event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("about_event_type", sa.Text, nullable=False),
        sa.Column("correlation_id", UUID(as_uuid=True), nullable=False),
        sa.Column("recipient_role", sa.Text, nullable=False),
        sa.Column("recipient_name", sa.Text, nullable=True),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint(
            "about_event_id",
            "recipient_role",
            "address",
            "channel",
            name="uq_delivery_per_recipient",
        ),
    )
    op.create_index("ix_deliveries_case_id", "deliveries", ["case_id"])
    op.create_index(
        "ix_deliveries_due",
        "deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "clocks",
        sa.Column("clock_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("case_id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("suspect_id", UUID(as_uuid=True), nullable=True),
        sa.Column("subject", sa.Text, nullable=False, server_default=""),
        sa.Column("responsible", sa.Text, nullable=False),
        sa.Column("agency", sa.Text, nullable=True),
        sa.Column("district", sa.Text, nullable=True),
        sa.Column("started_on", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("provisional", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("trigger_event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("correlation_id", UUID(as_uuid=True), nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="open"),
        sa.Column("approaching_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.Text, nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stop_event_id", UUID(as_uuid=True), nullable=True),
    )
    # One open clock per duty: a replayed or reordered start can never open a second one.
    op.execute(
        "CREATE UNIQUE INDEX uq_open_clock ON clocks (case_id, kind, "
        "coalesce(suspect_id, '00000000-0000-0000-0000-000000000000'::uuid), subject) "
        "WHERE status = 'open'"
    )
    op.create_index(
        "ix_clocks_open_due", "clocks", ["due_on"], postgresql_where=sa.text("status = 'open'")
    )


def downgrade() -> None:
    for table in ("clocks", "deliveries", "templates", "contacts", "suspects", "cases"):
        op.drop_table(table)
