"""The suspect's defense: decision, notice-of-defense letter (通知辩护公函), supplements,
refusals, reappointment, self-defense, private counsel (Measures Art. 3, 5, 6, 15)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from defense_schemas.events.common import (
    DocumentNumber,
    Guardian,
    Officer,
)
from defense_schemas.events.procuratorate import (
    DefenseDecisionRecorded,
    DefenseNoticeSent,
    DutyLawyerRequested,
    LawyerRefusalRuled,
    LegalAidApplicationForwarded,
    NoticeOfDefenseLetter,
    NoticeSupplemented,
    PrivateCounselDismissed,
    PrivateCounselRetained,
    ReappointmentRequested,
    SelfDefensePermitted,
)
from defense_schemas.vocabulary import (
    ClockKind,
    DefenseChoice,
    DefenseStatus,
    DutyLawyerPurpose,
    Ground,
    PersonRole,
    ReappointmentReason,
    RefusalOutcome,
)
from legal_calendar import legal_date
from legal_calendar.deadlines import ASSIGNMENT, LETTER
from procuratorate.db.repository import review_due
from procuratorate.domain.commands import (
    ApplicationForm,
    DismissCounsel,
    PermitSelfDefense,
    RecordDecision,
    RequestReappointment,
    RetainCounsel,
    RuleRefusal,
    SupplementNotice,
)
from procuratorate.domain.defense_path import (
    LETTER_CLOCK_AT_DECISION,
    LETTER_CLOCK_AT_DISMISSAL,
    LETTER_CLOCK_AT_REFUSAL,
    Decided,
    StateConflict,
)
from procuratorate.domain.letter import render_text
from procuratorate.domain.statuses import NoticeStatus
from procuratorate.unit_of_work import ProcuratorateUnitOfWork
from procuratorate.workflow.common import (
    recorded_time,
    refresh_status,
)
from service_runtime.errors import Conflict, InvalidInput


def addressee_center(uow: ProcuratorateUnitOfWork, district: str) -> str:
    """The district's legal aid center by its registered name (one per district, from
    configuration): the letter's addressee, and who sees the case in every service."""
    name = uow.settings.aid_center_for(district)
    if name is None:
        raise StateConflict(
            f"no legal aid center is configured for district {district} "
            "(PROCURATORATE_AID_CENTERS): the letter has no addressee",
            field="district",
        )
    return name


async def record_decision(uow: ProcuratorateUnitOfWork, command: RecordDecision) -> dict[str, Any]:
    """Record the decision (记录在案); a mandatory-scope suspect retaining no one gets the letter
    (Art. 3); outside the scope, an application for legal aid is forwarded to the center (申请
    指派), and a suspect who neither retains nor applies gets a duty lawyer (Art. 15)."""
    case_id, suspect_id, choice = command.case_id, command.suspect_id, command.choice
    decided_by, note, materials = command.decided_by, command.note, command.materials
    case_handler = command.case_handler
    case = await uow.cases.case(case_id, lock=True)
    decided_at = recorded_time(uow, case, command.decided_at or uow.now(), field="decided_at")
    suspect = await uow.cases.suspect(case_id, suspect_id, lock=True)
    path = await uow.cases.defense(case, suspect)
    what, clock_opened = path.decide(choice, uow.settings.self_defense_policy)
    decided = await uow.emit(
        DefenseDecisionRecorded(
            suspect_id=suspect_id,
            choice=choice,
            decided_by=decided_by,
            decided_at=decided_at,
            note=note,
        ),
        case_id=case_id,
        suspect_id=suspect_id,
    )
    await uow.cases.update_suspect(suspect_id, decision=choice.value, decided_at=decided_at)
    outcome: dict[str, Any] = {
        "notice_id": None,
        "duty_lawyer_request_id": None,
        "legal_aid_application_id": None,
    }
    if clock_opened:
        # Measures Art. 3: the letter within 3 days of the decision (when no earlier clock,
        # from the rights notification or a discovered ground, already runs).
        await uow.cases.start_clock(
            case_id=case_id,
            suspect_id=suspect_id,
            kind=ClockKind.NOTICE_DISPATCH,
            started_at=decided_at,
            period=LETTER.period,
            subject=LETTER_CLOCK_AT_DECISION,
        )
    if what is Decided.LETTER:
        path.send_letter()
        outcome["notice_id"] = await send_notice(
            uow,
            case,
            suspect,
            sent_at=decided_at,
            case_handler=case_handler,
            materials=materials,
            caused_by=decided,
        )
    elif what is Decided.APPLICATION:
        # Outside the mandatory scope the suspect may still apply (申请指派): the procuratorate
        # forwards the application to the center, which decides (LAL Art. 39).
        outcome["legal_aid_application_id"] = await forward_application(
            uow,
            case,
            suspect_id,
            applied_by=decided_by,
            applied_at=decided_at,
            caused_by=decided,
            form=command.application,
        )
    elif what is Decided.DUTY_LAWYER:
        outcome["duty_lawyer_request_id"] = await request_duty_lawyer(
            uow,
            case_id,
            suspect_id,
            at=decided_at,
            purpose=DutyLawyerPurpose.LEGAL_HELP,
        )
    return outcome


