"""Message templates (通知模板), editable without a release.

A template is Jinja2 text rendered in a sandbox. Names: `case.transfer_number`,
`case.procuratorate_unit`, `case.district`, `suspect_name`, `recipient_name`, `event_type`, and
`event.<field>` for the event's payload; the filter `cn_date` prints a date in Chinese. An edit
takes effect for the next event; jobs already created keep their text.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from notifier.api.access import OPERATORS, UnitOfWorkDep
from notifier.db.tables import templates
from notifier.domain.templates import TemplateProblem, render, sample_context
from notifier.unit_of_work import NotifierUnitOfWork
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES, InvalidInput, NotFound
from service_runtime.etags import PRECONDITION_RESPONSES, IfMatch, tag
from service_runtime.paging import Page, Paging

router = APIRouter(
    prefix="/templates", tags=["templates"], responses=AUTH_RESPONSES, dependencies=[OPERATORS]
)


class TemplateView(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_type": "LawyerAssigned",
                    "recipient_role": "lawyer",
                    "subject": "法律援助指派通知：{{ suspect_name }}",
                    "body": "{{ recipient_name }}律师：您已被指派为犯罪嫌疑人{{ suspect_name }}"
                    "（{{ case.transfer_number }}）提供辩护。请及时阅卷、会见犯罪嫌疑人。",
                    "version": 3,
                    "updated_at": "2026-03-01T08:30:00+08:00",
                }
            ]
        }
    )

    event_type: str = Field(description="The event the message reports, or `*` (any).")
    recipient_role: str = Field(description="The recipient's role, or `*` (any).")
    subject: str
    body: str
    version: int = Field(description="Incremented by every edit.")
    updated_at: datetime


class TemplateEdit(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "subject": "法律援助指派通知：{{ suspect_name }}",
                    "body": "{{ recipient_name }}律师：您已被指派为犯罪嫌疑人{{ suspect_name }}"
                    "（{{ case.transfer_number }}）提供辩护。请及时阅卷、会见犯罪嫌疑人。",
                }
            ]
        }
    )

    subject: str = Field(min_length=1, max_length=500)
    body: str = Field(min_length=1, max_length=20_000)


@router.get(
    "",
    summary="Every template, by (event_type, recipient_role)",
    response_model=Page[TemplateView],
)
async def list_templates(uow: UnitOfWorkDep, paging: Paging) -> Page[TemplateView]:
    order = [templates.c.event_type, templates.c.recipient_role]
    rows = await paging.fetch(uow.session, sa.select(templates), order)
    return paging.page([TemplateView.model_validate(dict(row._mapping)) for row in rows])


async def _one(uow: NotifierUnitOfWork, event_type: str, recipient_role: str) -> TemplateView:
    row = (
        (
            await uow.session.execute(
                sa.select(templates).where(
                    templates.c.event_type == event_type,
                    templates.c.recipient_role == recipient_role,
                )
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise NotFound("template", f"{event_type}/{recipient_role}")
    return TemplateView.model_validate(dict(row))


@router.get(
    "/{event_type}/{recipient_role}",
    summary="One template",
    response_model=TemplateView,
    responses={404: ERROR_RESPONSES[404]},
)
async def get_template(
    event_type: str, recipient_role: str, uow: UnitOfWorkDep, response: Response
) -> TemplateView:
    found = await _one(uow, event_type, recipient_role)
    tag(response, found)
    return found


@router.put(
    "/{event_type}/{recipient_role}",
    summary="Edit a template",
    description="The new text is checked (syntax, sandbox, known names) before it is stored.",
    response_model=TemplateView,
    responses={400: ERROR_RESPONSES[400], 404: ERROR_RESPONSES[404], **PRECONDITION_RESPONSES},
)
async def edit_template(
    event_type: str,
    recipient_role: str,
    edit: TemplateEdit,
    uow: UnitOfWorkDep,
    preconditions: IfMatch,
) -> TemplateView:
    await uow.session.execute(
        sa.select(templates.c.version)
        .where(templates.c.event_type == event_type, templates.c.recipient_role == recipient_role)
        .with_for_update()
    )
    preconditions.check(await _one(uow, event_type, recipient_role))
    try:
        render(edit.subject, edit.body, sample_context())
    except TemplateProblem as problem:
        raise InvalidInput(
            f"template does not render: {problem.message}", field=problem.part
        ) from problem
    await uow.session.execute(
        sa.update(templates)
        .where(templates.c.event_type == event_type, templates.c.recipient_role == recipient_role)
        .values(
            subject=edit.subject,
            body=edit.body,
            version=templates.c.version + 1,
            updated_at=sa.func.now(),
        )
    )
    updated = await _one(uow, event_type, recipient_role)
    preconditions.tag(updated)
    return updated
