"""Intake: the case and its suspects, the notice of defense (通知辩护公函) checked, supplemented
and accepted (Measures Art. 3-4), and the legal-aid application forwarded (申请指派); an accepted
notice is appointed at once, in the same unit of work; an application waits for the center's
review (``use_cases/applications.py``).

Each takes the procuratorate's event as its command, with the case, the event's envelope (the
cause of what is emitted) and its time; storage only through ``uow.aid``, personal data sealed
with ``uow.cipher`` before it is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from aid_center.db.personal import (
    open_letter,
    seal_letter,
    seal_notice_name,
    seal_place,
    seal_suspect_name,
)
from aid_center.domain.errors import NotKnown
from aid_center.domain.minors import is_minor_on
from aid_center.domain.notice_intake import LetterFacts, NoticeCheck, check_notice
from aid_center.domain.status import NoticeStatus
from aid_center.unit_of_work import AidCenterUnitOfWork
from aid_center.use_cases.applications import (
    applicant_relationship,
    review_period,
    seal_applicant,
)
from aid_center.use_cases.appointing import appoint
from defense_schemas import Envelope
from defense_schemas.events.aid_center import NoticeAccepted, SupplementRequested
from defense_schemas.events.procuratorate import (
    CaseReceived,
    DefenseNoticeSent,
    LegalAidApplicationForwarded,
    NoticeSupplemented,
)
from defense_schemas.vocabulary import Ground
from legal_calendar import legal_date
from legal_calendar.deadlines import ASSIGNMENT, assignment_started_at


def letter_facts(letter: Mapping[str, Any]) -> LetterFacts:
    handler = letter.get("case_handler") or {}
    return LetterFacts(
        suspect_name=letter.get("suspect_name"),
        charges=letter.get("charges") or (),
        place_of_detention_or_residence=letter.get("place_of_detention_or_residence"),
        grounds=[Ground(g) for g in letter.get("grounds") or ()],
        case_handler_name=handler.get("name"),
        case_handler_contact=handler.get("contact"),
        transferring_agency=letter.get("transferring_agency"),
        has_guardian=letter.get("guardian") is not None,
    )


async def receive_case(uow: AidCenterUnitOfWork, event: CaseReceived, *, case_id: UUID) -> None:
    """The case and its natural-person suspects, as the center needs them. A re-transfer or a
    change of jurisdiction receives the same case again: its facts are replaced, except that a
    suspect once judged a minor stays one."""
    received_on = legal_date(event.received_at)
    await uow.aid.receive_case(
        case_id,
        {
            "district": event.district,
            "procuratorate_unit": event.procuratorate_unit,
            "transferring_agency": event.transferring_agency,
            "received_at": event.received_at,
        },
        [
            {
                "suspect_id": suspect.suspect_id,
                "case_id": case_id,
                "name": seal_suspect_name(uow.cipher, suspect.suspect_id, suspect.name),
                "birth_date": suspect.birth_date,
                "gender": suspect.gender.value,
                "likely_sentence": suspect.likely_sentence.value,
                # Under 18 at the offence where the transfer states it, else on the day the
                # case was received (LAL Art. 25(1)(1)); the letter's grounds are
                # authoritative, this is the center's own reading for the specialist
                # preference. A later receipt of the same case never drops it (the
                # repository keeps it): the suspect turning 18 during the review stays a
                # minor's case.
                "minor": is_minor_on(suspect.birth_date, suspect.minority_judged_on(received_on)),
                "charges": list(suspect.charges),
                "place_of_detention_or_residence": seal_place(
                    uow.cipher, suspect.suspect_id, suspect.place_of_detention_or_residence
                ),
            }
            for suspect in event.suspects
        ],
    )


def _decision(check: NoticeCheck, at: datetime) -> dict[str, Any]:
    """The notice's columns once checked: what is missing, or accepted."""
    if not check.complete:
        return {
            "status": NoticeStatus.SUPPLEMENT_REQUESTED,
            "missing_items": [item.value for item in check.missing_items],
            "missing_materials": list(check.missing_materials),
            "updated_at": at,
        }
    return {
        "status": NoticeStatus.ACCEPTED,
        "missing_items": [],
        "missing_materials": [],
        "accepted_at": at,
        "updated_at": at,
    }