async def forward_application(
    uow: ProcuratorateUnitOfWork,
    case: Any,
    suspect_id: UUID,
    *,
    applied_by: PersonRole,
    applied_at: datetime,
    caused_by: Any = None,
    form: ApplicationForm | None = None,
) -> UUID:
    application_id = uuid.uuid4()
    # The applicant's personal data travels only inside the event, which the outbox seals.
    details: dict[str, Any] = {}
    if form is not None:
        details = {
            "applicant": form.applicant,
            "economic_hardship_statement": form.economic_hardship_statement,
            "exemption_grounds": form.exemption_grounds,
            "materials": form.materials,
        }
    await uow.emit(
        LegalAidApplicationForwarded(
            application_id=application_id,
            suspect_id=suspect_id,
            applied_by=applied_by,
            applied_at=applied_at,
            forwarded_at=applied_at,
            addressee_center=addressee_center(uow, case.district),
            **details,
        ),
        case_id=case.case_id,
        suspect_id=suspect_id,
        caused_by=caused_by,
    )
    return application_id


async def request_duty_lawyer(
    uow: ProcuratorateUnitOfWork,
    case_id: UUID,
    suspect_id: UUID,
    *,
    at: datetime,
    purpose: DutyLawyerPurpose,
    note: str | None = None,
) -> UUID:
    request_id = uuid.uuid4()
    await uow.emit(
        DutyLawyerRequested(
            request_id=request_id,
            suspect_id=suspect_id,
            purpose=purpose,
            requested_at=at,
            note=note,
        ),
        case_id=case_id,
        suspect_id=suspect_id,
    )
    return request_id


