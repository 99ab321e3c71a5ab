"""Procedural steps of the review stage: procedural decisions that move the review deadline
(Measures Art. 10, CPL Art. 172, 175), the hand-over at indictment (Art. 13), the expedited
procedure (Art. 7, CPL Art. 172, 222-223) and the plea agreement's witness (Art. 11)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from defense_schemas import Envelope
from defense_schemas.events.procuratorate import (
    ExpeditedProcedureApplied,
    PleaAgreementWitnessed,
    ProceduralDecisionMade,
    StageHandedOver,
)
from defense_schemas.vocabulary import (
    ClockKind,
    DefenseStatus,
    ProceduralDecisionKind,
    WitnessMode,
    WitnessRole,
)
from legal_calendar import Deadline, legal_date
from legal_calendar.deadlines import (
    DECISIONS_ENDING_THE_STAGE_HERE,
    PERIODS_ENDING_WITH_THE_STAGE,
)
from procuratorate.db.repository import review_values
from procuratorate.domain.clocks import (
    MAX_SUPPLEMENTARY_INVESTIGATIONS,
    expedited_refusal,
    expedited_review_period,
    in_custody,
    review_deadline,
    review_period,
)
from procuratorate.domain.commands import DecideProcedure
from procuratorate.domain.defense_path import RuleViolation, StateConflict
from procuratorate.domain.statuses import ReviewStatus
from procuratorate.unit_of_work import ProcuratorateUnitOfWork
from procuratorate.workflow.common import (
    case_people,
    defense_lawyer,
    recorded_time,
)
from procuratorate.workflow.defense_work import defender_ref


@dataclass(frozen=True)
class ProcedureDecided:
    decision_id: UUID
    review_status: str
    case: Any
    """The case row after the decision (its review period's last day)."""
    supplementary_investigation_round: int | None


async def decide_procedure(
    uow: ProcuratorateUnitOfWork, command: DecideProcedure
) -> ProcedureDecided:
    """A procedural decision; it moves the review deadline (CPL Art. 172, 175). An indictment
    hands each suspect over to the court with its defense."""
    case_id, kind, note = command.case_id, command.kind, command.note
    suspect_ids = list(command.suspect_ids) if command.suspect_ids is not None else None
    document_number, receiving_unit = command.document_number, command.receiving_unit
    court = command.court
    case = await uow.cases.case(case_id, lock=True)
    at = recorded_time(uow, case, command.decided_at or uow.now(), field="decided_at")
    if case.review_status != ReviewStatus.UNDER_REVIEW:
        raise StateConflict(f"the case is {case.review_status}, not under review", field="kind")
    ids = suspect_ids or [row.suspect_id for row in await uow.cases.suspects_of(case_id)]
    for suspect_id in ids:
        suspect = await uow.cases.suspect(case_id, suspect_id)
        if kind is ProceduralDecisionKind.INDICTMENT:
            # A suspect on an LAL Art. 25(1) ground goes to the court with a defender.
            (await uow.cases.defense(case, suspect)).hand_over()
    if (kind is ProceduralDecisionKind.JURISDICTION_CHANGE) != (receiving_unit is not None):
        raise RuleViolation(
            "receiving_unit is given exactly for a jurisdiction change", field="receiving_unit"
        )
    if (kind is ProceduralDecisionKind.INDICTMENT) != (court is not None):
        raise RuleViolation("court is given exactly for an indictment", field="court")
    values: dict[str, object] = {}
    new_deadline: Deadline | None = None
    round_ = None
    if kind is ProceduralDecisionKind.RETURN_FOR_SUPPLEMENTARY_INVESTIGATION:
        if case.supplementary_investigations >= MAX_SUPPLEMENTARY_INVESTIGATIONS:
            raise StateConflict(
                "a case may be returned for supplementary investigation at most twice "
                "(CPL Art. 175)",
                field="kind",
            )
        round_ = case.supplementary_investigations + 1
        # The review period stops; it restarts on re-transfer.
        values = {
            "review_status": ReviewStatus.RETURNED.value,
            **review_values(None),
            "supplementary_investigations": round_,
        }
        await uow.cases.settle_clocks(
            kind=ClockKind.REVIEW_PERIOD, case_id=case_id, at=at, cancel=True
        )
    elif kind is ProceduralDecisionKind.EXTENSION:
        if case.extended or case.expedited:
            raise StateConflict("the review period cannot be extended again", field="kind")
        custody = in_custody(await case_people(uow, case_id))
        due = review_deadline(
            legal_date(case.received_at),
            review_period(extended=True),
            uow.calendar,
            in_custody=custody,
        )
        new_deadline = due
        values = {"extended": True, **review_values(due)}
        await uow.cases.settle_clocks(
            kind=ClockKind.REVIEW_PERIOD, case_id=case_id, at=at, cancel=True
        )
        await uow.cases.start_clock(
            case_id=case_id,
            suspect_id=None,
            kind=ClockKind.REVIEW_PERIOD,
            started_at=case.received_at,
            period=review_period(extended=True),
            subject="extension",
            in_custody=custody,
        )
    else:
        status = {
            ProceduralDecisionKind.INDICTMENT: ReviewStatus.INDICTED,
            ProceduralDecisionKind.NON_PROSECUTION: ReviewStatus.NON_PROSECUTED,
            ProceduralDecisionKind.JURISDICTION_CHANGE: ReviewStatus.TRANSFERRED_OUT,
        }[kind]
        values = {"review_status": status.value}
        await uow.cases.settle_clocks(kind=ClockKind.REVIEW_PERIOD, case_id=case_id, at=at)
        if kind.value in DECISIONS_ENDING_THE_STAGE_HERE:
            for suspect_id in ids:
                for period in PERIODS_ENDING_WITH_THE_STAGE:
                    await uow.cases.settle_clocks(
                        kind=ClockKind(period.name),
                        case_id=case_id,
                        suspect_id=suspect_id,
                        at=at,
                        cancel=True,
                    )
    decision_id = uuid.uuid4()
    await uow.cases.update_case(case_id, **values)
    await uow.cases.add_procedural_decision(
        decision_id=decision_id,
        case_id=case_id,
        kind=kind.value,
        decided_at=at,
        review_deadline=new_deadline.due_on if new_deadline else None,
        round=round_,
        document_number=document_number,
        note=note,
    )
    decided = await uow.emit(
        ProceduralDecisionMade(
            decision_id=decision_id,
            kind=kind,
            suspect_ids=tuple(ids),
            decided_at=at,
            document_number=document_number,
            review_deadline=new_deadline.due_on if new_deadline else None,
            review_deadline_provisional=bool(new_deadline and new_deadline.provisional),
            review_deadline_missing_years=new_deadline.missing_years if new_deadline else (),
            supplementary_investigation_round=round_,
            receiving_unit=receiving_unit,
            note=note,
        ),
        case_id=case_id,
    )
    if kind is ProceduralDecisionKind.INDICTMENT:
        assert court is not None
        await hand_over(
            uow,
            case_id,
            ids,
            court=court,
            indictment_number=document_number,
            at=at,
            caused_by=decided,
        )
    case = await uow.cases.case(case_id)
    return ProcedureDecided(decision_id, case.review_status, case, round_)


async def hand_over(
    uow: ProcuratorateUnitOfWork,
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
        suspect = await uow.cases.suspect(case_id, suspect_id)
        lawyer = await defense_lawyer(uow, suspect_id)
        await uow.emit(
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


async def apply_expedited(
    uow: ProcuratorateUnitOfWork, case_id: UUID, *, suspect_ids: list[UUID], at: datetime
) -> Deadline:
    """The expedited procedure (速裁, CPL Art. 222-223) in a plea case: its review period of 10
    days, or 15 where a sentence over one year is likely, runs from the receipt of the case
    (CPL Art. 172), not from the decision. Returns the new last day."""
    case = await uow.cases.case(case_id, lock=True)
    if case.review_status != ReviewStatus.UNDER_REVIEW or case.expedited:
        raise StateConflict("the expedited procedure cannot be applied now", field="suspect_ids")
    for suspect_id in suspect_ids:
        await uow.cases.suspect(case_id, suspect_id)
    people = await case_people(uow, case_id)
    received_on = legal_date(case.received_at)
    refusal = expedited_refusal(people, social_impact=case.social_impact, received_on=received_on)
    if refusal is not None:
        raise StateConflict(refusal[0], field="suspect_ids")
    period = expedited_review_period(p.likely_sentence for p in people)
    due = review_deadline(received_on, period, uow.calendar, in_custody=in_custody(people))
    await uow.cases.update_case(case_id, expedited=True)
    # The case's last day and its review period clock move together.
    await uow.cases.set_review_deadline(case_id, due)
    await uow.emit(
        ExpeditedProcedureApplied(
            suspect_ids=tuple(suspect_ids),
            decided_at=at,
            review_deadline=due.due_on,
            review_deadline_provisional=due.provisional,
            review_deadline_missing_years=due.missing_years,
        ),
        case_id=case_id,
    )
    return due


async def witness_plea(
    uow: ProcuratorateUnitOfWork,
    case_id: UUID,
    suspect_id: UUID,
    *,
    witness_role: WitnessRole,
    witness_name: str,
    lawyer_id: UUID | None,
    mode: WitnessMode,
    at: datetime,
) -> None:
    """The plea agreement's witness (具结): a duty lawyer may not witness where the suspect has a
    defense lawyer, who may witness by video (Measures Art. 11)."""
    case = await uow.cases.case(case_id, lock=True)
    at = recorded_time(uow, case, at, field="witnessed_at")
    await uow.cases.suspect(case_id, suspect_id)
    lawyer = await defense_lawyer(uow, suspect_id)
    if witness_role is WitnessRole.DUTY_LAWYER and lawyer is not None:
        raise StateConflict(
            f"the suspect has a defense lawyer ({lawyer.name}): a duty lawyer may not witness "
            "the plea agreement (Measures Art. 11); the lawyer may witness by video",
            field="witness_role",
        )
    if witness_role is WitnessRole.DEFENSE_LAWYER and lawyer is None:
        raise StateConflict("the suspect has no defense lawyer", field="witness_role")
    if witness_role is WitnessRole.DUTY_LAWYER and mode is WitnessMode.REMOTE_VIDEO:
        raise RuleViolation("only the defense lawyer may witness by video", field="mode")
    await uow.emit(
        PleaAgreementWitnessed(
            suspect_id=suspect_id,
            witnessed_at=at,
            witness_role=witness_role,
            witness_name=witness_name,
            lawyer_id=lawyer_id,
            mode=mode,
        ),
        case_id=case_id,
        suspect_id=suspect_id,
    )
