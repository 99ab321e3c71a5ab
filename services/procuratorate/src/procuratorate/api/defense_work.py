"""The defense lawyer's work at the review stage: file review requests and their arrangement
(阅卷, Measures Art. 8), written opinions (书面辩护意见, Art. 9), sentencing consultations in plea
cases (量刑协商, Art. 11)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from defense_schemas.events.procuratorate import LawyerOpinion
from defense_schemas.fields import Note, Place, Reference
from defense_schemas.vocabulary import WitnessMode
from procuratorate.api import examples as x
from procuratorate.api.access import IN_CALLERS_UNIT, STAFF, UnitOfWorkDep
from procuratorate.api.examples import examples
from procuratorate.api.views import DeadlineView
from procuratorate.workflow import defense_work
from service_runtime.api_types import ApiDatetime
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES
from service_runtime.paging import Page, Paging

router = APIRouter(
    prefix="/cases/{case_id}",
    tags=["defense work"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    # Staff only, and only for a case of their own unit (another unit\'s case is a 404).
    dependencies=[STAFF, IN_CALLERS_UNIT],
)


class FileReviewRequestIn(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.FILE_REVIEW_REQUEST_IN))

    requested_at: ApiDatetime | None = Field(None, description="When asked; now when absent.")


class FileReviewRequestOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.FILE_REVIEW_REQUEST_OUT))

    request_id: UUID
    suspect_id: UUID
    defender_name: str
    requested_at: datetime
    latest_review_date: DeadlineView = Field(
        description="The review takes place at the latest on this day (3 working days, Art. 8)."
    )


@router.post(
    "/suspects/{suspect_id}/file-review-requests",
    summary="The defense lawyer asks to review the case files (阅卷, Art. 8)",
    status_code=status.HTTP_201_CREATED,
)
async def post_file_review_request(
    case_id: UUID,
    suspect_id: UUID,
    body: FileReviewRequestIn,
    uow: UnitOfWorkDep,
) -> FileReviewRequestOut:
    result = await defense_work.request_file_review(
        uow, case_id, suspect_id, requested_at=body.requested_at or uow.now()
    )
    return FileReviewRequestOut(**result)


class SchedulingIn(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.SCHEDULING_IN))

    location: Place = Field(description="Where, or the electronic file-review channel.")
    review_starts_at: ApiDatetime | None = Field(
        None, description="When the review starts; absent: at once (the arrangement's time)."
    )
    delay_explanation: Note | None = Field(
        None, description="Required when the review is not on the day of the request."
    )
    scheduled_at: ApiDatetime | None = Field(None, description="The arrangement; now if absent.")


class SchedulingOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.SCHEDULING_OUT))

    request_id: UUID
    review_starts_at: datetime
    location: str
    prompt: bool = Field(description="Arranged on the day of the request.")
    delay_explanation: str | None
    latest_review_date: DeadlineView


@router.post(
    "/file-review-requests/{request_id}/scheduling",
    summary="Arrange the file review: at once, or within 3 working days with the reason "
    "(Art. 8); a later day is 400",
)
async def post_file_review_scheduling(
    case_id: UUID, request_id: UUID, body: SchedulingIn, uow: UnitOfWorkDep
) -> SchedulingOut:
    result = await defense_work.schedule_file_review(
        uow,
        case_id,
        request_id,
        scheduled_at=body.scheduled_at or uow.now(),
        review_starts_at=body.review_starts_at,
        location=body.location,
        delay_explanation=body.delay_explanation,
    )
    return SchedulingOut(**result)


class FileReviewView(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.FILE_REVIEW_VIEW))

    request_id: UUID
    suspect_id: UUID
    defender_name: str
    requested_at: datetime
    latest_review_date: DeadlineView
    scheduled_at: datetime | None
    review_starts_at: datetime | None
    location: str | None
    delay_explanation: str | None


@router.get(
    "/file-review-requests",
    summary="The case's file review requests and arrangements, by request time",
)
async def get_file_reviews(
    case_id: UUID, uow: UnitOfWorkDep, paging: Paging
) -> Page[FileReviewView]:
    rows = await defense_work.list_file_reviews(uow, case_id, paging)
    return paging.page([FileReviewView.model_validate(row) for row in rows])


class WrittenOpinionIn(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.WRITTEN_OPINION_IN))

    received_at: ApiDatetime | None = Field(None, description="When received; now if absent.")
    covers_plea_matters: bool = Field(
        False, description="In a plea case, it addresses the matters of CPL Art. 173(2)."
    )
    copy_filed: bool = Field(True, description="A copy was placed in the case file (副本附卷).")


class WrittenOpinionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.WRITTEN_OPINION_OUT))

    opinion_id: UUID
    defender_name: str
    received_at: datetime
    review_deadline: DeadlineView | None = Field(
        description="The review period's last day then; null while returned for supplementary "
        "investigation (no period running)."
    )
    on_time: bool = Field(description="Received before the review period ended (Art. 9).")
    warnings: list[str]


@router.post(
    "/suspects/{suspect_id}/written-opinions",
    summary="Record the defense lawyer's written opinion against the review deadline (Art. 9)",
    status_code=status.HTTP_201_CREATED,
)
async def post_written_opinion(
    case_id: UUID,
    suspect_id: UUID,
    body: WrittenOpinionIn,
    uow: UnitOfWorkDep,
) -> WrittenOpinionOut:
    result = await defense_work.receive_written_opinion(
        uow,
        case_id,
        suspect_id,
        received_at=body.received_at or uow.now(),
        covers_plea_matters=body.covers_plea_matters,
        copy_filed=body.copy_filed,
    )
    return WrittenOpinionOut(**result)


class ConsultationIn(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.CONSULTATION_IN))

    recommendation: Note = Field(description="The sentencing recommendation reached (量刑建议).")
    recording_ref: Reference = Field(description="The audio-video recording (同步录音录像).")
    lawyer_attendance: WitnessMode = Field(
        description="The lawyer took part on site (in_person) or remotely (remote_video)."
    )
    opinions: list[LawyerOpinion] = Field(
        default_factory=list, description="Each opinion of the lawyer and how it was answered."
    )
    held_at: ApiDatetime | None = Field(None, description="When held; now if absent.")


class ConsultationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.CONSULTATION_OUT))

    consultation_id: UUID


@router.post(
    "/suspects/{suspect_id}/sentencing-consultations",
    summary="Record a sentencing consultation with the defense lawyer (Art. 11); 409 without "
    "an appointed or retained lawyer",
    status_code=status.HTTP_201_CREATED,
)
async def post_sentencing_consultation(
    case_id: UUID,
    suspect_id: UUID,
    body: ConsultationIn,
    uow: UnitOfWorkDep,
) -> ConsultationOut:
    consultation_id = await defense_work.hold_sentencing_consultation(
        uow,
        case_id,
        suspect_id,
        held_at=body.held_at or uow.now(),
        recommendation=body.recommendation,
        opinions=tuple(body.opinions),
        recording_ref=body.recording_ref,
        lawyer_attendance=body.lawyer_attendance,
    )
    return ConsultationOut(consultation_id=consultation_id)
