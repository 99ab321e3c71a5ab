"""The delivery worker: sends pending jobs, retries failures with exponential backoff.

One job per transaction: the row is claimed with ``FOR UPDATE SKIP LOCKED`` (replicas never
send the same job twice at once), sent, and its outcome and event (NotificationDelivered /
NotificationFailed, through the outbox) committed together.

A send and its commit are one unit for shutdown: a worker cancelled mid-job lets the job finish
and commit (up to ``delivery_shutdown_grace_seconds``) before it stops, since a job cut off after
the channel accepted it would be sent again. Only a crash (or a database lost before the commit)
re-sends a job: delivery is at least once, and every attempt of a job carries the job's id as the
idempotency key the receiver de-duplicates on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from opentelemetry.trace import SpanKind, Status, StatusCode

from defense_messaging.log_context import bound
from defense_messaging.tracing import TRACEPARENT, context_from_headers, span
from defense_schemas.events.notifier import NotificationDelivered, NotificationFailed
from defense_schemas.vocabulary import DeliveryChannel, RecipientRole
from notifier.channels import Channels, DeliveryError, OutgoingMessage
from notifier.channels.email import SmtpChannel
from notifier.channels.sms import FileSmsGateway, HttpSmsGateway, SmsChannel, SmsGateway
from notifier.channels.webhook import WebhookChannel
from notifier.db.personal import open_delivery, seal_last_error
from notifier.db.publishing import publish_in_thread
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


async def deliver_one(runtime: Runtime, channels: Channels, settings: NotifierSettings) -> bool:
    """Send the most overdue pending job, if any; True when one was handled."""
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
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
            )
            .mappings()
            .one_or_none()
        )
        if claimed is None:
            return False
        row = open_delivery(uow.cipher, claimed)  # decrypted only to send
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
                await _failed(uow, settings, row, attempt, str(error))
            except Exception as error:  # a channel bug must not stall every other job
                log.exception("channel %s raised", row["channel"])
                if sending is not None:
                    sending.set_status(Status(StatusCode.ERROR, type(error).__name__))
                await _failed(uow, settings, row, attempt, repr(error))
            else:
                await _delivered(uow, row, attempt)
        return True


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


async def _delivered(uow: NotifierUnitOfWork, row: Mapping[str, Any], attempt: int) -> None:
    now = uow.now()
    await uow.session.execute(
        sa.update(deliveries)
        .where(deliveries.c.notification_id == row["notification_id"])
        .values(status="delivered", attempts=attempt, delivered_at=now, next_attempt_at=None)
    )
    await publish_in_thread(
        uow,
        NotificationDelivered(**_common(row, attempt), delivered_at=now),  # type: ignore[arg-type]
        case_id=row["case_id"],
        correlation_id=row["correlation_id"],
        causation_id=row["about_event_id"],
    )


async def _failed(
    uow: NotifierUnitOfWork,
    settings: NotifierSettings,
    row: Mapping[str, Any],
    attempt: int,
    error: str,
) -> None:
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
    await publish_in_thread(
        uow,
        NotificationFailed(  # type: ignore[arg-type]
            **_common(row, attempt), failed_at=now, error=error[:4000], will_retry=will_retry
        ),
        case_id=row["case_id"],
        correlation_id=row["correlation_id"],
        causation_id=row["about_event_id"],
    )


async def run_delivery_worker(runtime: Runtime, channels: Channels) -> None:
    """Forever: send what is due, then sleep for the poll interval."""
    settings = runtime.settings
    assert isinstance(settings, NotifierSettings)
    while True:
        try:
            handled = 0
            while handled < settings.delivery_batch_size and await _finished_before_stopping(
                deliver_one(runtime, channels, settings),
                settings.delivery_shutdown_grace_seconds,
            ):
                handled += 1
            if handled == settings.delivery_batch_size:
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