async def send_notice(
    uow: ProcuratorateUnitOfWork,
    case: Any,
    suspect: Any,
    *,
    sent_at: datetime,
    case_handler: Officer | None,
    materials: tuple[str, ...] = (),
    caused_by: Any = None,
) -> UUID:
    """Number, write and send the notice-of-defense letter with every field of the annex form.
    The caller checked with the aggregate that no letter of the suspect is still open."""
    handler = case_handler or (
        Officer(name=case.prosecutor_name, contact=case.prosecutor_contact)
        if case.prosecutor_name
        else None
    )
    if handler is None:
        raise InvalidInput(
            "the letter names the case handler and contact: give case_handler "
            "(no prosecutor is assigned to the case)",
            field="case_handler",
        )
    settings = uow.settings
    facts = uow.cases.facts(suspect)
    grounds = tuple(Ground(g) for g in suspect.grounds)
    unit = settings.issuing_unit(case.procuratorate_unit)
    year = legal_date(sent_at).year
    guardian: Guardian | None = facts.guardian if Ground.MINOR in grounds else None
    fields: dict[str, Any] = {
        "procuratorate_unit": case.procuratorate_unit,
        "addressee_center": addressee_center(uow, case.district),
        "suspect_name": facts.name,
        "charges": list(facts.charges),
        "transferring_agency": case.transferring_agency,
        "grounds": [g.value for g in grounds],
        "place_of_detention_or_residence": facts.place_of_detention_or_residence,
        "suspect_contact": facts.contacts[0] if facts.contacts else None,
        "guardian": guardian.model_dump() if guardian else None,
        "case_handler": handler.model_dump(),
        "copy_number": settings.letter_copy_number,
        "copy_label": settings.letter_copy_label,
    }
    # The letter meets every open dispatch clock of this suspect: the decision's and those of
    # grounds discovered later. Settled before the number is drawn (nothing reads the clocks in
    # between; the transaction commits or rolls back as a whole).
    await uow.cases.settle_clocks(
        kind=ClockKind.NOTICE_DISPATCH, suspect_id=suspect.suspect_id, at=sent_at
    )
    # The number last: drawing it locks the unit's counter row until the transaction ends, and
    # every letter of the unit waits on that lock. So the only work left after it is what needs
    # the number (the letter, its row, its event); the caller must not add work after this call.
    sequence = await uow.cases.next_document_number(unit, year)
    fields = {"document_number": DocumentNumber.of(unit, year, sequence).model_dump(), **fields}
    letter = NoticeOfDefenseLetter.model_validate({**fields, "rendered_text": render_text(fields)})
    notice_id = uuid.uuid4()
    await uow.cases.add_notice(
        notice_id,
        letter.model_dump(mode="json"),
        case_id=case.case_id,
        suspect_id=suspect.suspect_id,
        issuing_unit=unit,
        year=year,
        sequence=sequence,
        document_number=letter.document_number.text,
        materials=list(materials),
        sent_at=sent_at,
        status=NoticeStatus.SENT.value,
    )
    await uow.emit(
        DefenseNoticeSent(
            notice_id=notice_id,
            suspect_id=suspect.suspect_id,
            sent_at=sent_at,
            letter=letter,
            materials=materials,
        ),
        case_id=case.case_id,
        suspect_id=suspect.suspect_id,
        caused_by=caused_by,
    )
    return notice_id


async def supplement_notice(
    uow: ProcuratorateUnitOfWork, command: SupplementNotice
) -> dict[str, Any]:
    """Supplement at the center's request (Art. 3); warn when little review time is left."""
    case_id, notice_id, items = command.case_id, command.notice_id, command.items
    added_materials = command.added_materials
    at = command.supplemented_at or uow.now()
    case = await uow.cases.case(case_id, lock=True)
    notice = await uow.cases.notice(case_id, notice_id)
    if notice.status != NoticeStatus.SUPPLEMENT_REQUESTED:
        raise Conflict(f"notice {notice_id} is {notice.status}; no supplement was requested")
    if case.review_deadline is None:
        raise Conflict(f"the review period of case {case_id} is not running ({case.review_status})")
    await uow.cases.update_notice(
        notice_id,
        status=NoticeStatus.SUPPLEMENTED.value,
        materials=list(notice.materials) + list(added_materials),
    )
    await uow.emit(
        NoticeSupplemented(
            notice_id=notice_id,
            suspect_id=notice.suspect_id,
            supplemented_at=at,
            supplemented_items=items,
            added_materials=added_materials,
            review_deadline=case.review_deadline,
        ),
        case_id=case_id,
        suspect_id=notice.suspect_id,
    )
    days_left = (case.review_deadline - legal_date(at)).days
    warning = None
    threshold = uow.settings.supplement_warning_days
    if days_left < threshold:
        warning = (
            f"only {days_left} day(s) remain before the review deadline {case.review_deadline} "
            f"(fewer than {threshold}): the center and the lawyer may lack time to work"
        )
    return {"days_left": days_left, "review_deadline": review_due(case), "warning": warning}


