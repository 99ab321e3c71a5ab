"""The applicant's templates say whose application they answer: 您作为犯罪嫌疑人赵大的父亲为其
提出的法律援助申请 (the relationship the application form states, now carried by
`ApplicationMaterialsRequested` and `ApplicationDecided`), 您提出的 for the suspect's own (本人),
and, when no relationship is known, the suspect named as before. An operator's own text for a
key is kept: only the text 0016 seeded is replaced.

Revision ID: 0021
Revises: 0020
"""

import importlib.util
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

ROLE = "applicant"
_OPENING = (
    "{% set rel = event.applicant_relationship %}{{ recipient_name }}："
    "{% if rel == '本人' %}您提出的法律援助申请"
    "{% elif rel %}您作为犯罪嫌疑人{{ suspect_name }}的{{ rel }}为其提出的法律援助申请"
    "{% else %}您为犯罪嫌疑人{{ suspect_name }}提出的法律援助申请{% endif %}"
)
BODIES = {
    "ApplicationMaterialsRequested": _OPENING
    + "材料不齐全，请于{{ event.due_on | cn_date }}前补充以下材料或者作出说明："
    "{{ event.missing | join('、') }}。逾期未按要求补充材料或者作出说明的，视为撤回申请"
    "（《法律援助法》第四十三条）。",
    "ApplicationDecided": _OPENING
    + "，{% if event.decision == 'granted' %}经审查，决定给予法律援助，将于"
    "{{ event.assignment_due_on | cn_date }}前指派律师为{% if rel == '本人' %}您{% else %}其"
    "{% endif %}提供辩护（《法律援助法》第四十三条）。{% elif event.decision == 'refused' %}"
    "经审查，决定不予法律援助。理由：{{ event.reasons }}。如对本决定有异议，可以向"
    "{{ event.objection_to }}提出（《法律援助法》第四十九条）。{% else %}{{ event.reasons }}。"
    "{% endif %}",
}


def _seeded() -> dict[str, str]:
    """The bodies 0016 seeded, read from that revision so the two cannot drift apart."""
    path = Path(__file__).with_name("0016_application_decision_templates.py")
    spec = importlib.util.spec_from_file_location("seeded_application_templates", path)
    assert spec is not None and spec.loader is not None
    module: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {event: body for event, _, _, body in module._TEMPLATES}


def _replace(old: dict[str, str], new: dict[str, str]) -> None:
    templates = sa.table(
        "templates",
        sa.column("event_type", sa.Text),
        sa.column("recipient_role", sa.Text),
        sa.column("body", sa.Text),
    )
    for event_type, body in new.items():
        op.execute(
            templates.update()
            .where(
                templates.c.event_type == event_type,
                templates.c.recipient_role == ROLE,
                templates.c.body == old[event_type],
            )
            .values(body=body)
        )


def upgrade() -> None:
    _replace(_seeded(), BODIES)


def downgrade() -> None:
    _replace(BODIES, _seeded())
