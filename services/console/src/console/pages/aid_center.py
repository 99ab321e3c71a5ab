"""法律援助中心: the notices queue with its 3-day clock, a notice with the engine's decision
explained, the unassignable queue, manual assignment, the roster with load and leave, the
duty-lawyer stations and rota."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from console.api import ApiProblem
from console.labels import zh
from console.pages.procuratorate import today
from console.web import Visit, correctable, field_errors, form_visit, visit
from defense_schemas.vocabulary import QualityMeasure, QualityRating
from service_runtime.security.principal import Role

router = APIRouter(prefix="/aid-center")
VisitDep = Annotated[Visit, Depends(visit)]
FormDep = Annotated[Visit, Depends(form_visit)]
STAFF = Role.AID_CENTER_STAFF
CursorDep = Annotated[str | None, Query(max_length=2000)]


async def _notices(current: Visit, status: str | None, cursor: str | None) -> Response:
    found = await current.api.get("aid_center", "/notices", limit=50, status=status, cursor=cursor)
    return current.render(
        "aid_center/notices.html",
        title="无法指派" if status == "unassignable" else "通知辩护队列",
        found=found,
        status_filter=status,
        on=today(),
    )


@router.get("/notices")
async def notices_page(current: VisitDep, cursor: CursorDep = None) -> Response:
    current.require(STAFF)
    return await _notices(current, None, cursor)


@router.get("/unassignable")
async def unassignable_page(current: VisitDep, cursor: CursorDep = None) -> Response:
    current.require(STAFF)
    return await _notices(current, "unassignable", cursor)


async def _lawyers(current: Visit) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await current.api.get("aid_center", "/lawyers", limit=1000))[
        "items"
    ]
    return found


async def lawyer_options(current: Visit, first: str | None = None) -> list[tuple[str, str]]:
    """The roster as a select's options, each with its firm and load; ``first`` is an empty
    choice (the engine's)."""
    options = [("", first)] if first else []
    return options + [
        (
            lawyer["lawyer_id"],
            f"{lawyer['name']}（{lawyer['firm_name']}，承办 "
            f"{lawyer['active_cases']}/{lawyer['max_concurrent_cases']}）",
        )
        for lawyer in await _lawyers(current)
    ]


async def previous_stage(current: Visit, suspect_id: str) -> dict[str, Any]:
    """The lawyer recorded for the suspect's previous stage (Art. 13 continuity) and the
    version to send back with a change."""
    try:
        found, etag = await current.api.get_tagged(
            "aid_center", f"/suspects/{suspect_id}/previous-stage-lawyer"
        )
    except ApiProblem as problem:
        if problem.status != 404:
            raise
        found, etag = None, None
    return {"previous_stage": found, "previous_stage_etag": etag, "suspect_id": suspect_id}


async def notice_context(current: Visit, notice_id: UUID) -> dict[str, Any]:
    notice = await current.api.get("aid_center", f"/notices/{notice_id}")
    lawyers = await _lawyers(current)
    assignments = await current.api.get(
        "aid_center", "/assignments", limit=100, case_id=notice["case_id"]
    )
    mine = [a for a in assignments["items"] if a.get("notice_id") == notice["notice_id"]]
    return {
        "notice": notice,
        "lawyer_options": await lawyer_options(current, "由指派引擎按规则选择"),
        "names": {lawyer["lawyer_id"]: lawyer for lawyer in lawyers},
        "assignments": mine,
        "title": f"通知辩护公函 {notice['document_number']}",
        **await previous_stage(current, notice["suspect_id"]),
    }


@router.get("/notices/{notice_id}")
async def notice_page(notice_id: UUID, current: VisitDep) -> Response:
    current.require(STAFF)
    return current.render("aid_center/notice.html", **await notice_context(current, notice_id))


@router.post("/notices/{notice_id}/assignment")
async def assign(notice_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    body: dict[str, Any] = {"lawyer_id": current.optional("lawyer_id")}
    if reason := current.optional("reason"):
        body["reason"] = reason
    try:
        await current.api.post("aid_center", f"/notices/{notice_id}/assignment", body)
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status == 401:
            raise
        return current.render(
            "aid_center/notice.html",
            status=problem.status,
            errors=field_errors(problem, ("lawyer_id", "reason")),
            **await notice_context(current, notice_id),
        )
    current.flash("已指派。")
    return current.redirect(f"/aid-center/notices/{notice_id}")


async def _assignment_action(
    current: Visit, assignment_id: UUID, action: str, body: dict[str, Any], fields: tuple[str, ...]
) -> Response:
    """Replacement or a firm's conflict report on an assignment; back to its notice."""
    assignment = await current.api.get("aid_center", f"/assignments/{assignment_id}")
    notice_id = assignment.get("notice_id")
    try:
        await current.api.post("aid_center", f"/assignments/{assignment_id}/{action}", body)
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status == 401 or notice_id is None:
            raise
        return current.render(
            "aid_center/notice.html",
            status=problem.status,
            errors=field_errors(problem, fields),
            active_form=f"{action}-{assignment_id}",
            **await notice_context(current, UUID(notice_id)),
        )
    current.flash("已更换律师。" if action == "replacement" else "已记录利益冲突并另行指派。")
    if notice_id is None:
        return current.redirect("/aid-center/notices")
    return current.redirect(f"/aid-center/notices/{notice_id}")


@router.post("/assignments/{assignment_id}/replacement")
async def replace(assignment_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    body = {
        "reason": current.text("reason"),
        "lawyer_id": current.optional("lawyer_id"),
        "detail": current.optional("detail"),
    }
    return await _assignment_action(
        current, assignment_id, "replacement", body, ("reason", "lawyer_id", "detail")
    )


@router.post("/assignments/{assignment_id}/conflicts")
async def conflict(assignment_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    body = {"kind": current.text("kind"), "detail": current.optional("detail")}
    return await _assignment_action(current, assignment_id, "conflicts", body, ("kind", "detail"))


@router.get("/lawyers")
async def lawyers_page(current: VisitDep, cursor: CursorDep = None) -> Response:
    current.require(STAFF)
    found = await current.api.get("aid_center", "/lawyers", limit=100, cursor=cursor)
    return current.render("aid_center/lawyers.html", title="律师名册", found=found)


@router.post("/lawyers/{lawyer_id}/leaves")
async def add_leave(lawyer_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    body = {
        "starts_on": current.text("starts_on"),
        "ends_on": current.text("ends_on"),
        "reason": current.optional("reason"),
    }
    try:
        await current.api.post("aid_center", f"/lawyers/{lawyer_id}/leaves", body)
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status == 401:
            raise
        found = await current.api.get("aid_center", "/lawyers", limit=100)
        return current.render(
            "aid_center/lawyers.html",
            status=problem.status,
            title="律师名册",
            found=found,
            errors=field_errors(problem, ("starts_on", "ends_on", "reason")),
            active_form=str(lawyer_id),
        )
    current.flash("已记录休假。")
    return current.redirect("/aid-center/lawyers")


async def _stations_context(current: Visit) -> dict[str, Any]:
    stations = await current.api.get("aid_center", "/work-stations", limit=200)
    lawyers = await current.api.get("aid_center", "/lawyers", limit=1000)
    on = today()
    rota = await current.api.get(
        "aid_center",
        "/duty-rota",
        limit=500,
        starts_on=on.isoformat(),
        ends_on=(on + timedelta(days=6)).isoformat(),
    )
    return {
        "title": "值班工作站",
        "stations": stations["items"],
        "rota": rota["items"],
        "on": on,
        "lawyer_options": [(lawyer["lawyer_id"], lawyer["name"]) for lawyer in lawyers["items"]],
    }


@router.get("/stations")
async def stations_page(current: VisitDep) -> Response:
    current.require(STAFF)
    return current.render("aid_center/stations.html", **await _stations_context(current))


@router.post("/stations/{station_id}/shifts")
async def add_shifts(station_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    body = {
        "lawyer_id": current.text("lawyer_id"),
        "starts_on": current.text("starts_on"),
        "ends_on": current.text("ends_on") or current.text("starts_on"),
        "mode": current.text("mode"),
    }
    try:
        await current.api.post("aid_center", f"/work-stations/{station_id}/shifts", body)
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status == 401:
            raise
        return current.render(
            "aid_center/stations.html",
            status=problem.status,
            errors=field_errors(problem, ("lawyer_id", "starts_on", "ends_on", "mode")),
            active_form=str(station_id),
            **await _stations_context(current),
        )
    current.flash("已排班。")
    return current.redirect("/aid-center/stations")


QUALITY_FIELDS = ("measures", "rating", "reviewer", "findings")


async def _assignment_context(current: Visit, assignment_id: UUID) -> dict[str, Any]:
    assignment = await current.api.get("aid_center", f"/assignments/{assignment_id}")
    activities = await current.api.get(
        "aid_center", f"/assignments/{assignment_id}/activities", limit=200
    )
    reviews = await current.api.get(
        "aid_center", f"/assignments/{assignment_id}/quality-reviews", limit=100
    )
    lawyers = {lawyer["lawyer_id"]: lawyer for lawyer in await _lawyers(current)}
    return {
        "title": "指派与质量评估",
        "assignment": assignment,
        "lawyer": lawyers.get(assignment["lawyer_id"]),
        "activities": activities["items"],
        "reviews": reviews["items"],
        "measures": [(m.value, m.value) for m in QualityMeasure],
        "ratings": [(r.value, zh(r.value)) for r in QualityRating],
    }


@router.get("/assignments/{assignment_id}")
async def assignment_page(assignment_id: UUID, current: VisitDep) -> Response:
    current.require(STAFF)
    return current.render(
        "aid_center/assignment.html", **await _assignment_context(current, assignment_id)
    )


@router.post("/assignments/{assignment_id}/quality-reviews")
async def review_quality(assignment_id: UUID, current: FormDep) -> Response:
    """A quality review (Art. 14) with the service standard's checklist, which the API
    computes from the lawyer's logged work."""
    current.require(STAFF)
    body = {
        "measures": current.form_lists.get("measures", []),
        "rating": current.text("rating"),
        "reviewer": current.text("reviewer"),
        "findings": current.optional("findings"),
    }
    try:
        await current.api.post("aid_center", f"/assignments/{assignment_id}/quality-reviews", body)
    except ApiProblem as problem:
        if not correctable(problem):
            raise
        return current.render(
            "aid_center/assignment.html",
            status=problem.status,
            errors=field_errors(problem, QUALITY_FIELDS),
            **await _assignment_context(current, assignment_id),
        )
    current.flash("已记录质量评估。")
    return current.redirect(f"/aid-center/assignments/{assignment_id}")


@router.get("/duty-requests")
async def duty_requests_page(current: VisitDep, cursor: CursorDep = None) -> Response:
    """The procuratorate's requests for a duty lawyer (Art. 15) and whom the rota gave, or why
    nobody; an unassigned one can be tried again once the rota is completed."""
    current.require(STAFF)
    found = await current.api.get("aid_center", "/duty-requests", limit=100, cursor=cursor)
    lawyers = {lawyer["lawyer_id"]: lawyer for lawyer in await _lawyers(current)}
    return current.render(
        "aid_center/duty_requests.html", title="值班律师申请", found=found, names=lawyers
    )


@router.post("/duty-requests/{request_id}/assignment")
async def retry_duty_request(request_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    answer = await current.api.post("aid_center", f"/duty-requests/{request_id}/assignment", {})
    if answer and answer.get("status") == "assigned":
        current.flash("已按今日值班表安排值班律师。")
    else:
        reason = zh((answer or {}).get("unassigned_reason"))
        current.flash(f"仍未能安排值班律师：{reason}。")
    return current.redirect("/aid-center/duty-requests")
