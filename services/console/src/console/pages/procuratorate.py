"""检察院: today's work, the case list and page with the workflow's forms, the ledger."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from console.api import ApiProblem
from console.pages.proxy import proxy_download
from console.web import Visit, field_errors, form_visit, visit
from service_runtime.security.principal import Role

router = APIRouter(prefix="/procuratorate")
VisitDep = Annotated[Visit, Depends(visit)]
FormDep = Annotated[Visit, Depends(form_visit)]
STAFF = Role.PROCURATORATE_STAFF
SHANGHAI = ZoneInfo("Asia/Shanghai")
APPROACHING_DAYS = 1
SEARCH_FIELDS = (
    "transfer_number",
    "suspect_name",
    "status",
    "district",
    "received_from",
    "received_to",
)


def today() -> date:
    return datetime.now(SHANGHAI).date()


def due_items(rows: list[dict[str, Any]], on: date) -> list[dict[str, Any]]:
    """Open clocks of the ledger's rows, each marked overdue, approaching (due today or the
    next day) or open, most urgent first."""
    items = []
    for row in rows:
        for clock in row.get("clocks", []):
            if clock.get("outcome") is not None:
                continue
            due = date.fromisoformat(clock["due_on"])
            state = (
                "overdue"
                if clock.get("overdue") or due < on
                else "approaching"
                if due <= on + timedelta(days=APPROACHING_DAYS)
                else "open"
            )
            items.append({"row": row, "clock": clock, "due": due, "state": state})
    order = {"overdue": 0, "approaching": 1, "open": 2}
    items.sort(key=lambda i: (order[i["state"]], i["due"], i["row"]["transfer_number"]))
    return items


@router.get("/today")
async def today_page(current: VisitDep) -> Response:
    current.require(STAFF)
    ledger = await current.api.get("procuratorate", "/ledger", limit=1000)
    on = today()
    return current.render(
        "procuratorate/today.html",
        title="今日工作",
        items=due_items(ledger["items"], on),
        on=on,
        more=ledger.get("next_cursor") is not None,
    )


@router.get("/cases")
async def cases_page(
    current: VisitDep, cursor: Annotated[str | None, Query(max_length=2000)] = None
) -> Response:
    current.require(STAFF)
    # Search terms (a suspect's name among them) live in the session, never in the URL.
    criteria = current.session.get("case_search") or {}
    errors: dict[str, list[str]] = {}
    found: dict[str, Any] = {"items": [], "next_cursor": None}
    try:
        found = await current.api.get(
            "procuratorate", "/cases", limit=25, cursor=cursor, **criteria
        )
    except ApiProblem as problem:
        if problem.status not in (400, 422):
            raise
        errors = field_errors(problem, SEARCH_FIELDS)
    current.form = {k: str(v) for k, v in criteria.items()}
    return current.render(
        "procuratorate/cases.html",
        title="案件",
        found=found,
        errors=errors,
        status=400 if errors else 200,
        paged=cursor is not None,
    )


@router.post("/cases/search")
async def search_cases(current: FormDep) -> Response:
    current.require(STAFF)
    current.session["case_search"] = {
        name: current.text(name) for name in SEARCH_FIELDS if current.text(name)
    }
    return current.redirect("/procuratorate/cases")


async def _case_context(current: Visit, case_id: UUID) -> dict[str, Any]:
    case = await current.api.get("procuratorate", f"/cases/{case_id}")
    timeline = await current.api.get("procuratorate", f"/cases/{case_id}/timeline", limit=200)
    reviews = await current.api.get(
        "procuratorate", f"/cases/{case_id}/file-review-requests", limit=200
    )
    return {
        "case": case,
        "timeline": timeline["items"],
        "file_reviews": reviews["items"],
        "title": case["transfer_number"],
    }


@router.get("/cases/{case_id}")
async def case_page(case_id: UUID, current: VisitDep) -> Response:
    current.require(STAFF)
    return current.render("procuratorate/case.html", **await _case_context(current, case_id))


async def _act(
    current: Visit,
    case_id: UUID,
    suspect_id: UUID | str,
    form_name: str,
    path: str,
    body: dict[str, Any],
    fields: tuple[str, ...],
    done: str,
) -> Response:
    """Posts one workflow action; the page again with the API's errors at the form's fields,
    or back to the case with a message. ``suspect_id`` (or another id) names the form among
    the page's forms of the same kind, and the part of the page to come back to."""
    try:
        answer = await current.api.post("procuratorate", path, body)
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status == 401:
            raise
        context = await _case_context(current, case_id)
        return current.render(
            "procuratorate/case.html",
            status=problem.status,
            errors=field_errors(problem, fields),
            active_form=f"{form_name}-{suspect_id}",
            **context,
        )
    warning = answer.get("warning") if isinstance(answer, dict) else None
    current.flash(f"{done}{warning}" if warning else done)
    return current.redirect(f"/procuratorate/cases/{case_id}#{form_name}-{suspect_id}")


