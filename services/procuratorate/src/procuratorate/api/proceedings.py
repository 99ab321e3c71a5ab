"""Procedural steps of the review stage over REST: procedural decisions (Measures Art. 10,
CPL Art. 172, 175), the expedited procedure (Art. 7) and the plea agreement's witness (Art. 11).
The rules are in ``workflow.proceedings``."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from defense_schemas.fields import Note, OrgName, PersonName, Reference
from defense_schemas.vocabulary import ProceduralDecisionKind, WitnessMode, WitnessRole
from procuratorate.api import examples as x
from procuratorate.api.access import IN_CALLERS_UNIT, STAFF, UnitOfWorkDep
from procuratorate.api.examples import examples
from procuratorate.api.views import DeadlineView, review_deadline_view
from procuratorate.domain.commands import DecideProcedure
from procuratorate.workflow import proceedings
from service_runtime.api_types import ApiDatetime
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES

router = APIRouter(
    prefix="/cases/{case_id}",
    tags=["proceedings"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    # Staff only, and only for a case of their own unit (another unit\'s case is a 404).
    dependencies=[STAFF, IN_CALLERS_UNIT],
)


class DecisionIn(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.PROCEDURAL_DECISION_IN))

    kind: ProceduralDecisionKind
    suspect_ids: list[UUID] | None = Field(None, description="Default: every suspect.")
    decided_at: ApiDatetime | None = None
    document_number: Reference | None = None
    receiving_unit: OrgName | None = Field(None, description="For a jurisdiction change only.")
    court: OrgName | None = Field(
        None, description="For an indictment only: the court the case is handed over to."
    )
    note: Note | None = None


class DecisionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.PROCEDURAL_DECISION_OUT))

    decision_id: UUID
    review_status: str
    review_deadline: DeadlineView | None
    supplementary_investigation_round: int | None


@router.post(
    "/procedural-decisions",
    summary="Make a procedural decision; it moves the review deadline (Art. 10, CPL 172/175); "
    "an indictment (court required) hands each suspect over with its defender",
)
async def post_procedural_decision(
    case_id: UUID, body: DecisionIn, uow: UnitOfWorkDep
) -> DecisionOut:
    decided = await proceedings.decide_procedure(
        uow,
        DecideProcedure(
            case_id=case_id,
            kind=body.kind,
            suspect_ids=tuple(body.suspect_ids) if body.suspect_ids is not None else None,
            decided_at=body.decided_at,
            document_number=body.document_number,
            receiving_unit=body.receiving_unit,
            court=body.court,
            note=body.note,
        ),
    )
    return DecisionOut(
        decision_id=decided.decision_id,
        review_status=decided.review_status,
        review_deadline=review_deadline_view(decided.case),
        supplementary_investigation_round=decided.supplementary_investigation_round,
    )


class ExpeditedIn(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.EXPEDITED_IN))

    suspect_ids: list[UUID] = Field(min_length=1)
    decided_at: ApiDatetime | None = None


class ExpeditedOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.EXPEDITED_OUT))

    review_deadline: DeadlineView


@router.post(
    "/expedited-procedure",
    summary="Apply the expedited procedure (速裁) in a plea case; 10 or 15 days from receipt; "
    "409 where CPL Art. 222-223 exclude it",
)
async def post_expedited(case_id: UUID, body: ExpeditedIn, uow: UnitOfWorkDep) -> ExpeditedOut:
    due = await proceedings.apply_expedited(
        uow, case_id, suspect_ids=body.suspect_ids, at=body.decided_at or uow.now()
    )
    return ExpeditedOut(review_deadline=DeadlineView.model_validate(due))


class WitnessIn(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.WITNESS_IN))

    witness_role: WitnessRole
    witness_name: PersonName
    lawyer_id: UUID | None = None
    mode: WitnessMode = WitnessMode.IN_PERSON
    witnessed_at: ApiDatetime | None = None


@router.post(
    "/suspects/{suspect_id}/plea-agreements",
    summary="Record the plea agreement's witness; a duty lawyer is refused (409) where the "
    "suspect has a defense lawyer (Art. 11)",
    status_code=201,
)
async def post_plea_witness(
    case_id: UUID, suspect_id: UUID, body: WitnessIn, uow: UnitOfWorkDep
) -> None:
    await proceedings.witness_plea(
        uow,
        case_id,
        suspect_id,
        witness_role=body.witness_role,
        witness_name=body.witness_name,
        lawyer_id=body.lawyer_id,
        mode=body.mode,
        at=body.witnessed_at or uow.now(),
    )
