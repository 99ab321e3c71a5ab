"""Procedural steps of the review stage: procedural decisions that move the review deadline
(Measures Art. 10, CPL Art. 172, 175), the expedited procedure (Art. 7) and the plea
agreement's witness (Art. 11)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from defense_schemas import Envelope
from defense_schemas.events.common import SuspectParticulars
from defense_schemas.events.procuratorate import (
    ExpeditedProcedureApplied,
    PleaAgreementWitnessed,
    ProceduralDecisionMade,
    StageHandedOver,
)
from defense_schemas.fields import Note, OrgName, PersonName, Reference
from defense_schemas.vocabulary import (
    ClockKind,
    DefenseStatus,
    ProceduralDecisionKind,
    WitnessMode,
    WitnessRole,
)
from legal_calendar import legal_date
from procuratorate.api.access import IN_CALLERS_UNIT, STAFF
from procuratorate.db.personal import open_facts
from procuratorate.db.tables import cases, procedural_decisions
from procuratorate.domain.clocks import (
    MAX_SUPPLEMENTARY_INVESTIGATIONS,
    deadline,
    expedited_review_period,
    review_period,
)
from procuratorate.workflow.common import (
    case_suspects,
    defense_lawyer,
    emit,
    get_case,
    get_suspect,
    settle_clocks,
    start_clock,
)
from procuratorate.workflow.defense_work import defender_ref
from service_runtime.api_types import ApiDatetime
from service_runtime.app import Runtime
from service_runtime.deps import RuntimeDep, SessionDep
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES, Conflict, InvalidInput

router = APIRouter(
    prefix="/cases/{case_id}",
    tags=["proceedings"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    # Staff only, and only for a case of their own unit (another unit\'s case is a 404).
    dependencies=[STAFF, IN_CALLERS_UNIT],
)


def now() -> datetime:
    return datetime.now(UTC)


class DecisionIn(BaseModel):
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
    decision_id: UUID
    review_status: str
    review_deadline: date | None
    supplementary_investigation_round: int | None


@router.post(
    "/procedural-decisions",
    summary="Make a procedural decision; it moves the review deadline (Art. 10, CPL 172/175); "
    "an indictment (court required) hands each suspect over with its defender",
)
async def post_procedural_decision(
    case_id: UUID, body: DecisionIn, session: SessionDep, runtime: RuntimeDep
) -> DecisionOut:
    case = await get_case(session, case_id, lock=True)
    if case.review_status != "under_review":
        raise Conflict(f"the case is {case.review_status}, not under review", field="kind")
    at = body.decided_at or now()
    ids = body.suspect_ids or [row.suspect_id for row in await case_suspects(session, case_id)]
    for suspect_id in ids:
        await get_suspect(session, case_id, suspect_id)
    kind = body.kind
    values: dict[str, object] = {}
    new_deadline = None
    round_ = None
    if kind is ProceduralDecisionKind.RETURN_FOR_SUPPLEMENTARY_INVESTIGATION:
        if case.supplementary_investigations >= MAX_SUPPLEMENTARY_INVESTIGATIONS:
            raise Conflict(
                "a case may be returned for supplementary investigation at most twice "
                "(CPL Art. 175)",
                field="kind",
            )
        round_ = case.supplementary_investigations + 1
        # The review period stops; it restarts on re-transfer.
        values = {
            "review_status": "returned",
            "review_deadline": None,
            "supplementary_investigations": round_,
        }
        await settle_clocks(
            session, kind=ClockKind.REVIEW_PERIOD, case_id=case_id, at=at, cancel=True
        )
    elif kind is ProceduralDecisionKind.EXTENSION:
        if case.extended or case.expedited:
            raise Conflict("the review period cannot be extended again", field="kind")
        due = deadline(legal_date(case.received_at), review_period(extended=True), runtime.calendar)
        new_deadline = due.due_on
        values = {
            "extended": True,
            "review_deadline": new_deadline,
            "review_deadline_provisional": due.provisional,
        }
        await settle_clocks(
            session, kind=ClockKind.REVIEW_PERIOD, case_id=case_id, at=at, cancel=True
        )
        await start_clock(
            session,
            runtime,
            case_id=case_id,
            suspect_id=None,
            kind=ClockKind.REVIEW_PERIOD,
            started_at=case.received_at,
            period=review_period(extended=True),
            subject="extension",
        )
    else:
        status = {
            ProceduralDecisionKind.INDICTMENT: "indicted",
            ProceduralDecisionKind.NON_PROSECUTION: "non_prosecuted",
            ProceduralDecisionKind.JURISDICTION_CHANGE: "transferred_out",
        }[kind]
        values = {"review_status": status}
        await settle_clocks(session, kind=ClockKind.REVIEW_PERIOD, case_id=case_id, at=at)
    if (kind is ProceduralDecisionKind.JURISDICTION_CHANGE) != (body.receiving_unit is not None):
        raise InvalidInput(
            "receiving_unit is given exactly for a jurisdiction change", field="receiving_unit"
        )
    if (kind is ProceduralDecisionKind.INDICTMENT) != (body.court is not None):
        raise InvalidInput("court is given exactly for an indictment", field="court")
    decision_id = uuid.uuid4()
    await session.execute(sa.update(cases).where(cases.c.case_id == case_id).values(**values))
    await session.execute(
        sa.insert(procedural_decisions).values(
            decision_id=decision_id,
            case_id=case_id,
            kind=kind.value,
            decided_at=at,
            review_deadline=new_deadline,
            round=round_,
            document_number=body.document_number,
            note=body.note,
        )
    )
    decided = await emit(
        session,
        runtime,
        ProceduralDecisionMade(
            decision_id=decision_id,
            kind=kind,
            suspect_ids=tuple(ids),
            decided_at=at,
            document_number=body.document_number,
            review_deadline=new_deadline,
            supplementary_investigation_round=round_,
            receiving_unit=body.receiving_unit,
            note=body.note,
        ),
        case_id=case_id,
    )
    if kind is ProceduralDecisionKind.INDICTMENT:
        assert body.court is not None
        await hand_over(
            session,
            runtime,
            case_id,
            ids,
            court=body.court,
            indictment_number=body.document_number,
            at=at,
            caused_by=decided,
        )
    case = await get_case(session, case_id)
    return DecisionOut(
        decision_id=decision_id,
        review_status=case.review_status,
        review_deadline=case.review_deadline,
        supplementary_investigation_round=round_,
    )


async def hand_over(
    session: AsyncSession,
    runtime: Runtime,
    case_id: UUID,
    suspect_ids: list[UUID],
    *,
    court: str,
    indictment_number: str | None,
    at: datetime,
    caused_by: Envelope,
) -> None:
    """At indictment the court is told of each suspect's defense, so the trial-stage system can
    pick the case up and the same lawyer may continue (Measures Art. 13)."""
    for suspect_id in suspect_ids:
        suspect = await get_suspect(session, case_id, suspect_id)
        lawyer = await defense_lawyer(session, suspect_id)
        await emit(
            session,
            runtime,
            StageHandedOver(
                suspect_id=suspect_id,
                court=court,
                indictment_number=indictment_number,
                handed_over_at=at,
                defense_status=DefenseStatus(suspect.defense_status),
                defender=defender_ref(lawyer) if lawyer is not None else None,
            ),
            case_id=case_id,
            suspect_id=suspect_id,
            caused_by=caused_by,
        )


class ExpeditedIn(BaseModel):
    suspect_ids: list[UUID] = Field(min_length=1)
    decided_at: ApiDatetime | None = None


class ExpeditedOut(BaseModel):
    review_deadline: date
    provisional: bool


@router.post(
    "/expedited-procedure",
    summary="Apply the expedited procedure (速裁) in a plea case; the lawyer is told at once",
)
async def post_expedited(
    case_id: UUID, body: ExpeditedIn, session: SessionDep, runtime: RuntimeDep
) -> ExpeditedOut:
    case = await get_case(session, case_id, lock=True)
    if case.review_status != "under_review" or case.expedited:
        raise Conflict("the expedited procedure cannot be applied now", field="suspect_ids")
    bands = []
    for suspect_id in body.suspect_ids:
        row = await get_suspect(session, case_id, suspect_id)
        facts = SuspectParticulars.model_validate(open_facts(session, row))
        if not facts.pleads_guilty:
            raise Conflict(
                f"suspect {suspect_id} does not admit guilt and accept punishment (认罪认罚)",
                field="suspect_ids",
            )
        bands.append(facts.likely_sentence)
    at = body.decided_at or now()
    due = deadline(legal_date(at), expedited_review_period(bands), runtime.calendar)
    await session.execute(
        sa.update(cases)
        .where(cases.c.case_id == case_id)
        .values(
            expedited=True, review_deadline=due.due_on, review_deadline_provisional=due.provisional
        )
    )
    await emit(
        session,
        runtime,
        ExpeditedProcedureApplied(
            suspect_ids=tuple(body.suspect_ids), decided_at=at, review_deadline=due.due_on
        ),
        case_id=case_id,
    )
    return ExpeditedOut(review_deadline=due.due_on, provisional=due.provisional)


class WitnessIn(BaseModel):
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
    case_id: UUID, suspect_id: UUID, body: WitnessIn, session: SessionDep, runtime: RuntimeDep
) -> None:
    await get_case(session, case_id, lock=True)
    await get_suspect(session, case_id, suspect_id)
    lawyer = await defense_lawyer(session, suspect_id)
    if body.witness_role is WitnessRole.DUTY_LAWYER and lawyer is not None:
        raise Conflict(
            f"the suspect has a defense lawyer ({lawyer.name}): a duty lawyer may not witness "
            "the plea agreement (Measures Art. 11); the lawyer may witness by video",
            field="witness_role",
        )
    if body.witness_role is WitnessRole.DEFENSE_LAWYER and lawyer is None:
        raise Conflict("the suspect has no defense lawyer", field="witness_role")
    if body.witness_role is WitnessRole.DUTY_LAWYER and body.mode is WitnessMode.REMOTE_VIDEO:
        raise InvalidInput("only the defense lawyer may witness by video", field="mode")
    await emit(
        session,
        runtime,
        PleaAgreementWitnessed(
            suspect_id=suspect_id,
            witnessed_at=body.witnessed_at or now(),
            witness_role=body.witness_role,
            witness_name=body.witness_name,
            lawyer_id=body.lawyer_id,
            mode=body.mode,
        ),
        case_id=case_id,
        suspect_id=suspect_id,
    )
