"""Case intake (受理审查起诉) and eligibility (应当通知辩护的情形), shared by the REST route and
the consumer of the agencies' CaseTransferred: one validation, one CaseReceived."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from defense_schemas import Envelope
from defense_schemas.events.common import CaseParticulars, Officer, SuspectParticulars
from defense_schemas.events.procuratorate import CaseReceived, EligibilityAssessed
from defense_schemas.vocabulary import (
    AssessmentTrigger,
    ClockKind,
    DefenseStatus,
    Ground,
    ReceiptKind,
)
from legal_calendar import legal_date
from legal_calendar.deadlines import LETTER, RIGHTS_NOTIFICATION
from procuratorate.db.repository import clock_row, review_values
from procuratorate.domain.clocks import in_custody, review_deadline, review_period
from procuratorate.domain.commands import CorrectFacts
from procuratorate.domain.eligibility import (
    CaseFacts,
    PilotDistrict,
    eligibility_grounds,
    in_pilot,
    newly_discovered,
)
from procuratorate.domain.statuses import ReviewStatus
from procuratorate.unit_of_work import ProcuratorateUnitOfWork
from procuratorate.workflow.common import (
    case_in_custody,
    refresh_status,
)
from service_runtime.errors import Conflict


@dataclass(frozen=True)
class Receipt:
    case_id: UUID
    created: bool
    case: Any | None = None
    """The ``cases`` row as written, when the receipt created the case."""
    suspects: list[Any] | None = None
    clocks: list[Any] | None = None
    """The new case's suspects and clocks as written, when nothing written after them
    changed them (no counsel retained at receipt, no defender): the case view needs no read."""


async def receive_case(
    uow: ProcuratorateUnitOfWork,
    particulars: CaseParticulars,
    *,
    case_id: UUID,
    received_at: datetime,
    receipt_kind: ReceiptKind = ReceiptKind.TRANSFER,
    prosecutor: Officer | None = None,
    caused_by: Envelope | None = None,
) -> Receipt:
    """Receive a transfer. The same transfer (agency + transfer number) received again by the
    same unit is the case already received; a re-transfer after supplementary investigation
    restarts the review period of the returned case (CPL Art. 175).

    Another unit's cases do not exist for this receipt: its transfer number makes a new case,
    and a case id or suspect ids that happen to be its are replaced by fresh ones rather than
    refused, since a refusal would tell the caller they exist."""
    await uow.cases.lock_transfer(
        particulars.procuratorate_unit,
        particulars.transferring_agency,
        particulars.transfer_number,
    )
    ids = [s.suspect_id for s in particulars.suspects] + [
        o.suspect_id for o in particulars.organisation_suspects
    ]
    earlier = await uow.cases.earlier_receipts(
        particulars.procuratorate_unit,
        particulars.transferring_agency,
        particulars.transfer_number,
        case_id,
        ids,
    )
    retransfer = receipt_kind is ReceiptKind.RETRANSFER_AFTER_SUPPLEMENTARY_INVESTIGATION
    if earlier.known is not None:
        # The unit's transfer number names the case. An agency may send a returned case back
        # under the number it first had: that is the re-transfer (CPL Art. 175), not the first
        # transfer again, so it restarts the review period; anything else under a known number
        # (a duplicate delivery, the re-transfer itself again) is the case already received.
        if retransfer:
            case = await uow.cases.case(earlier.known, lock=True)
            if case.review_status == ReviewStatus.RETURNED:
                await _restart_review(uow, earlier.known, particulars, received_at, caused_by)
        return Receipt(earlier.known, created=False)
    if earlier.case_unit is not None and earlier.case_unit != particulars.procuratorate_unit:
        case_id = uuid.uuid4()
    if earlier.taken_elsewhere:
        particulars = _fresh_suspect_ids(particulars, set(earlier.taken_elsewhere))
    existing = earlier.case_unit == particulars.procuratorate_unit
    taken = earlier.taken_here
    if retransfer:
        if not existing:
            raise Conflict(
                f"case {case_id} was never received, so it cannot be re-transferred",
                field="transfer_kind",
            )
        await _restart_review(uow, case_id, particulars, received_at, caused_by)
        return Receipt(case_id, created=False)
    if existing:
        raise Conflict(f"case id {case_id} is already used by another transfer", field="case_id")
    if taken:
        raise Conflict(f"suspect ids already belong to another case: {taken}", field="suspects")

    settings = uow.settings
    received_on = legal_date(received_at)
    pilot = in_pilot(particulars.district, received_on, settings.pilot_districts)
    facts = [suspect.model_dump(mode="json") for suspect in particulars.suspects]
    # The first assessment needs nothing from the database: the suspects' rows are written
    # with their grounds rather than written, read back and updated.
    people = [SuspectParticulars.model_validate(item) for item in facts]
    custody = in_custody(people)
    review = review_deadline(received_on, review_period(), uow.calendar, in_custody=custody)
    grounds = assess(
        people,
        CaseFacts(
            district=particulars.district,
            received_on=received_on,
            major_and_complex=particulars.major_and_complex,
            social_impact=particulars.social_impact,
        ),
        settings.pilot_districts,
        assessed_on=received_on,
    )
    case = await uow.cases.add_received_case(
        case_id=case_id,
        transfer_number=particulars.transfer_number,
        transferring_agency=particulars.transferring_agency,
        transferring_agency_kind=particulars.transferring_agency_kind.value,
        procuratorate_unit=particulars.procuratorate_unit,
        district=particulars.district,
        charges=list(particulars.charges),
        organisation_suspects=[
            o.model_dump(mode="json") for o in particulars.organisation_suspects
        ],
        major_and_complex=particulars.major_and_complex,
        social_impact=particulars.social_impact,
        pilot_district=pilot,
        receipt_kind=receipt_kind.value,
        received_at=received_at,
        **review_values(review),
        review_status=ReviewStatus.UNDER_REVIEW.value,
        prosecutor_name=prosecutor.name if prosecutor else None,
        prosecutor_contact=prosecutor.contact if prosecutor else None,
    )
    await uow.cases.add_transfer(
        procuratorate_unit=particulars.procuratorate_unit,
        transferring_agency=particulars.transferring_agency,
        transfer_number=particulars.transfer_number,
        case_id=case_id,
        receipt_kind=receipt_kind.value,
        received_at=received_at,
    )
    suspect_rows = await uow.cases.add_suspects(case_id, zip(people, grounds, strict=True))
    review_clock, _ = clock_row(
        uow.calendar,
        case_id=case_id,
        suspect_id=None,
        kind=ClockKind.REVIEW_PERIOD,
        started_at=received_at,
        period=review_period(),
        in_custody=custody,
    )
    # Measures Art. 3, CPL Art. 34: inform each suspect within 3 days of receipt.
    notification_clocks = [
        clock_row(
            uow.calendar,
            case_id=case_id,
            suspect_id=suspect.suspect_id,
            kind=ClockKind.RIGHTS_NOTIFICATION,
            started_at=received_at,
            period=RIGHTS_NOTIFICATION.period,
        )[0]
        for suspect in particulars.suspects
    ]
    clock_rows = await uow.cases.add_clocks([review_clock, *notification_clocks])
    received = await uow.emit(
        CaseReceived(
            **shared_particulars(particulars),
            receipt_kind=receipt_kind,
            received_at=received_at,
            review_deadline=review.due_on,
            review_deadline_provisional=review.provisional,
            review_deadline_missing_years=review.missing_years,
            pilot_district=pilot,
            prosecutor=prosecutor,
        ),
        case_id=case_id,
        caused_by=caused_by,
    )
    for suspect in particulars.suspects:
        if suspect.retained_counsel is not None:
            counsel = suspect.retained_counsel
            await uow.cases.add_defender(
                suspect.suspect_id,
                kind=DefenseStatus.RETAINED.value,
                name=counsel.name,
                firm=counsel.law_firm,
                contact=counsel.contact,
                retention_id=uuid.uuid4(),
                retained_by="transfer",
                started_at=received_at,
            )
            await refresh_status(
                uow,
                case_id=case_id,
                suspect_id=suspect.suspect_id,
                at=received_at,
                caused_by=received,
            )
    # Every ground is new at receipt; nothing is open yet that being out of scope would cancel.
    for suspect, found in zip(particulars.suspects, grounds, strict=True):
        await uow.cases.record_discoveries(suspect.suspect_id, found, at=received_at)
    for suspect, found in zip(particulars.suspects, grounds, strict=True):
        await uow.emit(
            EligibilityAssessed(
                suspect_id=suspect.suspect_id,
                assessed_at=received_at,
                trigger=AssessmentTrigger.CASE_RECEIVED,
                grounds=found,
                discovered_grounds=found,
                pilot_district=pilot,
            ),
            case_id=case_id,
            suspect_id=suspect.suspect_id,
            caused_by=received,
        )
    if any(suspect.retained_counsel is not None for suspect in particulars.suspects):
        return Receipt(case_id, created=True, case=case)
    return Receipt(case_id, created=True, case=case, suspects=suspect_rows, clocks=clock_rows)


def _fresh_suspect_ids(particulars: CaseParticulars, taken: set[UUID]) -> CaseParticulars:
    return particulars.model_copy(
        update={
            "suspects": tuple(
                s.model_copy(update={"suspect_id": uuid.uuid4()}) if s.suspect_id in taken else s
                for s in particulars.suspects
            ),
            "organisation_suspects": tuple(
                o.model_copy(update={"suspect_id": uuid.uuid4()}) if o.suspect_id in taken else o
                for o in particulars.organisation_suspects
            ),
        }
    )


async def _restart_review(
    uow: ProcuratorateUnitOfWork,
    case_id: UUID,
    particulars: CaseParticulars,
    received_at: datetime,
    caused_by: Envelope | None,
) -> None:
    case = await uow.cases.case(case_id, lock=True)
    if case.review_status != ReviewStatus.RETURNED:
        raise Conflict(
            f"case {case_id} is {case.review_status}, not returned for supplementary investigation",
            field="transfer_kind",
        )
    custody = await case_in_custody(uow, case_id)
    review = review_deadline(
        legal_date(received_at), review_period(), uow.calendar, in_custody=custody
    )
    await uow.cases.update_case(
        case_id,
        review_status=ReviewStatus.UNDER_REVIEW.value,
        received_at=received_at,
        receipt_kind=ReceiptKind.RETRANSFER_AFTER_SUPPLEMENTARY_INVESTIGATION.value,
        **review_values(review),
        extended=False,
        expedited=False,
    )
    await uow.cases.add_transfer(
        procuratorate_unit=particulars.procuratorate_unit,
        transferring_agency=particulars.transferring_agency,
        transfer_number=particulars.transfer_number,
        case_id=case_id,
        receipt_kind=ReceiptKind.RETRANSFER_AFTER_SUPPLEMENTARY_INVESTIGATION.value,
        received_at=received_at,
    )
    await uow.cases.start_clock(
        case_id=case_id,
        suspect_id=None,
        kind=ClockKind.REVIEW_PERIOD,
        started_at=received_at,
        period=review_period(),
        in_custody=custody,
    )
    await uow.emit(
        CaseReceived(
            **shared_particulars(particulars),
            receipt_kind=ReceiptKind.RETRANSFER_AFTER_SUPPLEMENTARY_INVESTIGATION,
            received_at=received_at,
            review_deadline=review.due_on,
            review_deadline_provisional=review.provisional,
            review_deadline_missing_years=review.missing_years,
            pilot_district=case.pilot_district,
            prosecutor=Officer(name=case.prosecutor_name, contact=case.prosecutor_contact)
            if case.prosecutor_name
            else None,
        ),
        case_id=case_id,
        caused_by=caused_by,
    )


def shared_particulars(particulars: CaseParticulars) -> dict[str, Any]:
    """The case as CaseReceived tells it to the other services: without the suspects' ID
    numbers, which neither the aid center nor the notifier needs (personal data travels only
    where the receiver needs it); the number stays in this service's encrypted facts."""
    data = particulars.model_dump()
    data["suspects"] = [{**suspect, "id_number": None} for suspect in data["suspects"]]
    return data


