"""律师: my assignments and their deadlines, logging my work, the case's procedural information
(read-only, only for my own suspects: the procuratorate's API decides what a lawyer sees)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends
from starlette.responses import Response

from console.api import ApiProblem
from console.pages.procuratorate import today
from console.web import Visit, field_errors, form_visit, visit
from service_runtime.security.principal import Role

router = APIRouter(prefix="/lawyer")
VisitDep = Annotated[Visit, Depends(visit)]
FormDep = Annotated[Visit, Depends(form_visit)]
LAWYER = Role.LAWYER
ACTIVITY_FIELDS = ("kind", "performed_on", "duration_minutes", "note")


async def _deadlines(current: Visit, assignment: dict[str, Any]) -> dict[str, Any]:
    """The assignment's case as the procuratorate shows it to this lawyer: the review
    deadline and the suspect's open clocks, or nothing when it answers no."""
    try:
        case = await current.api.get("procuratorate", f"/cases/{assignment['case_id']}")
    except ApiProblem as problem:
        if problem.status == 401:
            raise
        return {}
    suspect: dict[str, Any] = next(
        (s for s in case.get("suspects", []) if s["suspect_id"] == assignment["suspect_id"]), {}
    )
    return {
        "transfer_number": case.get("transfer_number"),
        "suspect_name": suspect.get("name"),
        "review_deadline": (case.get("review_deadline") or {}).get("due_on"),
        "open_clocks": [c for c in suspect.get("clocks", []) if c.get("outcome") is None],
    }


@router.get("/assignments")
async def assignments_page(current: VisitDep) -> Response:
    current.require(LAWYER)
    found = await current.api.get("aid_center", "/assignments", limit=200)
    active = [a for a in found["items"] if a["status"] == "active"]
    deadlines = await asyncio.gather(*(_deadlines(current, a) for a in active))
    cases = {a["assignment_id"]: d for a, d in zip(active, deadlines, strict=True)}
    # Every case the procuratorate has the lawyer defending someone in, retained counsel
    # included (who has no assignment at the center).
    defended = await current.api.get("procuratorate", "/cases", limit=100)
    return current.render(
        "lawyer/assignments.html",
        title="我的指派",
        found=found,
        cases=cases,
        defended=defended,
    )


@router.get("/cases/{case_id}")
async def case_page(case_id: UUID, current: VisitDep) -> Response:
    """A case as the procuratorate shows it to this lawyer: only the suspects they defend
    (another case is the API's 404, passed on)."""
    current.require(LAWYER)
    case = await current.api.get("procuratorate", f"/cases/{case_id}")
    timeline = await current.api.get("procuratorate", f"/cases/{case_id}/timeline", limit=200)
    suspects = case.get("suspects", [])
    return current.render(
        "lawyer/case.html",
        title=case["transfer_number"],
        case=case,
        suspect=suspects[0] if len(suspects) == 1 else None,
        timeline=timeline["items"],
        case_problem=None,
    )


async def _assignment_context(current: Visit, assignment_id: UUID) -> dict[str, Any]:
    assignment = await current.api.get("aid_center", f"/assignments/{assignment_id}")
    activities = await current.api.get(
        "aid_center", f"/assignments/{assignment_id}/activities", limit=200
    )
    case: dict[str, Any] | None = None
    timeline: list[dict[str, Any]] = []
    case_problem: ApiProblem | None = None
    try:
        # The procuratorate answers a lawyer only about the suspects they defend.
        case = await current.api.get("procuratorate", f"/cases/{assignment['case_id']}")
        timeline = (
            await current.api.get(
                "procuratorate", f"/cases/{assignment['case_id']}/timeline", limit=200
            )
        )["items"]
    except ApiProblem as problem:
        if problem.status == 401:
            raise
        case_problem = problem
    suspect = None
    if case is not None:
        suspect = next(
            (s for s in case.get("suspects", []) if s["suspect_id"] == assignment["suspect_id"]),
            None,
        )
    return {
        "assignment": assignment,
        "activities": activities["items"],
        "case": case,
        "timeline": timeline,
        "suspect": suspect,
        "case_problem": case_problem,
        "on": today(),
        "title": "指派详情",
    }


@router.get("/assignments/{assignment_id}")
async def assignment_page(assignment_id: UUID, current: VisitDep) -> Response:
    current.require(LAWYER)
    return current.render(
        "lawyer/assignment.html", **await _assignment_context(current, assignment_id)
    )


@router.post("/assignments/{assignment_id}/activities")
async def log_activity(assignment_id: UUID, current: FormDep) -> Response:
    current.require(LAWYER)
    duration = current.text("duration_minutes")
    body: dict[str, Any] = {
        "kind": current.text("kind"),
        "performed_on": current.text("performed_on"),
        "duration_minutes": int(duration) if duration.isdigit() else (duration or None),
        "note": current.optional("note"),
    }
    try:
        await current.api.post("aid_center", f"/assignments/{assignment_id}/activities", body)
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status == 401:
            raise
        return current.render(
            "lawyer/assignment.html",
            status=problem.status,
            errors=field_errors(problem, ACTIVITY_FIELDS),
            **await _assignment_context(current, assignment_id),
        )
    current.flash("已记录工作。")
    return current.redirect(f"/lawyer/assignments/{assignment_id}")
