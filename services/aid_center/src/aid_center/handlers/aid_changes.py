"""Changes to an appointment the procuratorate decides: another lawyer (Art. 5), termination
because the suspect defends themselves (Art. 5) or retained counsel (Art. 6)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from aid_center.appointing import (
    active_assignment,
    appoint,
    end_on_allowed_refusal,
    refused_awaiting_reappointment,
    terminate,
)
from aid_center.db.tables import lawyers, suspects
from aid_center.domain.assignment import art_26_failure
from defense_messaging import Handler, PermanentEventError
from defense_schemas import Envelope
from defense_schemas.events.procuratorate import (
    EligibilityAssessed,
    LawyerRefusalRuled,
    PrivateCounselRetained,
    ReappointmentRequested,
    SelfDefensePermitted,
)
from defense_schemas.vocabulary import (
    Ground,
    ReappointmentReason,
    RefusalOutcome,
    ReplacementReason,
    SentenceBand,
    TerminationReason,
)
from service_runtime.app import Runtime

log = logging.getLogger(__name__)

_REPLACEMENT_FOR = {
    ReappointmentReason.REFUSAL_ALLOWED_NO_COUNSEL_RETAINED: (
        ReplacementReason.REFUSAL_REAPPOINTMENT
    ),
    ReappointmentReason.CHANGE_OF_LAWYER_ALLOWED: ReplacementReason.CHANGE_OF_LAWYER,
}


async def _replace(
    session: AsyncSession,
    runtime: Runtime,
    envelope: Envelope,
    current: Mapping[str, Any],
    reason: ReplacementReason,
    *,
    request_id: Any = None,
    detail: str | None = None,
    replacing_ended: bool = False,
) -> None:
    if current["notice_id"] is None and current["application_id"] is None:
        raise PermanentEventError(
            f"assignment {current['assignment_id']} has neither notice nor application"
        )
    await appoint(
        session,
        runtime,
        current["notice_id"],
        application_id=current["application_id"],
        caused_by=envelope,
        replacing=current,
        replacing_ended=replacing_ended,
        replacement_reason=reason,
        reappointment_request_id=request_id,
        detail=detail,
    )


def on_reappointment_requested(runtime: Runtime) -> Handler:
    """另行指派: another lawyer (not the same one) is appointed. The previous assignment ends
    here, or ended already on the allowed refusal; when it was already replaced (on a change
    of lawyer ruling) nothing more is done: one replacement per request."""

    async def handle(
        session: AsyncSession, envelope: Envelope, event: ReappointmentRequested
    ) -> None:
        ended = False
        current = await active_assignment(
            session, suspect_id=event.suspect_id, assignment_id=event.previous_assignment_id
        )
        if current is None:
            current = await refused_awaiting_reappointment(
                session, suspect_id=event.suspect_id, assignment_id=event.previous_assignment_id
            )
            ended = current is not None
        if current is None:
            log.info("reappointment %s: assignment already replaced", event.request_id)
            return
        await _replace(
            session,
            runtime,
            envelope,
            current,
            _REPLACEMENT_FOR[event.reason],
            request_id=event.request_id,
            replacing_ended=ended,
        )

    return handle


def on_lawyer_refusal_ruled(runtime: Runtime) -> Handler:
    """A justified request to change lawyer → the center appoints another at once (Art. 5 ¶2).
    An allowed refusal (Art. 5 ¶1) ends the refused lawyer's appointment at once; another
    follows the suspect's own counsel or the procuratorate's written reappointment request. A
    rejected refusal keeps the lawyer."""

    async def handle(session: AsyncSession, envelope: Envelope, event: LawyerRefusalRuled) -> None:
        if event.outcome is RefusalOutcome.ALLOWED_MUST_RETAIN_COUNSEL:
            await end_on_allowed_refusal(
                session,
                case_id=envelope.case_id,
                suspect_id=event.suspect_id,
                assignment_id=event.assignment_id,
                detail=f"refusal allowed: {event.refusal_reason}",
            )
            return
        if event.outcome is not RefusalOutcome.CHANGE_OF_LAWYER:
            return
        current = await active_assignment(
            session, suspect_id=event.suspect_id, assignment_id=event.assignment_id
        )
        if current is None:
            return
        await _replace(
            session,
            runtime,
            envelope,
            current,
            ReplacementReason.CHANGE_OF_LAWYER,
            detail=event.refusal_reason,
        )

    return handle


def on_self_defense_permitted(runtime: Runtime) -> Handler:
    async def handle(
        session: AsyncSession, envelope: Envelope, event: SelfDefensePermitted
    ) -> None:
        await terminate(
            session,
            runtime,
            case_id=envelope.case_id,
            suspect_id=event.suspect_id,
            assignment_id=event.assignment_id,
            reason=TerminationReason.SELF_DEFENSE_PERMITTED,
            detail=event.statement,
            caused_by=envelope,
        )

    return handle


def on_private_counsel_retained(runtime: Runtime) -> Handler:
    async def handle(
        session: AsyncSession, envelope: Envelope, event: PrivateCounselRetained
    ) -> None:
        await terminate(
            session,
            runtime,
            case_id=envelope.case_id,
            suspect_id=event.suspect_id,
            assignment_id=event.active_assignment_id,
            reason=TerminationReason.COUNSEL_RETAINED,
            detail=f"counsel retained: {event.counsel.name}",
            caused_by=envelope,
        )

    return handle


def on_eligibility_assessed(runtime: Runtime) -> Handler:
    """A reassessment can bring a ground that raises what the law asks of the lawyer: a possible
    life or death sentence needs 3+ years of criminal practice (LAL Art. 26). The center keeps
    the suspect's facts up to date and replaces an appointed lawyer the law now excludes, with
    the rule broken as the recorded reason (the engine then chooses among the qualified)."""

    async def handle(session: AsyncSession, envelope: Envelope, event: EligibilityAssessed) -> None:
        if Ground.POSSIBLE_LIFE_OR_DEATH_SENTENCE not in event.grounds:
            return
        await session.execute(
            sa.update(suspects)
            .where(suspects.c.suspect_id == event.suspect_id)
            .values(likely_sentence=SentenceBand.LIFE_OR_DEATH.value)
        )
        current = await active_assignment(session, suspect_id=event.suspect_id)
        if current is None:
            return  # the next appointment reads the new facts
        years = await session.scalar(
            sa.select(lawyers.c.criminal_practice_years).where(
                lawyers.c.lawyer_id == current["lawyer_id"]
            )
        )
        broken = art_26_failure(years or 0, possible_life_or_death=True)
        if broken is None:
            return
        await _replace(
            session,
            runtime,
            envelope,
            current,
            ReplacementReason.LAWYER_UNAVAILABLE,
            detail=f"no longer qualified after reassessment ({event.trigger.value}): {broken}",
        )

    return handle
