"""Emitting the notifier's own events through the outbox when no incoming envelope caused
them (the worker and the scanner act on their own time)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from defense_schemas import BaseEvent, Envelope
from service_runtime.app import Runtime


async def publish_in_thread(
    runtime: Runtime,
    session: AsyncSession,
    event: BaseEvent,
    *,
    case_id: UUID,
    correlation_id: UUID,
    causation_id: UUID | None,
) -> Envelope:
    """Queue `event` in the caller's transaction, in the workflow thread (`correlation_id`) of
    the event that started the job; `causation_id` names that event."""
    envelope = Envelope.for_event(
        event,
        case_id=case_id,
        producer=runtime.publisher.producer,
        correlation_id=correlation_id,
        causation_id=causation_id,
    )
    await runtime.outbox.add(session, envelope, runtime.publisher.topic)
    return envelope
