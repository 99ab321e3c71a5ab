"""检察院: today's work, the case list and page with the workflow's forms, the ledger."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from console.api import ApiProblem
from console.labels import zh
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


@router.get("/today")
async def today_page(
    current: VisitDep, cursor: Annotated[str | None, Query(max_length=2000)] = None
) -> Response:
    """The unit's open clocks as the API orders them (overdue, due today, approaching, later),
    a page at a time: the API walks the open clocks only, however long the history."""
    current.require(STAFF)
    found = await current.api.get(
        "procuratorate",
        "/deadlines",
        limit=100,
        cursor=cursor,
        approaching_days=APPROACHING_DAYS,
    )
    return current.render(
        "procuratorate/today.html",
        title="今日工作",
        items=found["items"],
        on=today(),
        next_cursor=found.get("next_cursor"),
        paged=cursor is not None,
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
        "records": records_of(timeline["items"]),
        "file_reviews": reviews["items"],
        "title": case["transfer_number"],
    }


RECORDED = {
    "WrittenOpinionReceived": "opinions",
    "SentencingConsultationHeld": "consultations",
    "PleaAgreementWitnessed": "pleas",
    "ExpeditedProcedureApplied": "expedited",
    "ReappointmentRequested": "reappointments",
    "ProceduralDecisionMade": "decisions",
}


def records_of(timeline: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """What the case page lists under each of its forms, taken from the case's timeline: the
    API keeps these steps as events and has no list route of its own for them."""
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in RECORDED.values()}
    for entry in timeline:
        name = RECORDED.get(entry.get("event_type", ""))
        if name is not None:
            found[name].append({**entry.get("payload", {}), "occurred_at": entry["occurred_at"]})
    return found


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
    *,
    warnings: str = "warning",
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
    said = answer.get(warnings) if isinstance(answer, dict) else None
    warning = "；".join(said) if isinstance(said, list) else said
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
    body: dict[str, Any] = {
        "counsel": counsel,
        "retained_by": current.text("retained_by") or "suspect",
        # A relative's or guardian's retention stands on the suspect's own choice (Art. 6).
        "suspect_accepts": {"true": True, "false": False}.get(current.text("suspect_accepts")),
        "lawyer_id": current.optional("lawyer_id"),
    }
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
            "lawyer_id",
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


@router.post("/cases/{case_id}/suspects/{suspect_id}/file-review-requests")
async def file_review_request(case_id: UUID, suspect_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    return await _act(
        current,
        case_id,
        suspect_id,
        "review-request",
        f"/cases/{case_id}/suspects/{suspect_id}/file-review-requests",
        {"requested_at": _when(current.text("requested_at"))},
        ("requested_at",),
        "已登记阅卷申请。",
    )


@router.post("/cases/{case_id}/suspects/{suspect_id}/written-opinions")
async def written_opinion(case_id: UUID, suspect_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    body = {
        "received_at": _when(current.text("received_at")),
        "covers_plea_matters": current.text("covers_plea_matters") == "true",
        "copy_filed": current.text("copy_filed") == "true",
    }
    return await _act(
        current,
        case_id,
        suspect_id,
        "opinion",
        f"/cases/{case_id}/suspects/{suspect_id}/written-opinions",
        body,
        ("received_at", "covers_plea_matters", "copy_filed"),
        "已登记书面辩护意见。",
        warnings="warnings",
    )


@router.post("/cases/{case_id}/suspects/{suspect_id}/sentencing-consultations")
async def sentencing_consultation(case_id: UUID, suspect_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    opinions = []
    for index in range(3):
        if opinion := current.text(f"opinions/{index}/opinion"):
            opinions.append(
                {
                    "opinion": opinion,
                    "response": current.text(f"opinions/{index}/response") or "adopted",
                    "explanation": current.optional(f"opinions/{index}/explanation"),
                }
            )
    body = {
        "recommendation": current.text("recommendation"),
        "recording_ref": current.text("recording_ref"),
        "lawyer_attendance": current.text("lawyer_attendance"),
        "opinions": opinions,
        "held_at": _when(current.text("held_at")),
    }
    fields = (
        "recommendation",
        "recording_ref",
        "lawyer_attendance",
        "held_at",
        "opinions",
        *(
            f"opinions/{i}/{part}"
            for i in range(3)
            for part in ("opinion", "response", "explanation")
        ),
    )
    return await _act(
        current,
        case_id,
        suspect_id,
        "consultation",
        f"/cases/{case_id}/suspects/{suspect_id}/sentencing-consultations",
        body,
        fields,
        "已记录量刑协商。",
    )


@router.post("/cases/{case_id}/suspects/{suspect_id}/plea-agreements")
async def plea_agreement(case_id: UUID, suspect_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    body = {
        "witness_role": current.text("witness_role"),
        "witness_name": current.text("witness_name"),
        "mode": current.text("mode") or "in_person",
        "witnessed_at": _when(current.text("witnessed_at")),
    }
    return await _act(
        current,
        case_id,
        suspect_id,
        "plea",
        f"/cases/{case_id}/suspects/{suspect_id}/plea-agreements",
        body,
        ("witness_role", "witness_name", "lawyer_id", "mode", "witnessed_at"),
        "已记录认罪认罚具结书的见证。",
    )


@router.post("/cases/{case_id}/suspects/{suspect_id}/reappointment-requests")
async def reappointment_request(case_id: UUID, suspect_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    return await _act(
        current,
        case_id,
        suspect_id,
        "reappointment",
        f"/cases/{case_id}/suspects/{suspect_id}/reappointment-requests",
        {"assignment_id": current.text("assignment_id")},
        ("assignment_id",),
        "已书面通知法律援助机构另行指派律师。",
    )


@router.post("/cases/{case_id}/expedited-procedure")
async def expedited_procedure(case_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    body = {
        "suspect_ids": current.form_lists.get("suspect_ids", []),
        "decided_at": _when(current.text("decided_at")),
    }
    return await _act(
        current,
        case_id,
        str(case_id),
        "expedited",
        f"/cases/{case_id}/expedited-procedure",
        body,
        ("suspect_ids", "decided_at"),
        "已适用速裁程序。",
    )


FACT_FIELDS = (
    "birth_date",
    "offence_date",
    "disabilities",
    "limited_capacity",
    "likely_sentence",
    "pleads_guilty",
    "admits_guilt",
    "custody_status",
    "place_of_detention_or_residence",
    "charges",
)


def facts_form(facts: dict[str, Any]) -> dict[str, str]:
    """The suspect's facts as the form's fields show them."""
    shown: dict[str, str] = {}
    for name in FACT_FIELDS:
        value = facts.get(name)
        if isinstance(value, bool):
            shown[name] = "true" if value else "false"
        elif isinstance(value, list):
            shown[name] = "\n".join(str(v) for v in value)
        elif value is not None:
            shown[name] = str(value)
    return shown


def _lines(value: str) -> str:
    # A browser posts a textarea's (and a hidden field's) line breaks as CRLF.
    return "\n".join(line.strip() for line in value.splitlines() if line.strip())


def facts_patch(
    form: dict[str, str], lists: dict[str, list[str]], read: dict[str, str]
) -> dict[str, Any]:
    """Only what the person changed from what they read: a field left as it was is not sent,
    so the correction says exactly what it corrects."""
    shown = {name: _lines(form.get(name, "")) for name in FACT_FIELDS}
    shown["disabilities"] = "\n".join(lists.get("disabilities", []))
    changes: dict[str, Any] = {}
    for name, value in shown.items():
        if value == _lines(read.get(name, "")):
            continue
        if name in ("disabilities", "charges"):
            changes[name] = value.split("\n") if value else []
        elif name in ("limited_capacity", "pleads_guilty", "admits_guilt"):
            changes[name] = {"true": True, "false": False}.get(value)
        else:
            changes[name] = value or None
    return changes


FACT_LABELS = {
    "birth_date": "出生日期",
    "offence_date": "犯罪时间（判断是否未成年）",
    "disabilities": "残疾",
    "limited_capacity": "不能完全辨认或者控制自己行为的成年人",
    "likely_sentence": "可能判处的刑罚",
    "pleads_guilty": "认罪认罚",
    "admits_guilt": "承认犯罪事实",
    "custody_status": "强制措施",
    "place_of_detention_or_residence": "羁押场所或住所",
    "charges": "涉嫌罪名",
}


async def _facts_page(
    current: Visit,
    case_id: UUID,
    suspect_id: UUID,
    *,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    attempted: dict[str, Any] | None = None,
) -> Response:
    """The suspect's facts as read now, with the ``ETag`` to send back. After a refusal at a
    field the person's entries stay in the form; after a conflict (``attempted``) the form
    shows what is there now, since what they read is no longer true."""
    case = await current.api.get("procuratorate", f"/cases/{case_id}")
    suspect, etag = await current.api.get_tagged(
        "procuratorate", f"/cases/{case_id}/suspects/{suspect_id}"
    )
    read = facts_form(suspect["facts"])
    shown = dict(read)
    if errors:
        shown.update({k: v for k, v in current.form.items() if k in FACT_FIELDS})
        shown["disabilities"] = "\n".join(current.form_lists.get("disabilities", []))
    current.form = shown
    return current.render(
        "procuratorate/facts.html",
        status=status,
        title=f"更正事实 {suspect['name']}",
        case=case,
        suspect=suspect,
        etag=etag or "",
        read=read,
        labels=FACT_LABELS,
        errors=errors or {},
        conflict=attempted is not None,
        attempted=attempted or {},
    )


@router.get("/cases/{case_id}/suspects/{suspect_id}/facts")
async def facts_page(case_id: UUID, suspect_id: UUID, current: VisitDep) -> Response:
    current.require(STAFF)
    return await _facts_page(current, case_id, suspect_id)


@router.post("/cases/{case_id}/suspects/{suspect_id}/facts")
async def correct_facts(case_id: UUID, suspect_id: UUID, current: FormDep) -> Response:
    """A PATCH with the ``ETag`` the person's page was read with: if someone changed the
    suspect meanwhile, the API refuses (412) and the page shows what is there now, with the
    person's change not applied, instead of silently overwriting the other change."""
    current.require(STAFF)
    read = {k.removeprefix("read/"): v for k, v in current.form.items() if k.startswith("read/")}
    changes = facts_patch(current.form, current.form_lists, read)
    if not changes:
        current.flash("没有修改任何事实。")
        return current.redirect(f"/procuratorate/cases/{case_id}#suspect-{suspect_id}")
    try:
        answer = await current.api.patch(
            "procuratorate",
            f"/cases/{case_id}/suspects/{suspect_id}",
            changes,
            if_match=current.text("etag") or None,
        )
    except ApiProblem as problem:
        if problem.status in (412, 428):
            return await _facts_page(
                current, case_id, suspect_id, status=problem.status, attempted=changes
            )
        if problem.status >= 500 or problem.status == 401:
            raise
        return await _facts_page(
            current,
            case_id,
            suspect_id,
            status=problem.status,
            errors=field_errors(problem, FACT_FIELDS),
        )
    found = [g for grounds in (answer or {}).get("discovered", {}).values() for g in grounds]
    message = "已更正事实，已重新评估应当通知辩护的情形。"
    if found:
        message += "新发现的情形：" + "、".join(zh(g) for g in found) + "。"
    current.flash(message)
    return current.redirect(f"/procuratorate/cases/{case_id}#suspect-{suspect_id}")


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
