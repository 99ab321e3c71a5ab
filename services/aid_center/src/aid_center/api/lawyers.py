"""Lawyers on the roster, their leave, and the previous stage's lawyer (continuity).

A lawyer's caseload is never stored: ``active_cases`` counts their live assignments.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError

from aid_center.api.access import STAFF
from aid_center.db.tables import (
    assignments,
    law_firms,
    lawyer_leaves,
    lawyers,
    previous_stage_lawyers,
)
from aid_center.domain.commands import CancelLeave, RecordLeave, SetPreviousStageLawyer
from aid_center.domain.status import AssignmentStatus
from aid_center.unit_of_work import UnitOfWorkDep
from aid_center.use_cases.roster import cancel_leave as cancel_lawyers_leave
from aid_center.use_cases.roster import record_leave
from aid_center.use_cases.roster import set_previous_stage_lawyer as record_previous_stage_lawyer
from defense_schemas.vocabulary import Gender
from legal_calendar import legal_date
from service_runtime.api_types import ApiDate
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES, Conflict, InvalidInput, NotFound
from service_runtime.etags import PRECONDITION_RESPONSES, IfMatch, tag
from service_runtime.paging import Page, PageRequest, Paging

router = APIRouter(
    tags=["roster"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    dependencies=[STAFF],
)

Tag = Annotated[str, Field(min_length=1, max_length=50)]


class LawyerIn(BaseModel):
    firm_id: UUID = Field(description="The lawyer's law firm (所属单位).")
    name: str = Field(min_length=1, max_length=100)
    license_number: str = Field(
        min_length=1, max_length=100, description="Practising certificate number (执业证号)."
    )
    contact: str = Field(min_length=1, max_length=200, description="Phone or e-mail.")
    gender: Gender
    criminal_practice_years: int = Field(
        ge=0,
        le=70,
        description="Years of criminal practice (LAL Art. 26 needs 3+ for a "
        "possible life or death sentence).",
    )
    specialties: list[Tag] = Field(
        default_factory=list, description="E.g. `juvenile` (熟悉未成年人案件, Measures Art. 12)."
    )
    districts: list[Tag] = Field(
        default_factory=list, description="Districts served; empty serves every district."
    )
    languages: list[Tag] = Field(default_factory=list, description="Languages or dialects.")
    max_concurrent_cases: int = Field(
        ge=1, le=100, description="Most legal-aid cases held at once."
    )
    active: bool = Field(default=True, description="Taking legal-aid cases.")


class LawyerUpdate(BaseModel):
    """Fields to change; omitted ones stay."""

    contact: str | None = Field(default=None, min_length=1, max_length=200)
    criminal_practice_years: int | None = Field(default=None, ge=0, le=70)
    specialties: list[Tag] | None = None
    districts: list[Tag] | None = None
    languages: list[Tag] | None = None
    max_concurrent_cases: int | None = Field(default=None, ge=1, le=100)
    active: bool | None = None


class LeaveIn(BaseModel):
    starts_on: ApiDate
    ends_on: ApiDate
    reason: str | None = Field(default=None, min_length=1, max_length=500)


class LeaveOut(LeaveIn):
    leave_id: UUID
    lawyer_id: UUID


class LawyerOut(LawyerIn):
    lawyer_id: UUID
    firm_name: str
    active_cases: int = Field(description="Live legal-aid assignments (derived).")
    on_leave_today: bool
    leaves: list[LeaveOut]
    created_at: datetime


class PreviousStageLawyerIn(BaseModel):
    lawyer_id: UUID = Field(description="The lawyer the center appointed in the previous stage.")
    note: str | None = Field(default=None, min_length=1, max_length=500)


class PreviousStageLawyerOut(PreviousStageLawyerIn):
    suspect_id: UUID


async def _lawyer_out(
    uow: UnitOfWorkDep,
    lawyer_ids: list[UUID] | None = None,
    *,
    firm_id: UUID | None = None,
    page: PageRequest | None = None,
) -> list[LawyerOut]:
    active_cases = (
        sa.select(sa.func.count())
        .where(
            assignments.c.lawyer_id == lawyers.c.lawyer_id,
            assignments.c.status == AssignmentStatus.ACTIVE,
        )
        .scalar_subquery()
    )
    query = sa.select(
        lawyers, law_firms.c.name.label("firm_name"), active_cases.label("active_cases")
    ).join(law_firms, law_firms.c.firm_id == lawyers.c.firm_id)
    if lawyer_ids is not None:
        query = query.where(lawyers.c.lawyer_id.in_(lawyer_ids))
    if firm_id is not None:
        query = query.where(lawyers.c.firm_id == firm_id)
    order = [lawyers.c.license_number, lawyers.c.lawyer_id]
    if page is None:
        found = (await uow.session.execute(query.order_by(*order))).all()
    else:
        found = await page.fetch(uow.session, query, order)
    rows = [row._mapping for row in found]
    leaves_rows = (
        await uow.session.execute(
            sa.select(lawyer_leaves)
            .where(lawyer_leaves.c.lawyer_id.in_([r["lawyer_id"] for r in rows]))
            .order_by(lawyer_leaves.c.starts_on)
        )
    ).mappings()
    leaves: dict[UUID, list[LeaveOut]] = {}
    for leave in leaves_rows:
        leaves.setdefault(leave["lawyer_id"], []).append(LeaveOut.model_validate(dict(leave)))
    today = legal_date(uow.now())
    return [
        LawyerOut.model_validate(
            {
                **row,
                "leaves": leaves.get(row["lawyer_id"], []),
                "on_leave_today": any(
                    lv.starts_on <= today <= lv.ends_on for lv in leaves.get(row["lawyer_id"], [])
                ),
            }
        )
        for row in rows
    ]


async def _one(uow: UnitOfWorkDep, lawyer_id: UUID) -> LawyerOut:
    found = await _lawyer_out(uow, [lawyer_id])
    if not found:
        raise NotFound("lawyer", lawyer_id)
    return found[0]


@router.post("/lawyers", status_code=201, response_model=LawyerOut, summary="Add a lawyer")
async def add_lawyer(body: LawyerIn, uow: UnitOfWorkDep) -> LawyerOut:
    if (
        await uow.session.scalar(
            sa.select(law_firms.c.firm_id).where(law_firms.c.firm_id == body.firm_id)
        )
        is None
    ):
        raise InvalidInput(f"firm {body.firm_id} is not on the roster", field="firm_id")
    lawyer_id = uuid.uuid4()
    values = body.model_dump(mode="json")
    values["firm_id"] = body.firm_id
    try:
        async with uow.session.begin_nested():
            await uow.session.execute(sa.insert(lawyers).values(lawyer_id=lawyer_id, **values))
    except IntegrityError as error:
        raise Conflict(
            f"licence number {body.license_number} is already on the roster",
            field="license_number",
        ) from error
    return await _one(uow, lawyer_id)


@router.get(
    "/lawyers",
    response_model=Page[LawyerOut],
    summary="List lawyers with caseload, by licence number (license_number, lawyer_id)",
)
async def list_lawyers(
    uow: UnitOfWorkDep, paging: Paging, firm_id: Annotated[UUID | None, Query()] = None
) -> Page[LawyerOut]:
    return paging.page(await _lawyer_out(uow, firm_id=firm_id, page=paging))


@router.get("/lawyers/{lawyer_id}", response_model=LawyerOut, summary="One lawyer (with its ETag)")
async def get_lawyer(lawyer_id: UUID, uow: UnitOfWorkDep, response: Response) -> LawyerOut:
    found = await _one(uow, lawyer_id)
    tag(response, found)
    return found


@router.patch(
    "/lawyers/{lawyer_id}",
    response_model=LawyerOut,
    summary="Update a lawyer (If-Match: its ETag, optional)",
    responses=PRECONDITION_RESPONSES,
)
async def update_lawyer(
    lawyer_id: UUID, body: LawyerUpdate, uow: UnitOfWorkDep, preconditions: IfMatch
) -> LawyerOut:
    # Locked before it is compared: a concurrent writer waits, then finds its If-Match stale.
    await uow.session.execute(
        sa.select(lawyers.c.lawyer_id).where(lawyers.c.lawyer_id == lawyer_id).with_for_update()
    )
    preconditions.check(await _one(uow, lawyer_id))
    values = body.model_dump(exclude_unset=True, exclude_none=True)
    if values:
        await uow.session.execute(
            sa.update(lawyers).where(lawyers.c.lawyer_id == lawyer_id).values(**values)
        )
    updated = await _one(uow, lawyer_id)
    preconditions.tag(updated)
    return updated


@router.post(
    "/lawyers/{lawyer_id}/leaves",
    status_code=201,
    response_model=LeaveOut,
    summary="Record a leave period (no assignments while on it)",
)
async def add_leave(lawyer_id: UUID, body: LeaveIn, uow: UnitOfWorkDep) -> LeaveOut:
    leave_id = await record_leave(uow, RecordLeave(lawyer_id=lawyer_id, **body.model_dump()))
    return LeaveOut(leave_id=leave_id, lawyer_id=lawyer_id, **body.model_dump())


@router.delete(
    "/lawyers/{lawyer_id}/leaves/{leave_id}", status_code=204, summary="Cancel a leave period"
)
async def cancel_leave(lawyer_id: UUID, leave_id: UUID, uow: UnitOfWorkDep) -> Response:
    await cancel_lawyers_leave(uow, CancelLeave(lawyer_id=lawyer_id, leave_id=leave_id))
    return Response(status_code=204)


async def _previous_stage_lawyer(
    uow: UnitOfWorkDep, suspect_id: UUID, *, lock: bool = False
) -> PreviousStageLawyerOut | None:
    query = sa.select(previous_stage_lawyers).where(
        previous_stage_lawyers.c.suspect_id == suspect_id
    )
    row = (await uow.session.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        return None
    return PreviousStageLawyerOut(suspect_id=suspect_id, lawyer_id=row.lawyer_id, note=row.note)


@router.get(
    "/suspects/{suspect_id}/previous-stage-lawyer",
    response_model=PreviousStageLawyerOut,
    summary="The lawyer recorded for the suspect's previous stage (with its ETag)",
    description="Whom the engine prefers for continuity (Art. 13); 404 when none is recorded. "
    "Its `ETag` guards a replacement (`If-Match` on the `PUT`).",
)
async def get_previous_stage_lawyer(
    suspect_id: UUID, uow: UnitOfWorkDep, response: Response
) -> PreviousStageLawyerOut:
    found = await _previous_stage_lawyer(uow, suspect_id)
    if found is None:
        raise NotFound("previous-stage lawyer of suspect", suspect_id)
    tag(response, found)
    return found


@router.put(
    "/suspects/{suspect_id}/previous-stage-lawyer",
    response_model=PreviousStageLawyerOut,
    summary="Record the lawyer the center appointed in the previous stage (continuity, Art. 13)",
    responses=PRECONDITION_RESPONSES,
)
async def set_previous_stage_lawyer(
    suspect_id: UUID, body: PreviousStageLawyerIn, uow: UnitOfWorkDep, preconditions: IfMatch
) -> PreviousStageLawyerOut:
    preconditions.check(await _previous_stage_lawyer(uow, suspect_id, lock=True))
    await record_previous_stage_lawyer(
        uow,
        SetPreviousStageLawyer(suspect_id=suspect_id, lawyer_id=body.lawyer_id, note=body.note),
    )
    stored = PreviousStageLawyerOut(suspect_id=suspect_id, lawyer_id=body.lawyer_id, note=body.note)
    preconditions.tag(stored)
    return stored
