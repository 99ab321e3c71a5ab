"""Emitting the notifier's own events through the outbox when no incoming envelope caused
them (the worker and the scanner act on their own time)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from defense_schemas import BaseEvent, Envelope
from service_runtime.unit_of_work import UnitOfWork


def envelope_in_thread(
    uow: UnitOfWork[Any],
    event: BaseEvent,
    *,
    case_id: UUID,
    correlation_id: UUID,
    causation_id: UUID | None,
    event_id: UUID | None = None,
) -> Envelope:
    """The envelope :func:`publish_in_thread` queues, for a caller that queues several at once
    (``uow.publisher.publish_many``)."""
    envelope = Envelope.for_event(
        event,
        case_id=case_id,
        producer=uow.publisher.producer,
        correlation_id=correlation_id,
        causation_id=causation_id,
    )
    if event_id is not None:
        envelope = envelope.model_copy(update={"event_id": event_id})
    return envelope


async def publish_in_thread(
    uow: UnitOfWork[Any],
    event: BaseEvent,
    *,
    case_id: UUID,
    correlation_id: UUID,
    causation_id: UUID | None,
    event_id: UUID | None = None,
) -> Envelope:
    """Queue `event` in the unit of work's transaction, in the workflow thread (`correlation_id`) of
    the event that started the job; `causation_id` names that event. ``event_id``: an id derived
    from what the event is about (notifier.domain.ids) instead of a new one."""
    envelope = envelope_in_thread(
        uow,
        event,
        case_id=case_id,
        correlation_id=correlation_id,
        causation_id=causation_id,
        event_id=event_id,
    )
    await uow.publisher.publish_many(uow.session, [envelope])
    return envelope
