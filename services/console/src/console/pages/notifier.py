"""通知服务: the deadline board (every open clock the reader's agency may see, overdue first),
a case's delivery log (who was told what, by which channel, and whether it arrived), and the
operators' message templates with their edit form (guarded by the version shown)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query
from starlette.responses import Response

from console.api import ApiProblem
from console.web import Visit, correctable, field_errors, form_visit, visit
from defense_schemas.vocabulary import ClockKind, ResponsibleParty
from service_runtime.security.principal import Role

router = APIRouter()
VisitDep = Annotated[Visit, Depends(visit)]
FormDep = Annotated[Visit, Depends(form_visit)]
READERS = (Role.AID_CENTER_STAFF, Role.PROCURATORATE_STAFF, Role.OPERATOR)
"""Who reads the board and the delivery logs: the notifier answers each only about its own
agency's cases (operators: all)."""
CursorDep = Annotated[str | None, Query(max_length=2000)]
CodeDep = Annotated[str | None, Query(max_length=50, pattern=r"^[a-z_]*$")]
TEMPLATE_FIELDS = ("subject", "body")
NAME = r"^[A-Za-z_*]{1,100}$"
TemplateName = Annotated[str, Path(pattern=NAME)]
"""An event type or recipient role (or ``*``), nothing that could leave the templates' path."""


@router.get("/notifier/deadlines")
async def deadlines_page(
    current: VisitDep,
    kind: CodeDep = None,
    responsible: CodeDep = None,
    case_id: Annotated[UUID | None, Query()] = None,
    include_stopped: bool = False,
    cursor: CursorDep = None,
) -> Response:
    current.require(*READERS)
    found = await current.api.get(
        "notifier",
        "/clocks",
        limit=100,
        kind=kind,
        responsible=responsible,
        case_id=case_id,
        include_stopped="true" if include_stopped else None,
        cursor=cursor,
    )
    return current.render(
        "notifier/deadlines.html",
        title="期限看板",
        found=found,
        kinds=[k.value for k in ClockKind],
        parties=[p.value for p in ResponsibleParty],
        chosen={
            "kind": kind or "",
            "responsible": responsible or "",
            "case_id": str(case_id) if case_id else "",
            "include_stopped": include_stopped,
        },
    )


@router.get("/notifier/cases/{case_id}/deliveries")
async def deliveries_page(case_id: UUID, current: VisitDep, cursor: CursorDep = None) -> Response:
    current.require(*READERS)
    found = await current.api.get(
        "notifier", f"/cases/{case_id}/deliveries", limit=100, cursor=cursor
    )
    return current.render(
        "notifier/deliveries.html", title="通知送达记录", found=found, case_id=case_id
    )


@router.get("/ops/templates")
async def templates_page(current: VisitDep, cursor: CursorDep = None) -> Response:
    current.require(Role.OPERATOR)
    found = await current.api.get("notifier", "/templates", limit=200, cursor=cursor)
    return current.render("notifier/templates.html", title="通知模板", found=found)


async def _template(current: Visit, event_type: str, recipient_role: str) -> dict[str, Any]:
    found, etag = await current.api.get_tagged(
        "notifier", f"/templates/{event_type}/{recipient_role}"
    )
    return {"title": "编辑通知模板", "message": found, "etag": etag}


@router.get("/ops/templates/{event_type}/{recipient_role}")
async def template_page(
    event_type: TemplateName, recipient_role: TemplateName, current: VisitDep
) -> Response:
    current.require(Role.OPERATOR)
    return current.render(
        "notifier/template.html", **await _template(current, event_type, recipient_role)
    )


@router.post("/ops/templates/{event_type}/{recipient_role}")
async def edit_template(
    event_type: TemplateName, recipient_role: TemplateName, current: FormDep
) -> Response:
    """The notifier checks the text (syntax, sandbox, known names) before storing it; a
    refusal lands on the part it names. An edit made meanwhile by another operator is a 412:
    the form comes back with the stored text, to be merged by hand."""
    current.require(Role.OPERATOR)
    body = {"subject": current.text("subject"), "body": current.form.get("body", "")}
    try:
        await current.api.put(
            "notifier",
            f"/templates/{event_type}/{recipient_role}",
            body,
            if_match=current.optional("etag"),
        )
    except ApiProblem as problem:
        if not correctable(problem):
            raise
        context = await _template(current, event_type, recipient_role)
        if problem.status == 412:
            problem.problem["detail"] = (
                "模板已被他人修改：下方是您提交的内容，上方“当前版本”是已保存的内容，核对后再提交。"
            )
        return current.render(
            "notifier/template.html",
            status=problem.status,
            errors=field_errors(problem, TEMPLATE_FIELDS),
            **context,
        )
    current.flash("已保存模板。")
    return current.redirect(f"/ops/templates/{event_type}/{recipient_role}")
