"""The rights notification (告知, Measures Art. 3 ¶1, CPL Art. 34): the suspect and the close
relatives are told of the right to retain a defender and, in the mandatory scope, that legal aid
will appoint one otherwise. For a suspect in the scope with no defender, the 3 days for the
letter run from here unless a decision comes first (the procuratorate's rules Art. 42)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from defense_schemas.events.procuratorate import InformedPerson, RightsNotified
from defense_schemas.vocabulary import ClockKind
from legal_calendar.deadlines import LETTER
from procuratorate.domain.defense_path import (
    LETTER_CLOCK_AT_RIGHTS_NOTIFICATION,
    relatives_not_informed,
)
from procuratorate.unit_of_work import ProcuratorateUnitOfWork
from procuratorate.workflow.common import recorded_time


@dataclass(frozen=True)
class RightsNotification:
    notified_at: datetime
    legal_aid_warning_given: bool
    in_time: bool
    letter_clock_opened: bool


async def notify_rights(
    uow: ProcuratorateUnitOfWork,
    case_id: UUID,
    suspect_id: UUID,
    *,
    informed: tuple[InformedPerson, ...],
    notified_at: datetime,
    relatives_not_informed_reason: str | None,
) -> RightsNotification:
    case = await uow.cases.case(case_id, lock=True)
    notified_at = recorded_time(uow, case, notified_at, field="notified_at")
    suspect = await uow.cases.suspect(case_id, suspect_id, lock=True)
    facts = uow.cases.facts(suspect)
    reason = relatives_not_informed(
        (person.role for person in informed),
        relatives_known=bool(facts.close_relatives or facts.guardian),
        reason=relatives_not_informed_reason,
    )
    path = await uow.cases.defense(case, suspect)
    warned = path.in_scope
    letter_clock = path.notify_rights()
    # Who was told what and when: each person with the time and the legal-aid warning.
    record = tuple(
        person.model_copy(
            update={
                "informed_at": person.informed_at or notified_at,
                "told_legal_aid_will_appoint": warned
                if person.told_legal_aid_will_appoint is None
                else person.told_legal_aid_will_appoint,
            }
        )
        for person in informed
    )
    await uow.emit(
        RightsNotified(
            suspect_id=suspect_id,
            notified_at=notified_at,
            informed=record,
            grounds=path.grounds,
            legal_aid_warning_given=warned,
            relatives_not_informed_reason=reason,
        ),
        case_id=case_id,
        suspect_id=suspect_id,
    )
    await uow.cases.mark_informed(suspect_id, notified_at)
    settled = await uow.cases.settle_clocks(
        kind=ClockKind.RIGHTS_NOTIFICATION, suspect_id=suspect_id, at=notified_at
    )
    if letter_clock:
        await uow.cases.start_clock(
            case_id=case_id,
            suspect_id=suspect_id,
            kind=ClockKind.NOTICE_DISPATCH,
            started_at=notified_at,
            period=LETTER.period,
            subject=LETTER_CLOCK_AT_RIGHTS_NOTIFICATION,
        )
    # A repeated notification finds the clock closed already: its outcome is read instead.
    outcome: str | None
    if settled:
        outcome = settled[0]
    else:
        clock = await uow.cases.clock(ClockKind.RIGHTS_NOTIFICATION, suspect_id=suspect_id)
        outcome = clock.outcome if clock is not None else None
    return RightsNotification(notified_at, warned, outcome == "met", letter_clock)
