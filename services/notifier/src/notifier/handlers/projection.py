"""The case facts the notifier keeps from the events: cases, suspects and the contacts
projection (who can be reached, 联系方式)."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from defense_schemas import BaseEvent, Envelope
from defense_schemas.events import aid_center as aid
from defense_schemas.events import procuratorate as pr
from defense_schemas.vocabulary import (
    ClockKind,
    DefenseChoice,
    ProceduralDecisionKind,
    RecipientRole,
    TerminationReason,
)
from notifier.db.personal import open_contact, seal_contact
from notifier.db.tables import cases, clocks, contacts, suspects
from notifier.domain.clocks import CaseView, ClockKey, SuspectView
from notifier.domain.deliveries import Contact, contacts_from
from service_runtime.security.personal import cipher_of

CONTACT_ID_SEQUENCE = sa.func.pg_get_serial_sequence("contacts", "id")


async def ensure_case(session: AsyncSession, case_id: UUID) -> None:
    await session.execute(pg_insert(cases).values(case_id=case_id).on_conflict_do_nothing())


async def ensure_suspect(session: AsyncSession, case_id: UUID, suspect_id: UUID) -> None:
    await session.execute(
        pg_insert(suspects).values(case_id=case_id, suspect_id=suspect_id).on_conflict_do_nothing()
    )


async def load_view(session: AsyncSession, case_id: UUID) -> CaseView:
    """What the clock rules need to know of a case, as of before the current event."""
    review_deadline = await session.scalar(
        sa.select(cases.c.review_deadline).where(cases.c.case_id == case_id)
    )
    view = CaseView(review_deadline=review_deadline)
    for row in (
        await session.execute(sa.select(suspects).where(suspects.c.case_id == case_id))
    ).mappings():
        view.suspects[row["suspect_id"]] = SuspectView(
            in_scope=row["in_scope"],
            decided_no_counsel=row["decided_no_counsel"],
            notice_sent=row["notice_sent"],
            has_defender=row["has_defender"],
            lawyer_assigned=row["lawyer_assigned"],
        )
    open_rows = await session.execute(
        sa.select(clocks.c.kind, clocks.c.suspect_id, clocks.c.subject).where(
            clocks.c.case_id == case_id, clocks.c.status == "open"
        )
    )
    view.open_clocks = {
        ClockKey(ClockKind(kind), suspect_id, subject) for kind, suspect_id, subject in open_rows
    }
    return view


async def _set_suspect(
    session: AsyncSession, case_id: UUID, suspect_id: UUID, **values: object
) -> None:
    await ensure_suspect(session, case_id, suspect_id)
    await session.execute(
        sa.update(suspects)
        .where(suspects.c.case_id == case_id, suspects.c.suspect_id == suspect_id)
        .values(**values)
    )


async def record_facts(session: AsyncSession, envelope: Envelope, event: BaseEvent) -> int:
    """Update cases, suspects and contacts from `event`; returns how many contacts (personal
    data, stored encrypted) it wrote."""
    case_id = envelope.case_id
    await ensure_case(session, case_id)
    match event:
        case pr.CaseReceived():
            await session.execute(
                sa.update(cases)
                .where(cases.c.case_id == case_id)
                .values(
                    transfer_number=event.transfer_number,
                    procuratorate_unit=event.procuratorate_unit,
                    district=event.district,
                    review_deadline=event.review_deadline,
                    updated_at=sa.func.now(),
                )
            )
            for suspect in event.suspects:
                await _set_suspect(session, case_id, suspect.suspect_id, name=suspect.name)
                if suspect.retained_counsel is not None:
                    await _set_suspect(session, case_id, suspect.suspect_id, has_defender=True)
        case pr.ExpeditedProcedureApplied():
            await _set_review_deadline(session, case_id, event.review_deadline)
        case pr.ProceduralDecisionMade() if event.kind is ProceduralDecisionKind.EXTENSION:
            await _set_review_deadline(session, case_id, event.review_deadline)
        case pr.EligibilityAssessed():
            await _set_suspect(session, case_id, event.suspect_id, in_scope=bool(event.grounds))
        case pr.DefenseDecisionRecorded():
            await _set_suspect(
                session,
                case_id,
                event.suspect_id,
                decided_no_counsel=event.choice is DefenseChoice.NO_COUNSEL,
            )
        case pr.DefenseNoticeSent():
            await _set_suspect(
                session,
                case_id,
                event.suspect_id,
                notice_sent=True,
                aid_center=event.letter.addressee_center,
            )
        case aid.LawyerAssigned() | aid.LawyerReplaced():
            await _set_suspect(
                session,
                case_id,
                event.suspect_id,
                lawyer_assigned=True,
                has_defender=True,
                lawyer_firm=event.lawyer.firm_name,
            )
        case aid.AidTerminated():
            keeps_defender = event.reason in (
                TerminationReason.COUNSEL_RETAINED,
                TerminationReason.SELF_DEFENSE_PERMITTED,
            )
            await _set_suspect(
                session,
                case_id,
                event.suspect_id,
                lawyer_assigned=False,
                has_defender=keeps_defender,
            )
        case pr.PrivateCounselRetained() | pr.SelfDefensePermitted():
            await _set_suspect(session, case_id, event.suspect_id, has_defender=True)
    found, replaced = contacts_from(event)
    for role, suspect_id in replaced:
        await _forget(session, case_id, role, suspect_id)
    cipher = cipher_of(session)
    for contact in found:
        # The id is the associated data of the sealed fields: take it before the insert.
        contact_id: int = (
            await session.execute(sa.select(sa.func.nextval(CONTACT_ID_SEQUENCE)))
        ).scalar_one()
        personal = seal_contact(
            cipher, contact_id, {"name": contact.name, "address": contact.address}
        )
        await session.execute(
            sa.insert(contacts).values(
                id=contact_id,
                case_id=case_id,
                suspect_id=contact.suspect_id,
                role=contact.role.value,
                source_event_id=envelope.event_id,
                **personal,
            )
        )
    return len(found)


async def forget_lawyer(session: AsyncSession, case_id: UUID, suspect_id: UUID) -> None:
    """After a termination the lawyer no longer acts for the suspect: no more messages."""
    await _forget(session, case_id, RecipientRole.LAWYER, suspect_id)


async def _forget(
    session: AsyncSession, case_id: UUID, role: RecipientRole, suspect_id: UUID | None
) -> None:
    suspect_match = (
        contacts.c.suspect_id.is_(None)
        if suspect_id is None
        else contacts.c.suspect_id == suspect_id
    )
    await session.execute(
        sa.delete(contacts).where(
            contacts.c.case_id == case_id, contacts.c.role == role.value, suspect_match
        )
    )


async def _set_review_deadline(session: AsyncSession, case_id: UUID, deadline: object) -> None:
    await session.execute(
        sa.update(cases).where(cases.c.case_id == case_id).values(review_deadline=deadline)
    )


async def case_contacts(session: AsyncSession, case_id: UUID) -> list[Contact]:
    rows = await session.execute(
        sa.select(contacts).where(contacts.c.case_id == case_id).order_by(contacts.c.id)
    )
    cipher = cipher_of(session)
    opened = [open_contact(cipher, row) for row in rows.mappings()]
    return [
        Contact(RecipientRole(row["role"]), row["name"], row["address"], row["suspect_id"])
        for row in opened
    ]