SUPERSEDED_BY_RETAINED_COUNSEL = "superseded_by_retained_counsel"
REFUSAL_ALLOWED = "refusal_allowed"


async def rule_refusal(uow: ProcuratorateUnitOfWork, command: RuleRefusal) -> UUID | None:
    """Rule on a refusal (Art. 5). A justified change of lawyer goes to the center at once; an
    allowed refusal ends the refused appointment here at once (the suspect is a gap in the
    ledger until counsel is retained or another lawyer appointed)."""
    case_id, suspect_id, assignment_id = command.case_id, command.suspect_id, command.assignment_id
    refusal_reason, outcome = command.refusal_reason, command.outcome
    explanation = command.explanation
    at = uow.now()
    case = await uow.cases.case(case_id, lock=True)
    suspect = await uow.cases.suspect(case_id, suspect_id, lock=True)
    path = await uow.cases.defense(case, suspect)
    path.rule_refusal(assignment_id, outcome)
    if outcome is RefusalOutcome.ALLOWED_MUST_RETAIN_COUNSEL:
        await uow.cases.end_defenders(
            suspect_id, at=at, reason=REFUSAL_ALLOWED, assignment_ids=[assignment_id]
        )
        if LETTER_CLOCK_AT_REFUSAL in path.letter_clocks:
            await uow.cases.start_clock(
                case_id=case_id,
                suspect_id=suspect_id,
                kind=ClockKind.NOTICE_DISPATCH,
                started_at=at,
                period=LETTER.period,
                subject=LETTER_CLOCK_AT_REFUSAL,
            )
    ruled = await uow.emit(
        LawyerRefusalRuled(
            suspect_id=suspect_id,
            assignment_id=assignment_id,
            refusal_reason=refusal_reason,
            outcome=outcome,
            ruled_at=at,
            explanation=explanation,
        ),
        case_id=case_id,
        suspect_id=suspect_id,
    )
    if outcome is RefusalOutcome.ALLOWED_MUST_RETAIN_COUNSEL:
        await refresh_status(uow, case_id=case_id, suspect_id=suspect_id, at=at, caused_by=ruled)
    if outcome is RefusalOutcome.CHANGE_OF_LAWYER:
        return await _reappoint(
            uow,
            case,
            suspect_id,
            assignment_id,
            ReappointmentReason.CHANGE_OF_LAWYER_ALLOWED,
            at,
            ruled,
        )
    return None


async def _reappoint(
    uow: ProcuratorateUnitOfWork,
    case: Any,
    suspect_id: UUID,
    assignment_id: UUID,
    reason: ReappointmentReason,
    at: datetime,
    caused_by: Any = None,
) -> UUID:
    """``case``: its row, as the caller locked it. The written request restarts the center's
    assignment period from the request (Measures Art. 4-5, ``legal_calendar.deadlines.
    ASSIGNMENT``, as the center and the notifier count it): an earlier period still open here
    gives way to it."""
    request_id = uuid.uuid4()
    await uow.cases.settle_clocks(
        kind=ClockKind.ASSIGNMENT, suspect_id=suspect_id, at=at, cancel=True
    )
    await uow.cases.start_clock(
        case_id=case.case_id,
        suspect_id=suspect_id,
        kind=ClockKind.ASSIGNMENT,
        started_at=at,
        period=ASSIGNMENT.period,
        subject=str(request_id),
    )
    await uow.emit(
        ReappointmentRequested(
            request_id=request_id,
            suspect_id=suspect_id,
            previous_assignment_id=assignment_id,
            reason=reason,
            requested_at=at,
            addressee_center=addressee_center(uow, case.district),
        ),
        case_id=case.case_id,
        suspect_id=suspect_id,
        caused_by=caused_by,
    )
    return request_id


