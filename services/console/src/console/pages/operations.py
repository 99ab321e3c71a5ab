"""运维: consumer lag with a refreshing chart, dead letters and their replay, the legal
calendar's years and loading one, every service's readiness."""

from __future__ import annotations

import time
from collections import deque
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.responses import Response

from console.api import SERVICE_NAMES, SERVICES, ApiProblem
from console.web import Visit, field_errors, form_visit, visit
from service_runtime.security.principal import Role

router = APIRouter(prefix="/ops")
VisitDep = Annotated[Visit, Depends(visit)]
FormDep = Annotated[Visit, Depends(form_visit)]
OPERATOR = Role.OPERATOR
HISTORY = 60  # readings kept per group for the chart (five minutes at one reading per 5 s)
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


def record_lag(history: dict[str, deque[tuple[float, int]]], rows: list[dict[str, Any]]) -> None:
    totals: dict[str, int] = {}
    for row in rows:
        totals[row["group"]] = totals.get(row["group"], 0) + int(row.get("lag") or 0)
    now = time.time()
    for group, total in totals.items():
        history.setdefault(group, deque(maxlen=HISTORY)).append((now, total))


def chart_lines(
    history: dict[str, deque[tuple[float, int]]], *, width: int = 600, height: int = 160
) -> dict[str, Any]:
    """Polylines of each group's total lag over the kept readings, scaled to the chart."""
    peak = max((lag for series in history.values() for _, lag in series), default=0) or 1
    lines = []
    for group, series in sorted(history.items()):
        points = [
            (
                round(width * index / max(HISTORY - 1, 1), 1),
                round(height - height * lag / peak, 1),
            )
            for index, (_, lag) in enumerate(series)
        ]
        lines.append(
            {
                "group": group,
                "points": " ".join(f"{x},{y}" for x, y in points),
                "last": series[-1][1] if series else 0,
            }
        )
    return {"lines": lines, "peak": peak, "width": width, "height": height}


async def _lag_context(current: Visit) -> dict[str, Any]:
    rows, failures = await _lag_readings(current)
    history = current.request.app.state.lag_history
    record_lag(history, rows)
    return {"rows": rows, "failures": failures, "chart": chart_lines(history)}


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
    current.require(OPERATOR)
    states = []
    for service in SERVICES:
        status, body = await current.api.probe(service, "/ready")
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