async def announce(
    uow: AidCenterUnitOfWork,
    caused_by: Envelope | None,
    notice: Mapping[Any, Any],
    check: NoticeCheck,
    at: datetime,
    period_started_at: datetime,
    *,
    appointing: bool = True,
) -> None:
    """Emit the decision ``notice`` (the row as written) carries: a supplement request naming
    exactly what is missing, or the acceptance and then (unless ``appointing`` is False: the
    caller appoints) the appointment. The acceptance states when the assignment period started
    (``legal_calendar.deadlines.ASSIGNMENT``), so every service counts it from the same
    instant."""
    if not check.complete:
        await uow.publish(
            SupplementRequested(
                notice_id=notice["notice_id"],
                suspect_id=notice["suspect_id"],
                requested_at=at,
                missing_items=check.missing_items,
                detail=check.detail(),
            ),
            case_id=notice["case_id"],
            caused_by=caused_by,
        )
        return
    await uow.publish(
        NoticeAccepted(
            notice_id=notice["notice_id"],
            suspect_id=notice["suspect_id"],
            received_at=period_started_at,
            accepted_at=at,
        ),
        case_id=notice["case_id"],
        caused_by=caused_by,
    )
    if not appointing:
        return
    # Assignment runs at once, inside this transaction: the 3-day clock is already running.
    await appoint(uow, notice["notice_id"], caused_by=caused_by, at=at, request_row=notice)


async def receive_notice(
    uow: AidCenterUnitOfWork,
    event: DefenseNoticeSent,
    *,
    case_id: UUID,
    caused_by: Envelope | None,
    at: datetime,
) -> None:
    """Measures Art. 3-4: the letter checked, and either a supplement asked for or the notice
    accepted and appointed. The same letter again (another event id) changes nothing.
    (``use_cases/notice_batch.py`` does the same for a consumer transaction's letters.)"""
    values, check = notice_row(uow, event, case_id=case_id, at=at)
    notice = await uow.aid.store_notice(values)
    if notice is None:
        return  # the same letter again under another event id: already handled
    await announce(uow, caused_by, notice, check, at, values["received_at"])


def notice_row(
    uow: AidCenterUnitOfWork, event: DefenseNoticeSent, *, case_id: UUID, at: datetime
) -> tuple[dict[str, Any], NoticeCheck]:
    """The letter's row as stored, with its check's outcome, and the check."""
    # Received when sent (electronic document flow): the period is the law's, and a backlog
    # in this consumer must not lengthen it. Provisional (and flagged) when the year's
    # official calendar is not loaded.
    received_at = assignment_started_at(event.sent_at, None)
    deadline = ASSIGNMENT.due(received_at, uow.calendar)
    letter = event.letter.model_dump(mode="json")
    check = check_notice(letter_facts(letter), event.materials, uow.settings.required_materials)
    return (
        {
            "notice_id": event.notice_id,
            "case_id": case_id,
            "suspect_id": event.suspect_id,
            "document_number": event.letter.document_number.text,
            "procuratorate_unit": event.letter.procuratorate_unit,
            "addressee_center": event.letter.addressee_center,
            "suspect_name": seal_notice_name(
                uow.cipher, event.notice_id, event.letter.suspect_name
            ),
            "grounds": [g.value for g in event.letter.grounds],
            "letter": seal_letter(uow.cipher, event.notice_id, letter),
            "materials": list(event.materials),
            "wishes": event.recipient_wishes.model_dump(mode="json")
            if event.recipient_wishes
            else None,
            "received_at": received_at,
            "assignment_due_on": deadline.due_on,
            "assignment_due_provisional": deadline.provisional,
            "assignment_started_at": received_at,
            "assignment_missing_years": list(deadline.missing_years),
            # Every key of both outcomes, so the statement's columns (and its cache entry)
            # are the same for each letter.
            "accepted_at": None,
            **_decision(check, at),
        },
        check,
    )