async def request_reappointment(
    uow: ProcuratorateUnitOfWork, command: RequestReappointment
) -> UUID:
    """The refusal was allowed and the suspect retained no one: ask the center in writing to
    appoint another lawyer (另行指派, Art. 5)."""
    case_id, suspect_id, assignment_id = command.case_id, command.suspect_id, command.assignment_id
    at = uow.now()
    case = await uow.cases.case(case_id, lock=True)
    suspect = await uow.cases.suspect(case_id, suspect_id)
    ruling = await uow.cases.refusal_ruling(suspect_id, assignment_id)
    if ruling != RefusalOutcome.ALLOWED_MUST_RETAIN_COUNSEL.value:
        raise Conflict(
            "another lawyer is requested only after a refusal of this assignment was allowed",
            field="assignment_id",
        )
    path = await uow.cases.defense(case, suspect)
    path.request_reappointment()
    # The written request is what the clock opened by the allowed refusal asked for.
    await uow.cases.settle_clocks(kind=ClockKind.NOTICE_DISPATCH, suspect_id=suspect_id, at=at)
    return await _reappoint(
        uow,
        case,
        suspect_id,
        assignment_id,
        ReappointmentReason.REFUSAL_ALLOWED_NO_COUNSEL_RETAINED,
        at,
    )


async def permit_self_defense(uow: ProcuratorateUnitOfWork, command: PermitSelfDefense) -> None:
    """Permit self-defense (Art. 5), unless the named policy forbids it on these grounds."""
    case_id, suspect_id, statement = command.case_id, command.suspect_id, command.statement
    at = uow.now()
    case = await uow.cases.case(case_id, lock=True)
    suspect = await uow.cases.suspect(case_id, suspect_id, lock=True)
    path = await uow.cases.defense(case, suspect)
    path.permit_self_defense(uow.settings.self_defense_policy)
    grounds = path.grounds
    appointed = [
        row for row in await uow.cases.active_defenders(suspect_id) if row.assignment_id is not None
    ]
    await uow.cases.update_suspect(suspect_id, self_defense_permitted_at=at)
    permitted = await uow.emit(
        SelfDefensePermitted(
            suspect_id=suspect_id,
            assignment_id=appointed[-1].assignment_id if appointed else None,
            grounds=grounds,
            statement=statement,
            permitted_at=at,
        ),
        case_id=case_id,
        suspect_id=suspect_id,
    )
    # The letter and the center's assignment period fall away: a defender is found.
    for kind in (ClockKind.NOTICE_DISPATCH, ClockKind.ASSIGNMENT):
        await uow.cases.settle_clocks(kind=kind, suspect_id=suspect_id, at=at, cancel=True)
    await refresh_status(uow, case_id=case_id, suspect_id=suspect_id, at=at, caused_by=permitted)


