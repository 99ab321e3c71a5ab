"""The notice of defense (通知辩护公函): check, supplement, accept, then appoint (Art. 3–4)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from aid_center.db.personal import open_letter, seal_letter, seal_notice_name
from aid_center.db.tables import cases, notices
from aid_center.domain.errors import NotKnown
from aid_center.domain.notice_intake import LetterFacts, NoticeCheck, check_notice
from aid_center.domain.status import NoticeStatus
from aid_center.unit_of_work import AidCenterUnitOfWork
from aid_center.use_cases.appointing import appoint
from defense_schemas import Envelope
from defense_schemas.events.aid_center import NoticeAccepted, SupplementRequested
from defense_schemas.events.procuratorate import DefenseNoticeSent, NoticeSupplemented
from defense_schemas.vocabulary import Ground
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


def _decision(check: NoticeCheck, at: datetime) -> dict[str, Any]:
    """The notice's columns once checked: what is missing, or accepted. Written with the
    notice's other columns in the one statement that stores them."""
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


async def _announce(
    uow: AidCenterUnitOfWork,
    envelope: Envelope,
    notice: Mapping[Any, Any],
    check: NoticeCheck,
    at: datetime,
    period_started_at: datetime,
) -> None:
    """Emit the decision ``notice`` (the row as written) carries: a supplement request naming
    exactly what is missing, or the acceptance and then the appointment. The acceptance states
    when the assignment period started (``legal_calendar.deadlines.ASSIGNMENT``), so every
    service counts it from the same instant."""
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
            caused_by=envelope,
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
        caused_by=envelope,
    )
    # Assignment runs at once, inside this transaction: the 3-day clock is already running.
    await appoint(uow, notice["notice_id"], caused_by=envelope, at=at, request_row=notice)


async def _notice(uow: AidCenterUnitOfWork, notice_id: object) -> Mapping[Any, Any] | None:
    return (
        (await uow.session.execute(sa.select(notices).where(notices.c.notice_id == notice_id)))
        .mappings()
        .first()
    )


# One statement stores the letter with its check's outcome and the case's district, and hands
# the row back; a letter already stored (the same one again under another event id) inserts
# nothing and returns no row. Built once: the columns' values are bound at execution.
_STORE_NOTICE = (
    pg_insert(notices)
    .values(
        district=sa.select(cases.c.district)
        .where(cases.c.case_id == sa.bindparam("district_of_case"))
        .scalar_subquery()
    )
    .on_conflict_do_nothing(index_elements=[notices.c.notice_id])
    .returning(*notices.c)
)


async def on_defense_notice_sent(
    uow: AidCenterUnitOfWork, envelope: Envelope, event: DefenseNoticeSent
) -> None:
    # Received when sent (electronic document flow): the period is the law's, and a backlog
    # in this consumer must not lengthen it. Provisional (and flagged) when the year's
    # official calendar is not loaded.
    received_at = assignment_started_at(event.sent_at, None)
    deadline = ASSIGNMENT.due(received_at, uow.calendar)
    letter = event.letter.model_dump(mode="json")
    check = check_notice(letter_facts(letter), event.materials, uow.settings.required_materials)
    at = envelope.occurred_at
    stored = await uow.session.execute(
        _STORE_NOTICE,
        {
            "notice_id": event.notice_id,
            "case_id": envelope.case_id,
            "suspect_id": event.suspect_id,
            "district_of_case": envelope.case_id,
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
    )
    notice = stored.mappings().first()
    if notice is None:
        return  # the same letter again under another event id: already handled
    await _announce(uow, envelope, notice, check, at, received_at)


async def on_notice_supplemented(
    uow: AidCenterUnitOfWork, envelope: Envelope, event: NoticeSupplemented
) -> None:
    notice = await _notice(uow, event.notice_id)
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
    update = sa.update(notices).where(notices.c.notice_id == event.notice_id)
    if notice["status"] != NoticeStatus.SUPPLEMENT_REQUESTED:
        # Nothing was outstanding: keep the supplement, decide nothing again.
        await uow.session.execute(update.values(**values))
        return
    check = check_notice(letter_facts(letter), materials, uow.settings.required_materials)
    at = envelope.occurred_at
    # A letter the center asked to complete is received complete with the supplement that
    # completes it: the assignment period starts again from it
    # (legal_calendar.deadlines.ASSIGNMENT); one that is still incomplete restarts nothing.
    started_at = assignment_started_at(
        notice["received_at"], event.supplemented_at if check.complete else None
    )
    deadline = ASSIGNMENT.due(started_at, uow.calendar)
    values |= {
        "assignment_due_on": deadline.due_on,
        "assignment_due_provisional": deadline.provisional,
        "assignment_started_at": started_at,
        "assignment_missing_years": list(deadline.missing_years),
    }
    # The supplement and the new check's outcome in one update, which returns the row.
    decided = (
        (
            await uow.session.execute(
                update.values(**values, **_decision(check, at)).returning(*notices.c)
            )
        )
        .mappings()
        .one()
    )
    await _announce(uow, envelope, decided, check, at, started_at)
