"""Creating delivery jobs for an event, in the consumer's transaction.

The jobs of a whole batch are composed in memory from the batch's rows and inserted together.
The job row is the durable promise to deliver: it is committed with the inbox row, so a
redelivered event finds its inbox row and creates nothing, and the unique key
(event, recipient, keyed hash of the address, channel) guards any other path to a second
job. The address, name and message are stored encrypted (db/personal.py).
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from defense_messaging.tracing import TRACEPARENT, headers_for_cause
from defense_schemas import BaseEvent, Envelope, Producer
from defense_schemas.vocabulary import RecipientRole
from notifier.db.personal import address_hash, seal_delivery, seal_last_error
from notifier.db.tables import deliveries
from notifier.domain import ids
from notifier.domain.deliveries import AUDIENCE, Contact, Recipient, recipients_for
from notifier.domain.templates import Message, TemplateProblem, render
from notifier.handlers.batch import ProjectionBatch
from notifier.replay import REPLAYED_REASON
from notifier.settings import NotifierSettings
from service_runtime.security.fields import FieldCipher

log = logging.getLogger(__name__)


def agency_webhooks(settings: NotifierSettings) -> dict[RecipientRole, str]:
    hooks: dict[RecipientRole, str] = {}
    if settings.procuratorate_webhook_url:
        hooks[RecipientRole.PROCURATORATE] = settings.procuratorate_webhook_url
    if settings.aid_center_webhook_url:
        hooks[RecipientRole.AID_CENTER] = settings.aid_center_webhook_url
    return hooks


def _templates(batch: ProjectionBatch, event_type: str, role: str) -> list[tuple[str, str]]:
    """The templates to try, most specific first: (type, role), (type, *), (*, *)."""
    keys = [(event_type, role), (event_type, "*"), ("*", "*")]
    return [batch.templates[key] for key in keys if key in batch.templates]


def _context(
    batch: ProjectionBatch, envelope: Envelope, event: BaseEvent, recipient: Recipient
) -> dict[str, Any]:
    case = batch.case(envelope.case_id)
    suspect = (
        batch.suspect(envelope.case_id, recipient.suspect_id)
        if recipient.suspect_id is not None
        else None
    )
    return {
        "case": {
            "transfer_number": case["transfer_number"] or "",
            "procuratorate_unit": case["procuratorate_unit"] or "",
            "district": case["district"] or "",
        },
        "suspect_name": (suspect or {}).get("name") or "",
        "recipient_name": recipient.name or "",
        "event_type": event.event_type,
        "event": event.model_dump(mode="json"),
    }


def compose(
    batch: ProjectionBatch, envelope: Envelope, event: BaseEvent, recipient: Recipient
) -> Message:
    """The message from the most specific template that renders; a template an operator broke
    must not stop the notification, so the next one is tried."""
    context = _context(batch, envelope, event, recipient)
    for subject, body in _templates(batch, event.event_type, recipient.role.value):
        try:
            return render(subject, body, context)
        except TemplateProblem as problem:
            log.warning(
                "template %s/%s does not render: %s", event.event_type, recipient.role, problem
            )
    return Message(subject=event.event_type, body=f"{event.event_type}（案件 {envelope.case_id}）")


def waiting_for(batch: ProjectionBatch, envelope: Envelope, event: BaseEvent) -> str | None:
    """What fact the messages of an aid-center event still wait for, if any.

    The aid center's events answer the procuratorate's, but the two topics reach the notifier
    in no particular order: ``LawyerAssigned`` can come before the case's ``CaseReceived``
    (which names the prosecutor) and the letter's ``DefenseNoticeSent`` (whose case handler
    replaces the prosecutor as the contact). Planned then, the prosecutor would never hear of
    the lawyer. Such an event's messages are held until the letter (for an event naming one)
    or the case is known, and planned then, to the contacts they would have had in order."""
    if event.producer is not Producer.AID_CENTER or event.event_type not in AUDIENCE:
        return None
    if batch.case(envelope.case_id)["transfer_number"] is None:
        return "case"
    suspect_id = getattr(event, "suspect_id", None)
    if getattr(event, "notice_id", None) is not None and suspect_id is not None:
        suspect = batch.suspect(envelope.case_id, suspect_id)
        if suspect is None or not suspect["notice_sent"]:
            return "notice"
    return None


def plan_deliveries(
    batch: ProjectionBatch,
    cipher: FieldCipher,
    settings: NotifierSettings,
    envelope: Envelope,
    event: BaseEvent,
    known: list[Contact] | None = None,
    *,
    replayed: bool = False,
) -> list[dict[str, Any]]:
    """One pending job (a ``deliveries`` row, personal fields sealed) per recipient of `event`
    among ``known`` (default: the case's current contacts); a skipped one for an event the
    original run already delivered (``replayed``, see notifier.replay) or older than
    ``deliver_events_since``."""
    now = batch.now  # the unit of work's clock: a replay plans the same jobs
    since = settings.deliver_events_since
    # Every job of a batch carries the same columns: they go out in one executemany.
    fate: dict[str, Any] = {"status": "pending", "next_attempt_at": now, "last_error": None}
    if replayed:
        fate = {"status": "skipped", "next_attempt_at": None, "last_error": REPLAYED_REASON}
    elif since is not None and envelope.occurred_at < since:
        fate = {
            "status": "skipped",
            "next_attempt_at": None,
            "last_error": f"the event occurred before deliver_events_since ({since.isoformat()})",
        }
    jobs = []
    if known is None:
        known = batch.contacts_of(envelope.case_id)
    for recipient in recipients_for(event, known, agency_webhooks(settings)):
        message = compose(batch, envelope, event, recipient)
        hashed = address_hash(cipher, recipient.address)
        notification_id = ids.notification_id(
            envelope.event_id, recipient.role.value, hashed, recipient.channel.value
        )
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
        jobs.append(
            {
                "notification_id": notification_id,
                "case_id": envelope.case_id,
                "suspect_id": recipient.suspect_id,
                "about_event_id": envelope.event_id,
                "about_event_type": event.event_type,
                "correlation_id": envelope.correlation_id,
                "recipient_role": recipient.role.value,
                "channel": recipient.channel.value,
                "address_hash": hashed,
                **fate,
                "last_error": seal_last_error(cipher, notification_id, fate["last_error"]),
                **personal,
                # The worker sends later, in a task of its own: it continues this trace. A
                # replayed job is never sent.
                "traceparent": None if replayed else _traceparent(envelope.event_id),
            }
        )
    return jobs


def _traceparent(cause: UUID) -> str | None:
    return next((value for name, value in headers_for_cause(cause) if name == TRACEPARENT), None)


async def insert_deliveries(session: AsyncSession, jobs: list[dict[str, Any]]) -> set[UUID]:
    """Insert the jobs; returns the ids created (a job the unique key already holds is not)."""
    if not jobs:
        return set()
    return set(
        (
            await session.scalars(
                pg_insert(deliveries)
                .on_conflict_do_nothing(constraint="uq_delivery_per_recipient")
                .returning(deliveries.c.notification_id),
                jobs,
            )
        ).all()
    )
