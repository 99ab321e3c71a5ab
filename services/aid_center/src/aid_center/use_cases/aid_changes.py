"""Changes to an appointment the procuratorate decides: another lawyer on its written request
(Measures Art. 5), a refusal ruled (Art. 5 ¶1-2), a reassessment that raises what the law asks
of the lawyer (LAL Art. 26), and the end of aid when the suspect defends themselves (Art. 5) or
retains counsel (Art. 6).

Each takes the procuratorate's event as its command, with the case, the event's envelope (the
cause of what is emitted) and its time. The use cases that replace a lawyer take the case's
lock before they read the assignment, so what they read is what the appointment judges under
the same lock: a domain refusal from it is then a real one, never a stale read that a retry
would have resolved.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

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
from legal_calendar.deadlines import ASSIGNMENT

log = logging.getLogger(__name__)

_REPLACEMENT_FOR = {
    ReappointmentReason.REFUSAL_ALLOWED_NO_COUNSEL_RETAINED: (
        ReplacementReason.REFUSAL_REAPPOINTMENT
    ),
    ReappointmentReason.CHANGE_OF_LAWYER_ALLOWED: ReplacementReason.CHANGE_OF_LAWYER,
}


async def _replace(
    uow: AidCenterUnitOfWork,
    current: Mapping[str, Any],
    reason: ReplacementReason,
    *,
    caused_by: Envelope | None,
    at: datetime,
    request_id: UUID | None = None,
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
        caused_by=caused_by,
        at=at,
        replacing=current,
        replacing_ended=replacing_ended,
        replacement_reason=reason,
        reappointment_request_id=request_id,
        detail=detail,
    )


async def reappoint(
    uow: AidCenterUnitOfWork,
    request: ReappointmentRequested,
    *,
    case_id: UUID,
    caused_by: Envelope | None,
    at: datetime,
) -> None:
    """另行指派: another lawyer (not the same one) is appointed. The previous assignment ends
    here, or ended already on the allowed refusal; when it was already replaced (on a change
    of lawyer ruling) nothing more is done: one replacement per request.

    The written request is received when sent (electronic document flow) and starts a new
    assignment period (Measures Art. 4-5, ``legal_calendar.deadlines.ASSIGNMENT``): if nobody
    qualifies, the request is unassignable with the reason and that period runs on."""
    await uow.aid.lock_case(case_id)
    ended = False
    current = await uow.aid.active_assignment(
        suspect_id=request.suspect_id, assignment_id=request.previous_assignment_id
    )
    if current is None:
        current = await uow.aid.refused_awaiting_reappointment(
            suspect_id=request.suspect_id, assignment_id=request.previous_assignment_id
        )
        ended = current is not None
    if current is None:
        log.info("reappointment %s: assignment already replaced", request.request_id)
        return
    # The same period whether the aid came on a notice or on a granted application: the
    # procuratorate and the notifier count it from the request for both.
    await uow.aid.restart_assignment_period(
        notice_id=current["notice_id"],
        application_id=current["application_id"],
        started_at=request.requested_at,
        due=ASSIGNMENT.due(request.requested_at, uow.calendar),
    )
    await _replace(
        uow,
        current,
        _REPLACEMENT_FOR[request.reason],
        caused_by=caused_by,
        at=at,
        request_id=request.request_id,
        replacing_ended=ended,
    )


async def rule_refusal(
    uow: AidCenterUnitOfWork,
    ruling: LawyerRefusalRuled,
    *,
    case_id: UUID,
    caused_by: Envelope | None,
    at: datetime,
) -> None:
    """A justified request to change lawyer → the center appoints another at once (Art. 5 ¶2).
    An allowed refusal (Art. 5 ¶1) ends the refused lawyer's appointment at once; another
    follows the suspect's own counsel or the procuratorate's written reappointment request. A
    rejected refusal keeps the lawyer."""
    if ruling.outcome is RefusalOutcome.ALLOWED_MUST_RETAIN_COUNSEL:
        await end_on_allowed_refusal(
            uow,
            case_id=case_id,
            suspect_id=ruling.suspect_id,
            assignment_id=ruling.assignment_id,
            detail=f"refusal allowed: {ruling.refusal_reason}",
            at=at,
            caused_by=caused_by,
        )
        return
    if ruling.outcome is not RefusalOutcome.CHANGE_OF_LAWYER:
        return
    await uow.aid.lock_case(case_id)
    current = await uow.aid.active_assignment(
        suspect_id=ruling.suspect_id, assignment_id=ruling.assignment_id
    )
    if current is None:
        return
    await _replace(
        uow,
        current,
        ReplacementReason.CHANGE_OF_LAWYER,
        caused_by=caused_by,
        at=at,
        detail=ruling.refusal_reason,
    )


async def end_on_self_defense(
    uow: AidCenterUnitOfWork,
    permitted: SelfDefensePermitted,
    *,
    case_id: UUID,
    caused_by: Envelope | None,
    at: datetime,
) -> None:
    await terminate(
        uow,
        case_id=case_id,
        suspect_id=permitted.suspect_id,
        assignment_id=permitted.assignment_id,
        reason=TerminationReason.SELF_DEFENSE_PERMITTED,
        detail=permitted.statement,
        caused_by=caused_by,
        at=at,
    )


async def end_on_counsel_retained(
    uow: AidCenterUnitOfWork,
    retained: PrivateCounselRetained,
    *,
    case_id: UUID,
    caused_by: Envelope | None,
    at: datetime,
) -> None:
    await terminate(
        uow,
        case_id=case_id,
        suspect_id=retained.suspect_id,
        assignment_id=retained.active_assignment_id,
        reason=TerminationReason.COUNSEL_RETAINED,
        detail=f"counsel retained: {retained.counsel.name}",
        caused_by=caused_by,
        at=at,
    )


async def reassess(
    uow: AidCenterUnitOfWork,
    assessment: EligibilityAssessed,
    *,
    case_id: UUID,
    caused_by: Envelope | None,
    at: datetime,
) -> None:
    """A reassessment can bring a ground that raises what the law asks of the lawyer: a possible
    life or death sentence needs 3+ years of criminal practice (LAL Art. 26). The center keeps
    the suspect's facts up to date and replaces an appointed lawyer the law now excludes, with
    the rule broken as the recorded reason (the engine then chooses among the qualified)."""
    if Ground.POSSIBLE_LIFE_OR_DEATH_SENTENCE not in assessment.grounds:
        return
    await uow.aid.lock_case(case_id)
    await uow.aid.mark_life_or_death(assessment.suspect_id)
    current = await uow.aid.active_assignment(suspect_id=assessment.suspect_id)
    if current is None:
        return  # the next appointment reads the new facts
    years = await uow.aid.practice_years(current["lawyer_id"])
    broken = art_26_failure(years or 0, possible_life_or_death=True)
    if broken is None:
        return
    await _replace(
        uow,
        current,
        ReplacementReason.LAWYER_UNAVAILABLE,
        caused_by=caused_by,
        at=at,
        detail=f"no longer qualified after reassessment ({assessment.trigger.value}): {broken}",
    )