def _when(value: str | None) -> str | None:
    """A ``datetime-local`` field in Beijing time, as the API's timezone-aware instant."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=SHANGHAI).isoformat()
    except ValueError:
        return value  # the API names the field


@router.post("/cases/{case_id}/suspects/{suspect_id}/rights-notification")
async def rights_notification(case_id: UUID, suspect_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    informed = []
    for index in range(3):
        role, name = current.text(f"informed/{index}/role"), current.text(f"informed/{index}/name")
        if name or index == 0:
            informed.append({"role": role or "suspect", "name": name})
    body: dict[str, Any] = {"informed": informed, "notified_at": _when(current.text("notified_at"))}
    if reason := current.optional("relatives_not_informed_reason"):
        body["relatives_not_informed_reason"] = reason
    fields = (
        "notified_at",
        "relatives_not_informed_reason",
        "informed",
        *(f"informed/{i}/{part}" for i in range(3) for part in ("role", "name")),
    )
    return await _act(
        current,
        case_id,
        suspect_id,
        "rights",
        f"/cases/{case_id}/suspects/{suspect_id}/rights-notification",
        body,
        fields,
        "已记录权利告知。",
    )


@router.post("/cases/{case_id}/suspects/{suspect_id}/defense-decision")
async def defense_decision(case_id: UUID, suspect_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    body: dict[str, Any] = {
        "choice": current.text("choice"),
        "decided_by": current.text("decided_by") or "suspect",
        "decided_at": _when(current.text("decided_at")),
        "materials": current.lines("materials"),
    }
    if note := current.optional("note"):
        body["note"] = note
    return await _act(
        current,
        case_id,
        suspect_id,
        "decision",
        f"/cases/{case_id}/suspects/{suspect_id}/defense-decision",
        body,
        ("choice", "decided_by", "decided_at", "materials", "note"),
        "已记录辩护决定。",
    )


@router.post("/cases/{case_id}/suspects/{suspect_id}/private-counsel")
async def private_counsel(case_id: UUID, suspect_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    counsel = {
        "name": current.text("counsel/name"),
        "law_firm": current.optional("counsel/law_firm"),
        "contact": current.text("counsel/contact"),
        "license_number": current.optional("counsel/license_number"),
    }
    body = {"counsel": counsel, "retained_by": current.text("retained_by") or "suspect"}
    return await _act(
        current,
        case_id,
        suspect_id,
        "counsel",
        f"/cases/{case_id}/suspects/{suspect_id}/private-counsel",
        body,
        (
            "counsel/name",
            "counsel/law_firm",
            "counsel/contact",
            "counsel/license_number",
            "retained_by",
            "suspect_accepts",
        ),
        "已记录委托辩护人。",
    )


@router.post("/cases/{case_id}/suspects/{suspect_id}/self-defense")
async def self_defense(case_id: UUID, suspect_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    return await _act(
        current,
        case_id,
        suspect_id,
        "self",
        f"/cases/{case_id}/suspects/{suspect_id}/self-defense",
        {"statement": current.text("statement")},
        ("statement",),
        "已准许自行辩护。",
    )


@router.post("/cases/{case_id}/suspects/{suspect_id}/refusals")
async def refusal(case_id: UUID, suspect_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    body = {
        "assignment_id": current.text("assignment_id"),
        "refusal_reason": current.text("refusal_reason"),
        "outcome": current.text("outcome"),
        "explanation": current.optional("explanation"),
    }
    return await _act(
        current,
        case_id,
        suspect_id,
        "refusal",
        f"/cases/{case_id}/suspects/{suspect_id}/refusals",
        body,
        ("assignment_id", "refusal_reason", "outcome", "explanation"),
        "已记录对拒绝辩护的处理。",
    )


@router.post("/cases/{case_id}/notices/{notice_id}/supplements")
async def supplement(case_id: UUID, notice_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    body = {
        "items": current.form_lists.get("items", []),
        "added_materials": current.lines("added_materials"),
        "supplemented_at": _when(current.text("supplemented_at")),
    }
    return await _act(
        current,
        case_id,
        str(notice_id),
        "supplement",
        f"/cases/{case_id}/notices/{notice_id}/supplements",
        body,
        ("items", "added_materials", "supplemented_at"),
        "已补充通知辩护公函。",
    )


@router.post("/cases/{case_id}/file-review-requests/{request_id}/scheduling")
async def schedule_file_review(case_id: UUID, request_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    body = {
        "location": current.text("location"),
        "review_starts_at": _when(current.text("review_starts_at")),
        "delay_explanation": current.optional("delay_explanation"),
    }
    return await _act(
        current,
        case_id,
        str(request_id),
        "review",
        f"/cases/{case_id}/file-review-requests/{request_id}/scheduling",
        body,
        ("location", "review_starts_at", "delay_explanation"),
        "已安排阅卷。",
    )


@router.post("/cases/{case_id}/procedural-decisions")
async def procedural_decision(case_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    body = {
        "kind": current.text("kind"),
        "decided_at": _when(current.text("decided_at")),
        "document_number": current.optional("document_number"),
        "court": current.optional("court"),
        "receiving_unit": current.optional("receiving_unit"),
        "note": current.optional("note"),
    }
    return await _act(
        current,
        case_id,
        str(case_id),
        "proceedings",
        f"/cases/{case_id}/procedural-decisions",
        body,
        ("kind", "decided_at", "document_number", "court", "receiving_unit", "note"),
        "已记录程序决定。",
    )


@router.get("/cases/{case_id}/notices/{notice_id}/letter.docx")
async def letter_docx(case_id: UUID, notice_id: UUID, current: VisitDep) -> Response:
    current.require(STAFF)
    return await proxy_download(
        current, "procuratorate", f"/cases/{case_id}/notices/{notice_id}/letter.docx"
    )


@router.get("/ledger")
async def ledger_page(
    current: VisitDep, cursor: Annotated[str | None, Query(max_length=2000)] = None
) -> Response:
    current.require(STAFF)
    ledger = await current.api.get("procuratorate", "/ledger", limit=100, cursor=cursor)
    statistics = await current.api.get("procuratorate", "/statistics")
    return current.render(
        "procuratorate/ledger.html", title="台账与统计", ledger=ledger, statistics=statistics
    )


@router.get("/ledger.xlsx")
async def ledger_xlsx(current: VisitDep) -> Response:
    current.require(STAFF)
    return await proxy_download(current, "procuratorate", "/ledger.xlsx")


@router.get("/ledger/report.xlsx")
async def monthly_report(
    current: VisitDep, month: Annotated[str | None, Query(max_length=20)] = None
) -> Response:
    """The month is checked by the API (its 422 names ``month``); blank is the default."""
    current.require(STAFF)
    return await proxy_download(
        current, "procuratorate", "/ledger/report.xlsx", {"month": month} if month else None
    )
