"""The defense lawyer's work the procuratorate records: file review (阅卷, Measures Art. 8),
written opinions (书面辩护意见, Art. 9) and sentencing consultations (量刑协商, Art. 11)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from defense_schemas.events.common import DefenderRef
from defense_schemas.events.procuratorate import (
    FileReviewRequested,
    FileReviewScheduled,
    LawyerOpinion,
    SentencingConsultationHeld,
    WrittenOpinionReceived,
)
from defense_schemas.vocabulary import ClockKind, ClockOutcome, OpinionResponse, WitnessMode
from legal_calendar import closes_at, legal_date
from legal_calendar.deadlines import FILE_REVIEW
from procuratorate.db.repository import DueDay, review_due
from procuratorate.domain.statuses import STAGE_ENDED
from procuratorate.unit_of_work import ProcuratorateUnitOfWork
from procuratorate.workflow.common import (
    defense_lawyer,
    recorded_time,
)
from service_runtime.errors import Conflict, InvalidInput
from service_runtime.paging import PageRequest


async def acting_lawyer(uow: ProcuratorateUnitOfWork, suspect_id: UUID, *, field: str) -> Any:
    """The suspect's appointed or retained defense lawyer; 409 when there is none (a duty lawyer
    gives legal help only and does not review files, write opinions or negotiate sentences)."""
    lawyer = await defense_lawyer(uow, suspect_id)
    if lawyer is None or (lawyer.assignment_id is None and lawyer.retention_id is None):
        raise Conflict("the suspect has no appointed or retained defense lawyer", field=field)
    return lawyer


def defender_ref(lawyer: Any) -> DefenderRef:
    if lawyer.assignment_id is not None:
        return DefenderRef(name=lawyer.name, assignment_id=lawyer.assignment_id)
    return DefenderRef(name=lawyer.name, retention_id=lawyer.retention_id)


async def request_file_review(
    uow: ProcuratorateUnitOfWork,
    case_id: UUID,
    suspect_id: UUID,
    *,
    requested_at: datetime,
) -> dict[str, Any]:
    """The lawyer asks to review the files: recorded, with the Art. 8 clock (at the latest
    within 3 working days of the request)."""
    case = await uow.cases.case(case_id, lock=True)
    requested_at = recorded_time(uow, case, requested_at, field="requested_at")
    await uow.cases.suspect(case_id, suspect_id)
    if case.review_status in STAGE_ENDED:
        raise Conflict(f"the review stage has ended ({case.review_status})")
    lawyer = await acting_lawyer(uow, suspect_id, field="suspect_id")
    request_id = uuid.uuid4()
    await uow.cases.add_file_review(
        request_id=request_id,
        case_id=case_id,
        suspect_id=suspect_id,
        defender_name=lawyer.name,
        requested_at=requested_at,
    )
    due = await uow.cases.start_clock(
        case_id=case_id,
        suspect_id=suspect_id,
        kind=ClockKind.FILE_REVIEW,
        started_at=requested_at,
        period=FILE_REVIEW.period,
        subject=str(request_id),
    )
    await uow.emit(
        FileReviewRequested(
            request_id=request_id,
            suspect_id=suspect_id,
            defender=defender_ref(lawyer),
            requested_at=requested_at,
        ),
        case_id=case_id,
        suspect_id=suspect_id,
    )
    return {
        "request_id": request_id,
        "suspect_id": suspect_id,
        "defender_name": lawyer.name,
        "requested_at": requested_at,
        "latest_review_date": due,
    }


async def schedule_file_review(
    uow: ProcuratorateUnitOfWork,
    case_id: UUID,
    request_id: UUID,
    *,
    scheduled_at: datetime,
    review_starts_at: datetime | None,
    location: str,
    delay_explanation: str | None,
) -> dict[str, Any]:
    """Arrange the review (Art. 8): at once, or — explaining why — on a day within 3 working
    days of the request. A later day is refused (400) rather than recorded as a breach."""
    await uow.cases.case(case_id, lock=True)
    request = await uow.cases.file_review(case_id, request_id)
    if request.scheduled_at is not None:
        raise Conflict(f"file review {request_id} is already arranged")
    starts_at = review_starts_at or scheduled_at
    if starts_at < request.requested_at:
        raise InvalidInput(
            "the review cannot start before it was requested", field="review_starts_at"
        )
    clock = await uow.cases.clock(ClockKind.FILE_REVIEW, subject=str(request_id))
    assert clock is not None  # opened with the request, in its transaction
    prompt = legal_date(starts_at) == legal_date(request.requested_at)
    if not prompt and not (delay_explanation and delay_explanation.strip()):
        raise InvalidInput(
            "a review not arranged at once needs the reason it could not be (Measures Art. 8)",
            field="delay_explanation",
        )
    if starts_at >= clock.closes_at:
        raise InvalidInput(
            f"the review must take place within 3 working days of the request, by "
            f"{clock.due_on.isoformat()} (Measures Art. 8)",
            field="review_starts_at",
        )
    explanation = None if prompt else delay_explanation
    await uow.cases.update_file_review(
        request_id,
        scheduled_at=scheduled_at,
        review_starts_at=starts_at,
        location=location,
        delay_explanation=explanation,
    )
    # The duty is the review itself taking place in time: the clock is met at its start.
    await uow.cases.settle_clocks(
        kind=ClockKind.FILE_REVIEW,
        subject=str(request_id),
        case_id=case_id,
        at=starts_at,
    )
    await uow.emit(
        FileReviewScheduled(
            request_id=request_id,
            suspect_id=request.suspect_id,
            scheduled_at=scheduled_at,
            review_starts_at=starts_at,
            location=location,
            delay_explanation=explanation,
        ),
        case_id=case_id,
        suspect_id=request.suspect_id,
    )
    return {
        "request_id": request_id,
        "review_starts_at": starts_at,
        "location": location,
        "prompt": prompt,
        "delay_explanation": explanation,
        "latest_review_date": DueDay(clock.due_on, tuple(clock.missing_years)),
    }


async def list_file_reviews(
    uow: ProcuratorateUnitOfWork, case_id: UUID, page: PageRequest | None = None
) -> list[dict[str, Any]]:
    """The case's file review requests and arrangements, each with its latest day (Art. 8);
    one page of them, by (requested_at, request_id), when ``page`` is given."""
    await uow.cases.case(case_id)
    return await uow.cases.file_reviews_of(case_id, page)


async def receive_written_opinion(
    uow: ProcuratorateUnitOfWork,
    case_id: UUID,
    suspect_id: UUID,
    *,
    received_at: datetime,
    covers_plea_matters: bool,
    copy_filed: bool,
) -> dict[str, Any]:
    """Record the lawyer's written opinion against the review deadline (Art. 9). While the case
    is returned for supplementary investigation no period runs, so it is in time; after the
    decision that ended the stage it is refused."""
    case = await uow.cases.case(case_id, lock=True)
    received_at = recorded_time(uow, case, received_at, field="received_at")
    suspect = await uow.cases.suspect(case_id, suspect_id)
    lawyer = await acting_lawyer(uow, suspect_id, field="suspect_id")
    if case.review_status in STAGE_ENDED:
        ended_at = await uow.cases.last_decided_at(case_id)
        if ended_at is None or received_at >= ended_at:
            raise Conflict(
                f"the review stage ended ({case.review_status}) before the opinion was received",
                field="received_at",
            )
    deadline = case.review_deadline
    on_time = deadline is None or received_at < closes_at(deadline)
    opinion_id = uuid.uuid4()
    await uow.cases.add_written_opinion(
        opinion_id=opinion_id,
        case_id=case_id,
        suspect_id=suspect_id,
        defender_name=lawyer.name,
        assignment_id=lawyer.assignment_id,
        retention_id=lawyer.retention_id,
        received_at=received_at,
        review_deadline=deadline,
        on_time=on_time,
        covers_plea_matters=covers_plea_matters,
        copy_filed=copy_filed,
    )
    if deadline is not None:
        # The Art. 9 clock, settled as it is recorded, so the ledger and the on-time rate see it.
        await uow.cases.add_clocks(
            [
                {
                    "clock_id": uuid.uuid4(),
                    "case_id": case_id,
                    "suspect_id": suspect_id,
                    "kind": ClockKind.WRITTEN_OPINION.value,
                    "subject": str(opinion_id),
                    "trigger_on": legal_date(case.received_at),
                    "due_on": deadline,
                    "closes_at": closes_at(deadline),
                    "provisional": case.review_deadline_provisional,
                    "missing_years": list(case.review_deadline_missing_years),
                    "met_at": received_at,
                    "outcome": (ClockOutcome.MET if on_time else ClockOutcome.MET_LATE).value,
                }
            ]
        )
    await uow.emit(
        WrittenOpinionReceived(
            opinion_id=opinion_id,
            suspect_id=suspect_id,
            defender=defender_ref(lawyer),
            received_at=received_at,
            covers_plea_matters=covers_plea_matters,
            copy_filed=copy_filed,
        ),
        case_id=case_id,
        suspect_id=suspect_id,
    )
    warnings = []
    facts = uow.cases.facts(suspect)
    if facts.pleads_guilty and not covers_plea_matters:
        warnings.append("in a plea case the opinion should address the matters of CPL Art. 173(2)")
    if not copy_filed:
        warnings.append("a copy of the opinion is to be placed in the case file (Art. 9)")
    return {
        "opinion_id": opinion_id,
        "defender_name": lawyer.name,
        "received_at": received_at,
        "review_deadline": review_due(case),
        "on_time": on_time,
        "warnings": warnings,
    }


async def hold_sentencing_consultation(
    uow: ProcuratorateUnitOfWork,
    case_id: UUID,
    suspect_id: UUID,
    *,
    held_at: datetime,
    recommendation: str,
    opinions: tuple[LawyerOpinion, ...],
    recording_ref: str,
    lawyer_attendance: WitnessMode,
) -> UUID:
    """A plea case's sentencing consultation with the defense lawyer, each opinion answered,
    recorded on audio-video (Art. 11). Only with an appointed or retained lawyer."""
    case = await uow.cases.case(case_id, lock=True)
    held_at = recorded_time(uow, case, held_at, field="held_at")
    suspect = await uow.cases.suspect(case_id, suspect_id)
    if case.review_status in STAGE_ENDED:
        raise Conflict(f"the review stage has ended ({case.review_status})")
    facts = uow.cases.facts(suspect)
    if not facts.pleads_guilty:
        raise Conflict(
            "the suspect does not admit guilt and accept punishment (认罪认罚): there is no "
            "sentencing consultation",
            field="suspect_id",
        )
    lawyer = await acting_lawyer(uow, suspect_id, field="suspect_id")
    for index, opinion in enumerate(opinions):
        if opinion.response is OpinionResponse.EXPLAINED and not (
            opinion.explanation and opinion.explanation.strip()
        ):
            raise InvalidInput(
                "an opinion not adopted must be answered with an explanation (Art. 11)",
                field=f"opinions.{index}.explanation",
            )
    consultation_id = uuid.uuid4()
    await uow.emit(
        SentencingConsultationHeld(
            consultation_id=consultation_id,
            suspect_id=suspect_id,
            defender=defender_ref(lawyer),
            held_at=held_at,
            recommendation=recommendation,
            opinions=opinions,
            recording_ref=recording_ref,
            lawyer_attendance=lawyer_attendance,
        ),
        case_id=case_id,
        suspect_id=suspect_id,
    )
    return consultation_id
