"""Creating delivery jobs for an event, in the consumer's transaction.

The job row is the durable promise to deliver: it is committed with the inbox row, so a
redelivered event finds its inbox row and creates nothing, and the unique key
(event, recipient, keyed hash of the address, channel) guards any other path to a second
job. The address, name and message are stored encrypted (db/personal.py).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from defense_schemas import BaseEvent, Envelope
from defense_schemas.vocabulary import RecipientRole
from notifier.db.personal import address_hash, seal_delivery
from notifier.db.tables import cases, deliveries, suspects, templates
from notifier.domain.deliveries import Recipient, recipients_for
from notifier.domain.templates import Message, TemplateProblem, render
from notifier.handlers.projection import case_contacts
from notifier.settings import NotifierSettings
from service_runtime.security.personal import cipher_of

log = logging.getLogger(__name__)


def agency_webhooks(settings: NotifierSettings) -> dict[RecipientRole, str]:
    hooks: dict[RecipientRole, str] = {}
    if settings.procuratorate_webhook_url:
        hooks[RecipientRole.PROCURATORATE] = settings.procuratorate_webhook_url
    if settings.aid_center_webhook_url:
        hooks[RecipientRole.AID_CENTER] = settings.aid_center_webhook_url
    return hooks


async def _template(session: AsyncSession, event_type: str, role: str) -> list[tuple[str, str]]:
    """The templates to try, most specific first: (type, role), (type, *), (*, *)."""
    rows = await session.execute(
        sa.select(
            templates.c.event_type,
            templates.c.recipient_role,
            templates.c.subject,
            templates.c.body,
        ).where(
            sa.tuple_(templates.c.event_type, templates.c.recipient_role).in_(
                [(event_type, role), (event_type, "*"), ("*", "*")]
            )
        )
    )
    rank = {(event_type, role): 0, (event_type, "*"): 1, ("*", "*"): 2}
    found = sorted(rows, key=lambda row: rank[(row[0], row[1])])
    return [(row[2], row[3]) for row in found]


async def _context(
    session: AsyncSession, envelope: Envelope, event: BaseEvent, recipient: Recipient
) -> dict[str, Any]:
    case = (
        (await session.execute(sa.select(cases).where(cases.c.case_id == envelope.case_id)))
        .mappings()
        .one()
    )
    suspect_name = None
    if recipient.suspect_id is not None:
        suspect_name = await session.scalar(
            sa.select(suspects.c.name).where(
                suspects.c.case_id == envelope.case_id,
                suspects.c.suspect_id == recipient.suspect_id,
            )
        )
    return {
        "case": {
            "transfer_number": case["transfer_number"] or "",
            "procuratorate_unit": case["procuratorate_unit"] or "",
            "district": case["district"] or "",
        },
        "suspect_name": suspect_name or "",
        "recipient_name": recipient.name or "",
        "event_type": event.event_type,
        "event": event.model_dump(mode="json"),
    }


async def compose(
    session: AsyncSession, envelope: Envelope, event: BaseEvent, recipient: Recipient
) -> Message:
    """The message from the most specific template that renders; a template an operator broke
    must not stop the notification, so the next one is tried."""
    context = await _context(session, envelope, event, recipient)
    for subject, body in await _template(session, event.event_type, recipient.role.value):
        try:
            return render(subject, body, context)
        except TemplateProblem as problem:
            log.warning(
                "template %s/%s does not render: %s", event.event_type, recipient.role, problem
            )
    return Message(subject=event.event_type, body=f"{event.event_type}（案件 {envelope.case_id}）")


async def plan_deliveries(
    session: AsyncSession, settings: NotifierSettings, envelope: Envelope, event: BaseEvent
) -> list[UUID]:
    """Create one pending job per recipient of `event`; returns the ids created."""
    known = await case_contacts(session, envelope.case_id)
    created: list[UUID] = []
    now = datetime.now(UTC)
    cipher = cipher_of(session)
    for recipient in recipients_for(event, known, agency_webhooks(settings)):
        message = await compose(session, envelope, event, recipient)
        notification_id = uuid4()
        personal = seal_delivery(
            cipher,
            notification_id,
            {
                "recipient_name": recipient.name,
                "address": recipient.address,
                "subject": message.subject,
                "body": message.body,
            },
        )
        result = await session.execute(
            pg_insert(deliveries)
            .values(
                notification_id=notification_id,
                case_id=envelope.case_id,
                suspect_id=recipient.suspect_id,
                about_event_id=envelope.event_id,
                about_event_type=event.event_type,
                correlation_id=envelope.correlation_id,
                recipient_role=recipient.role.value,
                channel=recipient.channel.value,
                address_hash=address_hash(cipher, recipient.address),
                next_attempt_at=now,
                **personal,
            )
            .on_conflict_do_nothing(constraint="uq_delivery_per_recipient")
            .returning(deliveries.c.notification_id)
        )
        if result.scalar_one_or_none() is not None:
            created.append(notification_id)
    return created
