"""运维: consumer lag with a refreshing chart, dead letters and their replay, the legal
calendar's years and loading one, every service's readiness."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.responses import Response

from console.api import SERVICE_NAMES, SERVICES, ApiProblem
from console.lag_history import LagHistory, chart_lines
from console.web import Visit, field_errors, form_visit, visit
from service_runtime.security.principal import Role

router = APIRouter(prefix="/ops")
VisitDep = Annotated[Visit, Depends(visit)]
FormDep = Annotated[Visit, Depends(form_visit)]
OPERATOR = Role.OPERATOR
CALENDAR_FIELDS = ("year", "holidays", "makeup_workdays", "source")
CALENDAR_OWNER = "procuratorate"
"""Where a calendar year is loaded (service_runtime.calendar_events)."""


async def _lag_readings(current: Visit) -> tuple[list[dict[str, Any]], dict[str, str]]:
    rows: list[dict[str, Any]] = []
    failures: dict[str, str] = {}
    for service in SERVICES:
        try:
            found = await current.api.get(service, "/ops/lag", limit=1000)
            rows.extend({**row, "service": service} for row in found["items"])
        except ApiProblem as problem:
            if problem.status in (401, 403):
                raise
            failures[service] = problem.title
    return rows, failures


async def _lag_context(current: Visit) -> dict[str, Any]:
    rows, failures = await _lag_readings(current)
    history: LagHistory = current.request.app.state.lag_history
    history.record(rows)
    return {
        "rows": rows,
        "failures": failures,
        "chart": chart_lines(history.series(), window_seconds=history.window),
    }


@router.get("/lag")
async def lag_page(current: VisitDep) -> Response:
    current.require(OPERATOR)
    return current.render("ops/lag.html", title="消费延迟", **await _lag_context(current))


@router.get("/lag/panel")
async def lag_panel(current: VisitDep) -> Response:
    """The chart and table alone, for the page's refresh every few seconds."""
    current.require(OPERATOR)
    return current.render("ops/lag_panel.html", **await _lag_context(current))


async def _dead_letters(current: Visit) -> dict[str, Any]:
    letters: dict[str, list[dict[str, Any]]] = {}
    for service in SERVICES:
        found = await current.api.get(
            service, "/ops/dead-letters", limit=200, include_replayed="true"
        )
        letters[service] = found["items"]
    return {"letters": letters, "names": SERVICE_NAMES, "title": "死信"}


@router.get("/dead-letters")
async def dead_letters_page(current: VisitDep) -> Response:
    current.require(OPERATOR)
    return current.render("ops/dead_letters.html", **await _dead_letters(current))


@router.post("/dead-letters/{service}/{dead_letter_id}/replay")
async def replay(service: str, dead_letter_id: int, current: FormDep) -> Response:
    current.require(OPERATOR)
    if service not in SERVICES:
        raise ApiProblem(404, {"title": "没有这个服务", "code": "not_found"})
    try:
        await current.api.post(service, f"/ops/dead-letters/{dead_letter_id}/replay", None)
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status == 401:
            raise
        return current.render(
            "ops/dead_letters.html",
            status=problem.status,
            errors={"": [f"{problem.title}：{problem.detail}"]},
            **await _dead_letters(current),
        )
    current.flash(f"已重放{SERVICE_NAMES[service]}的死信 {dead_letter_id}。")
    return current.redirect("/ops/dead-letters")


async def _calendar(current: Visit) -> dict[str, Any]:
    years: dict[str, list[dict[str, Any]]] = {}
    for service in SERVICES:
        years[service] = (await current.api.get(service, "/ops/calendar", limit=200))["items"]
    return {"years": years, "names": SERVICE_NAMES, "title": "法定日历"}


@router.get("/calendar")
async def calendar_page(current: VisitDep) -> Response:
    current.require(OPERATOR)
    return current.render("ops/calendar.html", **await _calendar(current))


@router.post("/calendar")
async def load_year(current: FormDep) -> Response:
    """Loads one year at the procuratorate, which keeps the platform's calendar and publishes
    it: the aid center and the notifier store it from its event (they refuse a load)."""
    current.require(OPERATOR)
    year = current.text("year")
    body = {
        "year": int(year) if year.isdigit() else year,
        "holidays": current.lines("holidays"),
        "makeup_workdays": current.lines("makeup_workdays"),
        "source": current.text("source"),
    }
    try:
        await current.api.put(CALENDAR_OWNER, f"/ops/calendar/{year or 0}", body)
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status == 401:
            raise
        return current.render(
            "ops/calendar.html",
            status=problem.status,
            errors=field_errors(problem, CALENDAR_FIELDS),
            **await _calendar(current),
        )
    current.flash(
        f"{year} 年日历已在{SERVICE_NAMES[CALENDAR_OWNER]}载入；其他服务随其事件同步（见下表）。"
    )
    return current.redirect("/ops/calendar")


@router.get("/readiness")
async def readiness_page(current: VisitDep) -> Response:
    """Every service's own ``/ready`` (asked at once: one slow service delays only itself),
    and the console's, which is answering this page."""
    current.require(OPERATOR)
    probes = await asyncio.gather(*(current.api.probe(s, "/ready") for s in SERVICES))
    states: list[dict[str, Any]] = [
        {"service": "console", "name": "机构控制台", "ready": True, "status": 200, "checks": {}}
    ]
    for service, (status, body) in zip(SERVICES, probes, strict=True):
        states.append(
            {
                "service": service,
                "name": SERVICE_NAMES[service],
                "ready": status == 200,
                "status": status,
                "checks": body.get("checks", {}) if isinstance(body, dict) else {},
            }
        )
    return current.render("ops/readiness.html", title="服务就绪", states=states)