def assess(
    people: Sequence[SuspectParticulars],
    case: CaseFacts,
    pilot_districts: Sequence[PilotDistrict],
    *,
    assessed_on: date,
) -> list[tuple[Ground, ...]]:
    """Every suspect's grounds, in order: a co-suspect's facts can change another's (Art. 2(b))."""
    return [
        eligibility_grounds(
            person,
            case,
            [p for p in people if p is not person],
            pilot_districts,
            assessed_on=assessed_on,
        )
        for person in people
    ]


async def reassess(
    uow: ProcuratorateUnitOfWork,
    case: Any,
    *,
    at: datetime,
    trigger: AssessmentTrigger,
    caused_by: Envelope | None = None,
) -> dict[UUID, tuple[Ground, ...]]:
    """Recompute every suspect's grounds (a co-suspect's facts can change another's, Art. 2(b));
    emit EligibilityAssessed where they changed, and start a 3-day notice clock for each ground
    discovered while the suspect has no defender (the procuratorate's rules count the 3 days
    from discovery). Returns the newly discovered grounds per suspect. ``case``: its row, locked
    by the caller."""
    case_id = case.case_id
    rows = await uow.cases.suspects_of(case_id)
    people = [uow.cases.facts(row) for row in rows]
    facts = CaseFacts(
        district=case.district,
        received_on=legal_date(case.received_at),
        major_and_complex=case.major_and_complex,
        social_impact=case.social_impact,
    )
    settings = uow.settings
    policy = settings.self_defense_policy
    assessed = assess(people, facts, settings.pilot_districts, assessed_on=legal_date(at))
    discovered_by_suspect: dict[UUID, tuple[Ground, ...]] = {}
    for row, grounds in zip(rows, assessed, strict=True):
        previous = tuple(Ground(g) for g in row.grounds)
        if trigger is not AssessmentTrigger.CASE_RECEIVED and grounds == previous:
            continue
        discovered = newly_discovered(previous, grounds)
        await uow.cases.update_suspect(row.suspect_id, grounds=[g.value for g in grounds])
        await uow.cases.record_discoveries(row.suspect_id, discovered, at=at)
        await uow.emit(
            EligibilityAssessed(
                suspect_id=row.suspect_id,
                assessed_at=at,
                trigger=trigger,
                grounds=grounds,
                discovered_grounds=discovered,
                pilot_district=case.pilot_district,
            ),
            case_id=case_id,
            suspect_id=row.suspect_id,
            caused_by=caused_by,
        )
        if trigger is AssessmentTrigger.CASE_RECEIVED:
            discovered_by_suspect[row.suspect_id] = discovered
            continue
        path = await uow.cases.defense(case, row)
        path.grounds = previous
        change = path.reassess(grounds, policy)
        if change.cancel_letter_clocks:
            # Out of scope now: a pending duty to send the letter falls away.
            await uow.cases.settle_clocks(
                kind=ClockKind.NOTICE_DISPATCH,
                suspect_id=row.suspect_id,
                at=at,
                cancel=True,
            )
        if change.self_defense_revoked:
            # A ground on which the law requires a defender (CPL Art. 35, 278) came to light:
            # the permission no longer stands, and the letter is owed again.
            await uow.cases.update_suspect(row.suspect_id, self_defense_permitted_at=None)
            await refresh_status(
                uow,
                case_id=case_id,
                suspect_id=row.suspect_id,
                at=at,
                caused_by=caused_by,
            )
        for ground in change.open_clocks_for:
            await uow.cases.start_clock(
                case_id=case_id,
                suspect_id=row.suspect_id,
                kind=ClockKind.NOTICE_DISPATCH,
                started_at=at,
                period=LETTER.period,
                subject=ground.value,
            )
        discovered_by_suspect[row.suspect_id] = discovered
    return discovered_by_suspect


async def correct_facts(
    uow: ProcuratorateUnitOfWork, command: CorrectFacts
) -> dict[UUID, tuple[Ground, ...]]:
    """A fact came to light (a disability, a withdrawn plea, a corrected birth date): store it and
    reassess the whole case."""
    case_id, suspect_id, changes = command.case_id, command.suspect_id, dict(command.changes)
    at = uow.now()
    case = await uow.cases.case(case_id, lock=True)
    row = await uow.cases.suspect(case_id, suspect_id)
    merged = SuspectParticulars.model_validate(
        {**uow.cases.facts(row).model_dump(mode="json"), **changes}
    )
    await uow.cases.store_facts(suspect_id, merged)
    return await reassess(uow, case, at=at, trigger=AssessmentTrigger.NEW_INFORMATION)
