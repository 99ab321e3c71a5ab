"""法律援助中心 — lawyers' case subsidies (办案补贴, notice §五: timely and full payment): the
claims with their state, a claim with its standard, closing materials and checklist, and the
forms to approve it (the standard's amount, or less with the reason) and record its payment.

Amounts are entered in yuan and sent in fen, as the API keeps them (integers, no rounding)."""

from __future__ import annotations

import re
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from console.api import ApiProblem
from console.pages.procuratorate import today
from console.pages.proxy import proxy_download
from console.web import Visit, correctable, field_errors, form_visit, visit
from service_runtime.security.principal import Role

router = APIRouter(prefix="/aid-center/subsidies")
VisitDep = Annotated[Visit, Depends(visit)]
FormDep = Annotated[Visit, Depends(form_visit)]
STAFF = Role.AID_CENTER_STAFF
CursorDep = Annotated[str | None, Query(max_length=2000)]
StatusDep = Annotated[str | None, Query(max_length=50, pattern=r"^[a-z_]*$")]
CodeDep = StatusDep
DayDep = Annotated[str | None, Query(max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$")]
FORMS = {
    "approval": ("approved_amount_fen", "reduction_reason"),
    "payment": ("amount_fen", "paid_on", "reference"),
    "materials": ("materials",),
}
YUAN = re.compile(r"^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$")


class BadAmount(ValueError):
    pass


def fen(yuan: str) -> int:
    """``"1200.5"`` yuan → 120050 fen, exactly; anything but a plain amount with at most two
    decimals is refused (no float rounding on money)."""
    found = YUAN.match(yuan.replace(",", "").replace("，", ""))
    if found is None:
        raise BadAmount(yuan)
    whole, cents = found.group(1), (found.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(cents)


def yuan(amount_fen: int | None) -> str:
    return "—" if amount_fen is None else f"{amount_fen // 100:,}.{amount_fen % 100:02d} 元"


@router.get("")
async def claims_page(
    current: VisitDep, status: StatusDep = None, cursor: CursorDep = None
) -> Response:
    current.require(STAFF)
    found = await current.api.get(
        "aid_center", "/subsidy-claims", limit=50, status=status, cursor=cursor
    )
    figures = await current.api.get("aid_center", "/subsidies/statistics", granularity="year")
    return current.render(
        "aid_center/subsidies.html",
        title="办案补贴",
        found=found,
        figures=figures,
        status_filter=status or "",
        yuan=yuan,
        on=today(),
    )


@router.get("/claims.xlsx")
async def claims_xlsx(
    current: VisitDep,
    basis: CodeDep = None,
    granularity: CodeDep = None,
    period_from: DayDep = None,
    period_to: DayDep = None,
) -> Response:
    """The finance office's workbook (every claim in yuan, the figures per lawyer, firm and
    period), passed through with the user's token."""
    current.require(STAFF)
    params = {
        "basis": basis,
        "granularity": granularity,
        "period_from": period_from,
        "period_to": period_to,
    }
    return await proxy_download(
        current,
        "aid_center",
        "/subsidies/claims.xlsx",
        {k: v for k, v in params.items() if v},
    )


async def _context(current: Visit, claim_id: UUID) -> dict[str, Any]:
    claim = await current.api.get("aid_center", f"/subsidy-claims/{claim_id}")
    lawyers = (await current.api.get("aid_center", "/lawyers", limit=1000))["items"]
    names = {lawyer["lawyer_id"]: lawyer for lawyer in lawyers}
    return {
        "title": "办案补贴",
        "claim": claim,
        "lawyer": names.get(claim["lawyer_id"]),
        "yuan": yuan,
        "on": today(),
    }


@router.get("/{claim_id}")
async def claim_page(claim_id: UUID, current: VisitDep) -> Response:
    current.require(STAFF)
    return current.render("aid_center/subsidy.html", **await _context(current, claim_id))


async def _refused_page(
    current: Visit, claim_id: UUID, action: str, errors: dict[str, list[str]], status: int
) -> Response:
    return current.render(
        "aid_center/subsidy.html",
        status=status,
        errors=errors,
        active_form=action,
        **await _context(current, claim_id),
    )


@router.post("/{claim_id}/approval")
async def approve(claim_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    amount = current.optional("approved_amount_fen")
    body: dict[str, Any] = {"reduction_reason": current.optional("reduction_reason")}
    if amount is not None:
        try:
            body["approved_amount_fen"] = fen(amount)
        except BadAmount:
            return await _refused_page(
                current,
                claim_id,
                "approval",
                {"approved_amount_fen": ["请填写金额（元），最多两位小数。"]},
                422,
            )
    try:
        await current.api.post("aid_center", f"/subsidy-claims/{claim_id}/approval", body)
    except ApiProblem as problem:
        if not correctable(problem):
            raise
        return await _refused_page(
            current, claim_id, "approval", field_errors(problem, FORMS["approval"]), problem.status
        )
    current.flash("已核定办案补贴。")
    return current.redirect(f"/aid-center/subsidies/{claim_id}")


@router.post("/{claim_id}/payment")
async def record_payment(claim_id: UUID, current: FormDep) -> Response:
    current.require(STAFF)
    try:
        amount = fen(current.text("amount_fen"))
    except BadAmount:
        return await _refused_page(
            current, claim_id, "payment", {"amount_fen": ["请填写金额（元），最多两位小数。"]}, 422
        )
    body = {
        "amount_fen": amount,
        "paid_on": current.text("paid_on"),
        "reference": current.text("reference"),
    }
    try:
        await current.api.post("aid_center", f"/subsidy-claims/{claim_id}/payment", body)
    except ApiProblem as problem:
        if not correctable(problem):
            raise
        return await _refused_page(
            current, claim_id, "payment", field_errors(problem, FORMS["payment"]), problem.status
        )
    current.flash("已记录发放。")
    return current.redirect(f"/aid-center/subsidies/{claim_id}")


@router.post("/{claim_id}/materials")
async def submit_materials(claim_id: UUID, current: FormDep) -> Response:
    """The closing materials, entered by staff on the lawyer's behalf."""
    current.require(STAFF)
    body = {"materials": current.lines("materials")}
    try:
        await current.api.post("aid_center", f"/subsidy-claims/{claim_id}/materials", body)
    except ApiProblem as problem:
        if not correctable(problem):
            raise
        return await _refused_page(
            current,
            claim_id,
            "materials",
            field_errors(problem, FORMS["materials"]),
            problem.status,
        )
    current.flash("已提交结案材料。")
    return current.redirect(f"/aid-center/subsidies/{claim_id}")