async def retain_counsel(uow: ProcuratorateUnitOfWork, command: RetainCounsel) -> UUID | None:
    """Counsel retained by the suspect, or by a relative or guardian with the suspect's own
    acceptance (Art. 6: the suspect's opinion decides). An active appointment is to end."""
    case_id, suspect_id, counsel = command.case_id, command.suspect_id, command.counsel
    retained_by, suspect_accepts = command.retained_by, command.suspect_accepts
    at = uow.now()
    case = await uow.cases.case(case_id, lock=True)
    suspect = await uow.cases.suspect(case_id, suspect_id, lock=True)
    if retained_by is not PersonRole.SUSPECT and suspect_accepts is None:
        raise InvalidInput(
            "counsel retained by a relative or guardian needs the suspect's own choice",
            field="suspect_accepts",
        )
    if suspect_accepts is False:
        await uow.emit(
            DefenseDecisionRecorded(
                suspect_id=suspect_id,
                choice=DefenseChoice.NO_COUNSEL,
                decided_by=PersonRole.SUSPECT,
                decided_at=at,
                note=f"the suspect declined counsel {counsel.name} retained by {retained_by}",
            ),
            case_id=case_id,
            suspect_id=suspect_id,
        )
        return None  # the suspect's refusal is on record; nothing is retained
    path = await uow.cases.defense(case, suspect)
    retention_id = uuid.uuid4()
    superseded = path.retain_counsel(retention_id)
    if superseded:
        # Art. 6: aid ends when counsel is retained. The appointment stops counting at once
        # (never two defenders of different kinds); the center's termination follows.
        await uow.cases.end_defenders(
            suspect_id, assignment_ids=superseded, at=at, reason=SUPERSEDED_BY_RETAINED_COUNSEL
        )
    await uow.cases.add_defender(
        suspect_id,
        kind=DefenseStatus.RETAINED.value,
        name=counsel.name,
        firm=counsel.law_firm,
        contact=counsel.contact,
        retention_id=retention_id,
        retained_by=retained_by.value,
        # The account that reads the suspect's case (api/access.py), as an appointed lawyer's
        # roster id does; kept here only, not published: access is this service's to grant.
        lawyer_id=command.lawyer_id,
        started_at=at,
    )
    retained = await uow.emit(
        PrivateCounselRetained(
            retention_id=retention_id,
            suspect_id=suspect_id,
            counsel=counsel,
            retained_by=retained_by,
            retained_at=at,
            active_assignment_id=superseded[-1] if superseded else None,
        ),
        case_id=case_id,
        suspect_id=suspect_id,
    )
    # The letter and the center's assignment period fall away: a defender is found.
    for kind in (ClockKind.NOTICE_DISPATCH, ClockKind.ASSIGNMENT):
        await uow.cases.settle_clocks(kind=kind, suspect_id=suspect_id, at=at, cancel=True)
    await refresh_status(uow, case_id=case_id, suspect_id=suspect_id, at=at, caused_by=retained)
    return retention_id


async def dismiss_counsel(uow: ProcuratorateUnitOfWork, command: DismissCounsel) -> dict[str, Any]:
    """The suspect dismissed retained counsel. After a termination of aid, the letter goes again
    only on an LAL Art. 25(1) ground (Art. 6)."""
    case_id, suspect_id, retention_id = command.case_id, command.suspect_id, command.retention_id
    note = command.note
    at = uow.now()
    case = await uow.cases.case(case_id, lock=True)
    suspect = await uow.cases.suspect(case_id, suspect_id, lock=True)
    path = await uow.cases.defense(case, suspect)
    renotify = path.dismiss_counsel(retention_id)
    await uow.cases.end_defenders(suspect_id, retention_id=retention_id, at=at, reason="dismissed")
    dismissed = await uow.emit(
        PrivateCounselDismissed(
            retention_id=retention_id, suspect_id=suspect_id, dismissed_at=at, note=note
        ),
        case_id=case_id,
        suspect_id=suspect_id,
    )
    await refresh_status(uow, case_id=case_id, suspect_id=suspect_id, at=at, caused_by=dismissed)
    notice_id = None
    if renotify:
        await uow.cases.start_clock(
            case_id=case_id,
            suspect_id=suspect_id,
            kind=ClockKind.NOTICE_DISPATCH,
            started_at=at,
            period=LETTER.period,
            subject=LETTER_CLOCK_AT_DISMISSAL,
        )
        if case.prosecutor_name:
            path.send_letter()
            refreshed = await uow.cases.suspect(case_id, suspect_id)
            notice_id = await send_notice(
                uow,
                case,
                refreshed,
                sent_at=at,
                case_handler=None,
                # The center needs the case materials again: those of the earlier letter, with
                # what was supplemented to it.
                materials=await uow.cases.earlier_materials(suspect_id),
                caused_by=dismissed,
            )
    return {"renotify": renotify, "notice_id": notice_id}
