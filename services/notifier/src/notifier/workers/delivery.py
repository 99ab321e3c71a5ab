"""The delivery worker: sends pending jobs, retries failures with exponential backoff.

Up to ``delivery_claim_size`` due jobs per transaction: the rows are claimed with ``FOR UPDATE
SKIP LOCKED`` (replicas never send the same job twice at once), sent at once, and their outcomes
and events (NotificationDelivered / NotificationFailed, through the outbox) committed together.

The sends and their commit are one unit for shutdown: a worker cancelled mid-send lets the
claimed jobs finish and commit (up to ``delivery_shutdown_grace_seconds``) before it stops, since
a job cut off after the channel accepted it would be sent again. Only a crash (or a database
lost before the commit) re-sends the claimed jobs: delivery is at least once, and every attempt
of a job carries the job's id as the idempotency key the receiver de-duplicates on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from opentelemetry.trace import SpanKind, Status, StatusCode

from defense_messaging.log_context import bound
from defense_messaging.tracing import TRACEPARENT, context_from_headers, span
from defense_schemas import Envelope
from defense_schemas.events.notifier import NotificationDelivered, NotificationFailed
from defense_schemas.vocabulary import DeliveryChannel, RecipientRole
from notifier.channels import Channels, DeliveryError, OutgoingMessage
from notifier.channels.email import SmtpChannel
from notifier.channels.sms import FileSmsGateway, HttpSmsGateway, SmsChannel, SmsGateway
from notifier.channels.webhook import WebhookChannel
from notifier.db.personal import open_delivery, seal_last_error
from notifier.db.publishing import envelope_in_thread
from notifier.db.tables import deliveries
from notifier.domain.deliveries import retry_delay
from notifier.settings import NotifierSettings
from notifier.unit_of_work import NotifierUnitOfWork
from service_runtime.app import Runtime
from service_runtime.tracing import tracer_of

log = logging.getLogger(__name__)

T = TypeVar("T")


def channels_from(settings: NotifierSettings) -> Channels:
    """The channels the settings describe."""
    gateway: SmsGateway
    if settings.sms_gateway == "http":
        if not settings.sms_gateway_url:
            raise ValueError("NOTIFIER_SMS_GATEWAY_URL is required with sms_gateway=http")
        token = (
            settings.sms_gateway_token.get_secret_value() if settings.sms_gateway_token else None
        )
        gateway = HttpSmsGateway(settings.sms_gateway_url, token)
    else:
        gateway = FileSmsGateway(Path(settings.sms_file_path))
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return {
        DeliveryChannel.EMAIL: SmtpChannel(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_sender,
            username=settings.smtp_username,
            password=password,
            start_tls=settings.smtp_start_tls,
        ),
        DeliveryChannel.SMS: SmsChannel(gateway),
        DeliveryChannel.WEBHOOK: WebhookChannel(settings.webhook_secret.get_secret_value()),
    }


async def deliver_due(
    runtime: Runtime, channels: Channels, settings: NotifierSettings, *, limit: int
) -> int:
    """Send up to ``limit`` of the most overdue pending jobs: claimed in one transaction, sent
    at once, their outcomes and events committed together; returns how many were handled.

    A transaction per job cost more than composing and sending it (claim, update, the event's
    outbox row, begin and commit, and the relay's pass after every commit)."""
    async with runtime.unit_of_work() as uow:
        session = uow.session
        claimed = (
            (
                await session.execute(
                    sa.select(deliveries)
                    .where(
                        deliveries.c.status == "pending",
                        deliveries.c.next_attempt_at <= uow.now(),
                    )
                    .order_by(deliveries.c.next_attempt_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            .mappings()
            .all()
        )
        if not claimed:
            return 0
        rows = [open_delivery(uow.cipher, row) for row in claimed]  # decrypted only to send
        errors = await asyncio.gather(*(_send(runtime, channels, row) for row in rows))
        delivered = [row for row, error in zip(rows, errors, strict=True) if error is None]
        now = uow.now()
        outgoing = [_delivered(uow, delivered, now)] if delivered else []
        for row, error in zip(rows, errors, strict=True):
            if error is not None:
                outgoing.append(await _failed(uow, settings, row, row["attempts"] + 1, error))
        if delivered:
            await session.execute(
                sa.update(deliveries)
                .where(deliveries.c.notification_id == sa.bindparam("delivered_id"))
                .values(
                    status="delivered",
                    attempts=sa.bindparam("attempt"),
                    delivered_at=now,
                    next_attempt_at=None,
                ),
                [
                    {"delivered_id": row["notification_id"], "attempt": row["attempts"] + 1}
                    for row in delivered
                ],
            )
        await uow.publisher.publish_many(session, [e for group in outgoing for e in group])
        return len(rows)


async def _send(runtime: Runtime, channels: Channels, row: Mapping[str, Any]) -> str | None:
    """Send one job's message; the channel's error, or None when it accepted the message."""
    attempt = row["attempts"] + 1
    message = OutgoingMessage(
        address=row["address"],
        recipient_name=row["recipient_name"],
        subject=row["subject"],
        body=row["body"],
        metadata={
            "notification_id": str(row["notification_id"]),
            "case_id": str(row["case_id"]),
            "about_event_id": str(row["about_event_id"]),
            "about_event_type": row["about_event_type"],
            "recipient_role": row["recipient_role"],
        },
        idempotency_key=str(row["notification_id"]),
    )
    channel = channels[DeliveryChannel(row["channel"])]
    traceparent = row.get("traceparent")
    # The sending continues the trace of the event that caused it (and so does the
    # NotificationDelivered it publishes).
    with (
        bound(
            case_id=row["case_id"],
            event_id=row["about_event_id"],
            correlation_id=row["correlation_id"],
        ),
        span(
            tracer_of(runtime.tracing),
            f"deliver {row['channel']}",
            parent=context_from_headers([(TRACEPARENT, traceparent)] if traceparent else []),
            kind=SpanKind.CLIENT,
            attributes={
                "defense.notification_id": str(row["notification_id"]),
                "defense.channel": row["channel"],
                "defense.event_type": row["about_event_type"],
                "defense.attempt": attempt,
            },
        ) as sending,
    ):
        try:
            await channel.send(message)
        except DeliveryError as error:
            if sending is not None:
                sending.set_status(Status(StatusCode.ERROR, "delivery failed"))
            return str(error)
        except Exception as error:  # a channel bug must not stall every other job
            log.exception("channel %s raised", row["channel"])
            if sending is not None:
                sending.set_status(Status(StatusCode.ERROR, type(error).__name__))
            return repr(error)
    return None


def _common(row: Mapping[str, Any], attempt: int) -> dict[str, object]:
    return {
        "notification_id": row["notification_id"],
        "suspect_id": row["suspect_id"],
        "about_event_id": row["about_event_id"],
        "about_event_type": row["about_event_type"],
        "recipient_role": RecipientRole(row["recipient_role"]),
        "recipient_name": row["recipient_name"],
        "channel": DeliveryChannel(row["channel"]),
        "address": row["address"],
        "attempt": attempt,
    }


def _delivered(
    uow: NotifierUnitOfWork, rows: Sequence[Mapping[str, Any]], now: datetime
) -> list[Envelope]:
    """The ``NotificationDelivered`` of each job the channels accepted."""
    return [
        envelope_in_thread(
            uow,
            NotificationDelivered(  # type: ignore[arg-type]
                **_common(row, row["attempts"] + 1), delivered_at=now
            ),
            case_id=row["case_id"],
            correlation_id=row["correlation_id"],
            causation_id=row["about_event_id"],
        )
        for row in rows
    ]


async def _failed(
    uow: NotifierUnitOfWork,
    settings: NotifierSettings,
    row: Mapping[str, Any],
    attempt: int,
    error: str,
) -> list[Envelope]:
    """Record a failed attempt (retried later, or failed for good); returns its
    ``NotificationFailed`` to publish."""
    now = uow.now()
    will_retry = attempt < settings.delivery_max_attempts
    values: dict[str, object] = {
        "attempts": attempt,
        "last_error": seal_last_error(uow.cipher, row["notification_id"], error[:4000]),
    }
    if will_retry:
        values["next_attempt_at"] = now + retry_delay(
            attempt, settings.delivery_backoff_base_seconds, settings.delivery_backoff_max_seconds
        )
    else:
        values |= {"status": "failed", "failed_at": now, "next_attempt_at": None}
    # The channel's text can quote the address: it is kept sealed in last_error, not logged.
    log.warning("delivery %s attempt %d failed", row["notification_id"], attempt)
    await uow.session.execute(
        sa.update(deliveries)
        .where(deliveries.c.notification_id == row["notification_id"])
        .values(values)
    )
    failed = NotificationFailed(  # type: ignore[arg-type]
        **_common(row, attempt), failed_at=now, error=error[:4000], will_retry=will_retry
    )
    return [
        envelope_in_thread(
            uow,
            failed,
            case_id=row["case_id"],
            correlation_id=row["correlation_id"],
            causation_id=row["about_event_id"],
        )
    ]


async def run_delivery_worker(runtime: Runtime, channels: Channels) -> None:
    """Forever: send what is due, then sleep for the poll interval."""
    settings = runtime.settings
    assert isinstance(settings, NotifierSettings)
    while True:
        try:
            handled = 0
            while handled < settings.delivery_batch_size:
                limit = min(settings.delivery_claim_size, settings.delivery_batch_size - handled)
                sent = await _finished_before_stopping(
                    deliver_due(runtime, channels, settings, limit=limit),
                    settings.delivery_shutdown_grace_seconds,
                )
                handled += sent
                if sent < limit:
                    break  # nothing more is due
            if handled >= settings.delivery_batch_size:
                continue  # more may be due: no sleep
        except asyncio.CancelledError:
            raise
        except Exception:  # the database may be briefly unreachable: keep going
            log.exception("delivery worker pass failed")
        await asyncio.sleep(settings.delivery_poll_interval_seconds)


async def _finished_before_stopping(job: Coroutine[Any, Any, T], grace: float) -> T:
    """Runs ``job`` so that cancelling the caller does not cut it off: the job gets ``grace``
    seconds to finish (send and commit), then is cancelled (rolled back), and the caller's
    cancellation goes on."""
    task = asyncio.ensure_future(job)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if not task.done():
            log.info("stopping: letting the delivery in flight finish (up to %ss)", grace)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, timeout=grace)
        raise
