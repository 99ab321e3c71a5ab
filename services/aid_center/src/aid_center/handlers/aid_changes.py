"""Changes to an appointment the procuratorate decides: another lawyer (Art. 5), termination
because the suspect defends themselves (Art. 5) or retained counsel (Art. 6)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from aid_center.domain.assignment import art_26_failure
from aid_center.domain.errors import StateConflict
from aid_center.unit_of_work import AidCenterUnitOfWork
from aid_center.use_cases.appointing import appoint, end_on_allowed_refusal, terminate
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
    TerminationReason,
)

log = logging.getLogger(__name__)

# The handlers that replace a lawyer take the case's lock before they read the assignment, so
# what they read is what the appointment judges under the same lock: a domain refusal from it
# is then a real one (dead letter), never a stale read that a retry would have resolved.

_REPLACEMENT_FOR = {
    ReappointmentReason.REFUSAL_ALLOWED_NO_COUNSEL_RETAINED: (
        ReplacementReason.REFUSAL_REAPPOINTMENT
    ),
    ReappointmentReason.CHANGE_OF_LAWYER_ALLOWED: ReplacementReason.CHANGE_OF_LAWYER,
}


async def _replace(
    uow: AidCenterUnitOfWork,
    envelope: Envelope,
    current: Mapping[str, Any],
    reason: ReplacementReason,
    *,
    request_id: Any = None,
    detail: str | None = None,
    replacing_ended: bool = False,
) -> None:
    if current["notice_id"] is None and current["application_id"] is None:
        raise StateConflict(
            f"assignment {current['assignment_id']} has neither notice nor application"
        )
    await appoint(
        uow,
        current["notice_id"],
        application_id=current["application_id"],
        caused_by=envelope,
        at=envelope.occurred_at,
        replacing=current,
        replacing_ended=replacing_ended,
        replacement_reason=reason,
        reappointment_request_id=request_id,
        detail=detail,
    )


async def on_reappointment_requested(
    uow: AidCenterUnitOfWork, envelope: Envelope, event: ReappointmentRequested
) -> None:
    """另行指派: another lawyer (not the same one) is appointed. The previous assignment ends
    here, or ended already on the allowed refusal; when it was already replaced (on a change
    of lawyer ruling) nothing more is done: one replacement per request."""
    await uow.aid.lock_case(envelope.case_id)
    ended = False
    current = await uow.aid.active_assignment(
        suspect_id=event.suspect_id, assignment_id=event.previous_assignment_id
    )
    if current is None:
        current = await uow.aid.refused_awaiting_reappointment(
            suspect_id=event.suspect_id, assignment_id=event.previous_assignment_id
        )
        ended = current is not None
    if current is None:
        log.info("reappointment %s: assignment already replaced", event.request_id)
        return
    await _replace(
        uow,
        envelope,
        current,
        _REPLACEMENT_FOR[event.reason],
        request_id=event.request_id,
        replacing_ended=ended,
    )


async def on_lawyer_refusal_ruled(
    uow: AidCenterUnitOfWork, envelope: Envelope, event: LawyerRefusalRuled
) -> None:
    """A justified request to change lawyer → the center appoints another at once (Art. 5 ¶2).
    An allowed refusal (Art. 5 ¶1) ends the refused lawyer's appointment at once; another
    follows the suspect's own counsel or the procuratorate's written reappointment request. A
    rejected refusal keeps the lawyer."""
    if event.outcome is RefusalOutcome.ALLOWED_MUST_RETAIN_COUNSEL:
        await end_on_allowed_refusal(
            uow,
            case_id=envelope.case_id,
            suspect_id=event.suspect_id,
            assignment_id=event.assignment_id,
            detail=f"refusal allowed: {event.refusal_reason}",
            at=envelope.occurred_at,
        )
        return
    if event.outcome is not RefusalOutcome.CHANGE_OF_LAWYER:
        return
    await uow.aid.lock_case(envelope.case_id)
    current = await uow.aid.active_assignment(
        suspect_id=event.suspect_id, assignment_id=event.assignment_id
    )
    if current is None:
        return
    await _replace(
        uow, envelope, current, ReplacementReason.CHANGE_OF_LAWYER, detail=event.refusal_reason
    )


async def on_self_defense_permitted(
    uow: AidCenterUnitOfWork, envelope: Envelope, event: SelfDefensePermitted
) -> None:
    await terminate(
        uow,
        case_id=envelope.case_id,
        suspect_id=event.suspect_id,
        assignment_id=event.assignment_id,
        reason=TerminationReason.SELF_DEFENSE_PERMITTED,
        detail=event.statement,
        caused_by=envelope,
        at=envelope.occurred_at,
    )


async def on_private_counsel_retained(
    uow: AidCenterUnitOfWork, envelope: Envelope, event: PrivateCounselRetained
) -> None:
    await terminate(
        uow,
        case_id=envelope.case_id,
        suspect_id=event.suspect_id,
        assignment_id=event.active_assignment_id,
        reason=TerminationReason.COUNSEL_RETAINED,
        detail=f"counsel retained: {event.counsel.name}",
        caused_by=envelope,
        at=envelope.occurred_at,
    )


async def on_eligibility_assessed(
    uow: AidCenterUnitOfWork, envelope: Envelope, event: EligibilityAssessed
) -> None:
    """A reassessment can bring a ground that raises what the law asks of the lawyer: a possible
    life or death sentence needs 3+ years of criminal practice (LAL Art. 26). The center keeps
    the suspect's facts up to date and replaces an appointed lawyer the law now excludes, with
    the rule broken as the recorded reason (the engine then chooses among the qualified)."""
    if Ground.POSSIBLE_LIFE_OR_DEATH_SENTENCE not in event.grounds:
        return
    await uow.aid.lock_case(envelope.case_id)
    await uow.aid.mark_life_or_death(event.suspect_id)
    current = await uow.aid.active_assignment(suspect_id=event.suspect_id)
    if current is None:
        return  # the next appointment reads the new facts
    years = await uow.aid.practice_years(current["lawyer_id"])
    broken = art_26_failure(years or 0, possible_life_or_death=True)
    if broken is None:
        return
    await _replace(
        uow,
        envelope,
        current,
        ReplacementReason.LAWYER_UNAVAILABLE,
        detail=f"no longer qualified after reassessment ({event.trigger.value}): {broken}",
    )
