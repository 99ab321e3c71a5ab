"""Lawyers on the roster, their leave, and the previous stage's lawyer (continuity).

A lawyer's caseload is never stored: ``active_cases`` counts their live assignments.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from aid_center.api.access import STAFF
from aid_center.domain.commands import (
    AddLawyer,
    CancelLeave,
    RecordLeave,
    SetPreviousStageLawyer,
    UpdateLawyer,
)
from aid_center.unit_of_work import UnitOfWorkDep
from aid_center.use_cases import roster
from defense_schemas.vocabulary import Gender
from service_runtime.api_types import ApiDate
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES, NotFound
from service_runtime.etags import PRECONDITION_RESPONSES, IfMatch, tag
from service_runtime.paging import Page, Paging

router = APIRouter(
    tags=["roster"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    dependencies=[STAFF],
)

Tag = Annotated[str, Field(min_length=1, max_length=50)]

_LAWYER: JsonDict = {
    "firm_id": "5b0e7c3e-2f0a-4d47-9d0e-6f1f3b1c2a01",
    "name": "王丽华",
    "license_number": "11201201510123456",
    "contact": "13820001234",
    "gender": "female",
    "criminal_practice_years": 9,
    "specialties": ["juvenile"],
    "districts": ["河东区"],
    "languages": ["普通话", "天津话"],
    "max_concurrent_cases": 8,
    "active": True,
}
_LEAVE: JsonDict = {"starts_on": "2026-04-13", "ends_on": "2026-04-17", "reason": "年休假"}
_LAWYER_ID = "8d7f2a51-6c3b-4e0a-b1d2-3c4e5f607182"
_LEAVE_OUT: JsonDict = {
    **_LEAVE,
    "leave_id": "c2a1b3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    "lawyer_id": _LAWYER_ID,
}
_PREVIOUS_STAGE: JsonDict = {"lawyer_id": _LAWYER_ID, "note": "侦查阶段由其担任辩护人"}


class LawyerIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_LAWYER]})

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

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "contact": "13820005678",
                    "criminal_practice_years": 10,
                    "specialties": ["juvenile"],
                    "districts": ["河东区", "河北区"],
                    "languages": ["普通话", "天津话"],
                    "max_concurrent_cases": 10,
                    "active": True,
                }
            ]
        }
    )

    contact: str | None = Field(default=None, min_length=1, max_length=200)
    criminal_practice_years: int | None = Field(default=None, ge=0, le=70)
    specialties: list[Tag] | None = None
    districts: list[Tag] | None = None
    languages: list[Tag] | None = None
    max_concurrent_cases: int | None = Field(default=None, ge=1, le=100)
    active: bool | None = None


class LeaveIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_LEAVE]})

    starts_on: ApiDate
    ends_on: ApiDate
    reason: str | None = Field(default=None, min_length=1, max_length=500)


class LeaveOut(LeaveIn):
    model_config = ConfigDict(json_schema_extra={"examples": [_LEAVE_OUT]})

    leave_id: UUID
    lawyer_id: UUID


class LawyerOut(LawyerIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_LAWYER,
                    "lawyer_id": _LAWYER_ID,
                    "firm_name": "天津津河律师事务所",
                    "active_cases": 3,
                    "on_leave_today": False,
                    "leaves": [_LEAVE_OUT],
                    "created_at": "2026-03-02T09:20:00+08:00",
                }
            ]
        }
    )

    lawyer_id: UUID
    firm_name: str
    active_cases: int = Field(description="Live legal-aid assignments (derived).")
    on_leave_today: bool
    leaves: list[LeaveOut]
    created_at: datetime


class PreviousStageLawyerIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_PREVIOUS_STAGE]})

    lawyer_id: UUID = Field(description="The lawyer the center appointed in the previous stage.")
    note: str | None = Field(default=None, min_length=1, max_length=500)


class PreviousStageLawyerOut(PreviousStageLawyerIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{**_PREVIOUS_STAGE, "suspect_id": "3f9a6e21-7b4c-4d5e-8f60-718293a4b5c6"}]
        }
    )

    suspect_id: UUID


def _lawyer(row: dict[str, Any]) -> LawyerOut:
    return LawyerOut.model_validate(row)


@router.post("/lawyers", status_code=201, response_model=LawyerOut, summary="Add a lawyer")
async def add_lawyer(body: LawyerIn, uow: UnitOfWorkDep) -> LawyerOut:
    command = AddLawyer(
        **body.model_dump(exclude={"specialties", "districts", "languages"}),
        specialties=tuple(body.specialties),
        districts=tuple(body.districts),
        languages=tuple(body.languages),
    )
    return _lawyer(await roster.add_lawyer(uow, command))


@router.get(
    "/lawyers",
    response_model=Page[LawyerOut],
    summary="List lawyers with caseload, by licence number (license_number, lawyer_id)",
)
async def list_lawyers(
    uow: UnitOfWorkDep, paging: Paging, firm_id: Annotated[UUID | None, Query()] = None
) -> Page[LawyerOut]:
    return paging.page(
        [_lawyer(row) for row in await roster.lawyers(uow, firm_id=firm_id, page=paging)]
    )


@router.get("/lawyers/{lawyer_id}", response_model=LawyerOut, summary="One lawyer (with its ETag)")
async def get_lawyer(lawyer_id: UUID, uow: UnitOfWorkDep, response: Response) -> LawyerOut:
    found = _lawyer(await roster.lawyer(uow, lawyer_id))
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
    preconditions.check(_lawyer(await roster.lawyer(uow, lawyer_id, lock=True)))
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    updated = _lawyer(await roster.update_lawyer(uow, UpdateLawyer(lawyer_id, changes)))
    preconditions.tag(updated)
    return updated


@router.post(
    "/lawyers/{lawyer_id}/leaves",
    status_code=201,
    response_model=LeaveOut,
    summary="Record a leave period (no assignments while on it)",
)
async def add_leave(lawyer_id: UUID, body: LeaveIn, uow: UnitOfWorkDep) -> LeaveOut:
    leave_id = await roster.record_leave(uow, RecordLeave(lawyer_id=lawyer_id, **body.model_dump()))
    return LeaveOut(leave_id=leave_id, lawyer_id=lawyer_id, **body.model_dump())


@router.delete(
    "/lawyers/{lawyer_id}/leaves/{leave_id}", status_code=204, summary="Cancel a leave period"
)
async def cancel_leave(lawyer_id: UUID, leave_id: UUID, uow: UnitOfWorkDep) -> Response:
    await roster.cancel_leave(uow, CancelLeave(lawyer_id=lawyer_id, leave_id=leave_id))
    return Response(status_code=204)


async def _previous_stage_lawyer(
    uow: UnitOfWorkDep, suspect_id: UUID, *, lock: bool = False
) -> PreviousStageLawyerOut | None:
    found = await roster.previous_stage_lawyer(uow, suspect_id, lock=lock)
    if found is None:
        return None
    return PreviousStageLawyerOut(suspect_id=suspect_id, **found)


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
    await roster.set_previous_stage_lawyer(
        uow,
        SetPreviousStageLawyer(suspect_id=suspect_id, lawyer_id=body.lawyer_id, note=body.note),
    )
    stored = PreviousStageLawyerOut(suspect_id=suspect_id, lawyer_id=body.lawyer_id, note=body.note)
    preconditions.tag(stored)
    return stored