async def supplement_notice(
    uow: AidCenterUnitOfWork,
    event: NoticeSupplemented,
    *,
    case_id: UUID,
    caused_by: Envelope | None,
    at: datetime,
) -> None:
    """Measures Art. 3 ¶3: the procuratorate completed the letter. A supplement to a letter
    the center asked to complete is checked again; one that completes it restarts the
    assignment period from the supplement. A supplement nothing waited for is kept, and
    decides nothing again."""
    decided = await record_supplement(uow, event, at=at)
    if decided is not None:
        notice, check, started_at = decided
        await announce(uow, caused_by, notice, check, at, started_at)


async def record_supplement(
    uow: AidCenterUnitOfWork, event: NoticeSupplemented, *, at: datetime
) -> tuple[Mapping[Any, Any], NoticeCheck, datetime] | None:
    """The supplement written to the notice; for a letter the center asked to complete, the
    row checked again, the check and the period's start (what ``announce`` tells), else None.
    A rebuild (``aid_center.replay``) writes the same and announces nothing."""
    notice = await uow.aid.notice(event.notice_id)
    if notice is None:
        raise NotKnown(
            "notice", event.notice_id, message=f"notice {event.notice_id} was never received"
        )
    materials = list(notice["materials"]) + [
        m for m in event.added_materials if m not in notice["materials"]
    ]
    letter: dict[str, Any] = (
        event.revised_letter.model_dump(mode="json")
        if event.revised_letter
        else open_letter(uow.cipher, event.notice_id, dict(notice["letter"]))
    )
    values: dict[str, Any] = {
        "materials": materials,
        "letter": seal_letter(uow.cipher, event.notice_id, letter),
    }
    if event.revised_letter is not None:
        values["grounds"] = [g.value for g in event.revised_letter.grounds]
        values["suspect_name"] = seal_notice_name(
            uow.cipher, event.notice_id, event.revised_letter.suspect_name
        )
    if notice["status"] != NoticeStatus.SUPPLEMENT_REQUESTED:
        await uow.aid.update_notice(event.notice_id, values)
        return None
    check = check_notice(letter_facts(letter), materials, uow.settings.required_materials)
    # A letter the center asked to complete is received complete with the supplement that
    # completes it: the assignment period starts again from it
    # (legal_calendar.deadlines.ASSIGNMENT); one that is still incomplete restarts nothing.
    started_at = assignment_started_at(
        notice["received_at"], event.supplemented_at if check.complete else None
    )
    deadline = ASSIGNMENT.due(started_at, uow.calendar)
    decided = await uow.aid.update_notice(
        event.notice_id,
        values
        | {
            "assignment_due_on": deadline.due_on,
            "assignment_due_provisional": deadline.provisional,
            "assignment_started_at": started_at,
            "assignment_missing_years": list(deadline.missing_years),
        }
        | _decision(check, at),
    )
    return decided, check, started_at


async def receive_application(
    uow: AidCenterUnitOfWork,
    event: LegalAidApplicationForwarded,
    *,
    case_id: UUID,
    caused_by: Envelope | None,
    at: datetime,
) -> None:
    """A suspect outside the mandatory scope (or a relative) applied for legal aid and the
    procuratorate forwarded the application: the center reviews it within 7 days of receipt
    (LAL Art. 43, ``use_cases/applications.py``); a lawyer follows a grant. The application is
    received when forwarded (electronic flow). The same application again changes nothing."""
    values: dict[str, Any] = {
        "application_id": event.application_id,
        "case_id": case_id,
        "suspect_id": event.suspect_id,
        "status": NoticeStatus.UNDER_REVIEW,
        "applied_by": event.applied_by.value,
        "applied_at": event.applied_at,
        "forwarded_at": event.forwarded_at,
        "addressee_center": event.addressee_center,
        "received_at": at,
        # The event's time, not the writing's: a rebuild writes the same row.
        "updated_at": at,
        "applicant_name": event.applicant.name if event.applicant else None,
        "applicant_contact": event.applicant.contact if event.applicant else None,
        "applicant_relationship": applicant_relationship(event),
        "hardship_statement": event.economic_hardship_statement,
        "exemption_grounds": [g.value for g in event.exemption_grounds],
        "materials": list(event.materials),
        **review_period(uow, event.forwarded_at),
    }
    seal_applicant(uow, event.application_id, values)
    await uow.aid.store_application(values)
