"""法律援助中心 — legal-aid applications (申请指派, LAL Art. 41-43): the list with each one's
7-day review clock, an application with its material, and the review's steps as forms: ask for
the missing material once and all of it, record what was supplied, decide (grant, refuse with
reasons, or record the application as withdrawn), and assign a lawyer after a grant."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from console.api import ApiProblem
from console.pages.aid_center import lawyer_options, notice_context, previous_stage
from console.pages.procuratorate import today
from console.web import Visit, correctable, field_errors, form_visit, visit
from defense_schemas.vocabulary import ApplicationDecision, EconomicTestExemption
from service_runtime.security.principal import Role

router = APIRouter(prefix="/aid-center")
VisitDep = Annotated[Visit, Depends(visit)]
FormDep = Annotated[Visit, Depends(form_visit)]
STAFF = Role.AID_CENTER_STAFF
CursorDep = Annotated[str | None, Query(max_length=2000)]
StatusDep = Annotated[str | None, Query(max_length=50, pattern=r"^[a-z_]*$")]
REVIEWING = ("under_review", "materials_requested")
"""An application is decided only while under review (LAL Art. 43)."""
FORMS = {
    "decision": ("decision", "reasons"),
    "materials-request": ("missing", "due_on"),
    "materials": ("materials", "hardship_statement", "exemption_grounds"),
    "assignment": ("lawyer_id", "reason"),
}


@router.get("/applications")
async def applications_page(
    current: VisitDep, status: StatusDep = None, cursor: CursorDep = None
) -> Response:
    current.require(STAFF)
    found = await current.api.get(
        "aid_center", "/applications", limit=50, status=status, cursor=cursor
    )
    return current.render(
        "aid_center/applications.html",
        title="法律援助申请",
        found=found,
        status_filter=status or "",
        on=today(),
    )


async def _context(current: Visit, application_id: UUID) -> dict[str, Any]:
    application = await current.api.get("aid_center", f"/applications/{application_id}")
    lawyers = (await current.api.get("aid_center", "/lawyers", limit=1000))["items"]
    assignments = await current.api.get(
        "aid_center", "/assignments", limit=100, suspect_id=application["suspect_id"]
    )
    return {
        "title": "法律援助申请",
        "application": application,
        "assignments": [
            a for a in assignments["items"] if a.get("application_id") == str(application_id)
        ],
        "lawyer_options": await lawyer_options(current, "由指派引擎按规则选择"),
        "exemptions": [(e.value, e.value) for e in EconomicTestExemption],
        "reviewing": application["status"] in REVIEWING,
        "names": {lawyer["lawyer_id"]: lawyer for lawyer in lawyers},
        **await previous_stage(current, application["suspect_id"]),
    }


@router.get("/applications/{application_id}")
async def application_page(application_id: UUID, current: VisitDep) -> Response:
    current.require(STAFF)
    return current.render("aid_center/application.html", **await _context(current, application_id))


async def _submit(
    current: Visit, application_id: UUID, action: str, body: dict[str, Any], done: str
) -> Response:
    try:
        await current.api.post("aid_center", f"/applications/{application_id}/{action}", body)
    except ApiProblem as problem:
        if not correctable(problem):
            raise
        return current.render(
            "aid_center/application.html",
            status=problem.status,
            errors=field_errors(problem, FORMS[action]),
            active_form=action,
            **await _context(current, application_id),
        )
    current.flash(done)
    return current.redirect(f"/aid-center/applications/{application_id}")


@router.post("/applications/{application_id}/decision")
async def decide(application_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    decision = current.text("decision")
    body = {"decision": decision, "reasons": current.optional("reasons")}
    done = {
        ApplicationDecision.GRANTED.value: "已决定给予法律援助，并按规则指派律师。",
        ApplicationDecision.REFUSED.value: "已决定不予法律援助。",
    }.get(decision, "已记录为视为撤回申请。")
    return await _submit(current, application_id, "decision", body, done)


@router.post("/applications/{application_id}/materials-request")
async def request_materials(application_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    body = {"missing": current.lines("missing"), "due_on": current.optional("due_on")}
    return await _submit(
        current, application_id, "materials-request", body, "已一次性告知申请人补充材料。"
    )


@router.post("/applications/{application_id}/materials")
async def supply_materials(application_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    body = {
        "materials": current.lines("materials"),
        "hardship_statement": current.optional("hardship_statement"),
        "exemption_grounds": current.form_lists.get("exemption_grounds", []),
    }
    return await _submit(
        current, application_id, "materials", body, "已记录补充的材料，审查期限重新计算。"
    )


@router.post("/applications/{application_id}/assignment")
async def assign(application_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    body: dict[str, Any] = {"lawyer_id": current.optional("lawyer_id")}
    if reason := current.optional("reason"):
        body["reason"] = reason
    return await _submit(current, application_id, "assignment", body, "已指派。")


@router.post("/suspects/{suspect_id}/previous-stage-lawyer")
async def set_previous_stage(
    suspect_id: UUID,
    current: FormDep,
    notice_id: Annotated[UUID | None, Query()] = None,
    application_id: Annotated[UUID | None, Query()] = None,
) -> Response:
    """Records the previous stage's lawyer (Art. 13) from a notice's or an application's
    page, guarded by the version the page showed: a change made meanwhile is refused (412)
    rather than overwritten."""
    current.require(STAFF)
    body = {"lawyer_id": current.text("lawyer_id"), "note": current.optional("note")}
    if notice_id is not None:
        page, back = "aid_center/notice.html", f"/aid-center/notices/{notice_id}"
    elif application_id is not None:
        page, back = "aid_center/application.html", f"/aid-center/applications/{application_id}"
    else:
        raise ApiProblem(422, {"title": "缺少通知或申请", "code": "validation_failed"})
    try:
        await current.api.put(
            "aid_center",
            f"/suspects/{suspect_id}/previous-stage-lawyer",
            body,
            if_match=current.optional("etag"),
        )
    except ApiProblem as problem:
        if not correctable(problem):
            raise
        context = (
            await notice_context(current, notice_id)
            if notice_id is not None
            else await _context(current, application_id)  # type: ignore[arg-type]
        )
        if problem.status == 412:
            problem.problem["detail"] = "前一阶段的律师已被他人修改，请核对后重新提交。"
        return current.render(
            page,
            status=problem.status,
            errors=field_errors(problem, ("lawyer_id", "note")),
            active_form="previous-stage",
            **context,
        )
    current.flash("已记录前一阶段的律师。")
    return current.redirect(back)
