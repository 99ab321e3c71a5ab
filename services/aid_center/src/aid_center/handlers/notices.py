"""The notice of defense (通知辩护公函): check, supplement, accept, then appoint (Art. 3–4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from aid_center.appointing import NoticeStatus, appoint, now
from aid_center.db.personal import open_letter, seal_letter
from aid_center.db.tables import cases, notices
from aid_center.domain.notice_intake import LetterFacts, NoticeCheck, check_notice
from aid_center.settings import AidCenterSettings
from defense_messaging import Handler, PermanentEventError
from defense_schemas import Envelope
from defense_schemas.events.aid_center import NoticeAccepted, SupplementRequested
from defense_schemas.events.procuratorate import DefenseNoticeSent, NoticeSupplemented
from defense_schemas.vocabulary import Ground
from legal_calendar import CalendarDays, compute_deadline, legal_date
from service_runtime.app import Runtime

ASSIGNMENT_PERIOD = CalendarDays(3)
"""Measures Art. 4, LAL Art. 36: 自收到通知辩护公函之日起三日内 (the shared calendar counts it)."""


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


def _settings(runtime: Runtime) -> AidCenterSettings:
    settings = runtime.settings
    assert isinstance(settings, AidCenterSettings)
    return settings


async def _decide(
    session: AsyncSession,
    runtime: Runtime,
    envelope: Envelope,
    notice: Mapping[str, Any],
    check: NoticeCheck,
) -> None:
    """Ask for a supplement naming exactly what is missing, or accept and appoint."""
    at = now()
    if not check.complete:
        await session.execute(
            sa.update(notices)
            .where(notices.c.notice_id == notice["notice_id"])
            .values(
                status=NoticeStatus.SUPPLEMENT_REQUESTED,
                missing_items=[item.value for item in check.missing_items],
                missing_materials=list(check.missing_materials),
                updated_at=at,
            )
        )
        await runtime.publisher.publish(
            session,
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
    await session.execute(
        sa.update(notices)
        .where(notices.c.notice_id == notice["notice_id"])
        .values(
            status=NoticeStatus.ACCEPTED,
            missing_items=[],
            missing_materials=[],
            accepted_at=at,
            updated_at=at,
        )
    )
    await runtime.publisher.publish(
        session,
        NoticeAccepted(
            notice_id=notice["notice_id"],
            suspect_id=notice["suspect_id"],
            received_at=notice["received_at"],
            accepted_at=at,
        ),
        case_id=notice["case_id"],
        caused_by=envelope,
    )
    # Assignment runs at once, inside this transaction: the 3-day clock is already running.
    await appoint(session, runtime, notice["notice_id"], caused_by=envelope)


async def _notice(session: AsyncSession, notice_id: object) -> Mapping[str, Any] | None:
    return (
        (await session.execute(sa.select(notices).where(notices.c.notice_id == notice_id)))
        .mappings()
        .first()
    )


def on_defense_notice_sent(runtime: Runtime) -> Handler:
    async def handle(session: AsyncSession, envelope: Envelope, event: DefenseNoticeSent) -> None:
        if await _notice(session, event.notice_id) is not None:
            return  # the same letter again under another event id: already handled
        received_at = now()
        # The clock the center must keep; computed by the shared legal calendar, provisional
        # (and flagged) when the year's official calendar is not loaded.
        deadline = compute_deadline(
            legal_date(received_at), ASSIGNMENT_PERIOD, runtime.calendar, allow_provisional=True
        )
        district = await session.scalar(
            sa.select(cases.c.district).where(cases.c.case_id == envelope.case_id)
        )
        letter = event.letter.model_dump(mode="json")
        await session.execute(
            sa.insert(notices).values(
                notice_id=event.notice_id,
                case_id=envelope.case_id,
                suspect_id=event.suspect_id,
                status=NoticeStatus.ACCEPTED,
                district=district,
                document_number=event.letter.document_number.text,
                procuratorate_unit=event.letter.procuratorate_unit,
                suspect_name=event.letter.suspect_name,
                grounds=[g.value for g in event.letter.grounds],
                letter=seal_letter(session, event.notice_id, letter),
                materials=list(event.materials),
                wishes=event.recipient_wishes.model_dump(mode="json")
                if event.recipient_wishes
                else None,
                received_at=received_at,
                assignment_due_on=deadline.due_on,
                assignment_due_provisional=deadline.provisional,
            )
        )
        notice = await _notice(session, event.notice_id)
        assert notice is not None
        check = check_notice(
            letter_facts(letter), event.materials, _settings(runtime).required_materials
        )
        await _decide(session, runtime, envelope, notice, check)

    return handle


def on_notice_supplemented(runtime: Runtime) -> Handler:
    async def handle(session: AsyncSession, envelope: Envelope, event: NoticeSupplemented) -> None:
        notice = await _notice(session, event.notice_id)
        if notice is None:
            raise PermanentEventError(f"notice {event.notice_id} was never received")
        materials = list(notice["materials"]) + [
            m for m in event.added_materials if m not in notice["materials"]
        ]
        letter: dict[str, Any] = (
            event.revised_letter.model_dump(mode="json")
            if event.revised_letter
            else open_letter(session, event.notice_id, dict(notice["letter"]))
        )
        values: dict[str, Any] = {
            "materials": materials,
            "letter": seal_letter(session, event.notice_id, letter),
        }
        if event.revised_letter is not None:
            values["grounds"] = [g.value for g in event.revised_letter.grounds]
            values["suspect_name"] = event.revised_letter.suspect_name
        await session.execute(
            sa.update(notices).where(notices.c.notice_id == event.notice_id).values(**values)
        )
        if notice["status"] != NoticeStatus.SUPPLEMENT_REQUESTED:
            return  # nothing was outstanding: keep the supplement, decide nothing again
        notice = await _notice(session, event.notice_id)
        assert notice is not None
        check = check_notice(letter_facts(letter), materials, _settings(runtime).required_materials)
        await _decide(session, runtime, envelope, notice, check)

    return handle
