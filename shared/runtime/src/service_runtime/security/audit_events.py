"""Event handlers that write a case's personal data leave an audit entry too (issue 7).

No person is behind a consumed event: the actor is ``Actor.system(<consumer group>)``, the
resource the event type, the record the event id. The entry is appended in the consumer's own
transaction, after the write, so it commits or rolls back with it (a redelivered event skipped
by the inbox writes neither). Appending takes the chain-head advisory lock until that
transaction commits: fine for one partition's batch.

    DefenseNoticeSent: audited_handler(runtime, on_notice, fields=("letter",))
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from defense_schemas import BaseEvent, Envelope
from service_runtime.security.audit import Actor, AuditEntry, append_audit

EventHandler = Callable[[AsyncSession, Envelope, Any], Awaitable[None]]


def system_actor(runtime: Any) -> Actor:
    """The consumer that applies events: its group names it (one per service deployment)."""
    return Actor.system(runtime.settings.consumer_group or runtime.definition.name)


async def audit_event_write(
    session: AsyncSession,
    runtime: Any,
    envelope: Envelope,
    event: BaseEvent,
    *,
    fields: tuple[str, ...],
    resource: str | None = None,
) -> None:
    """Record that applying ``event`` wrote the personal-data ``fields`` of its case."""
    await append_audit(
        session,
        runtime.definition.tables.audit_log,
        system_actor(runtime),
        AuditEntry(
            resource=resource or f"event:{event.event_type}",
            action="write",
            case_id=envelope.case_id,
            record_id=str(envelope.event_id),
            fields=fields,
        ),
        service=runtime.definition.name,
    )


def audited_handler(
    runtime: Any, handler: EventHandler, *, fields: tuple[str, ...], resource: str | None = None
) -> EventHandler:
    """``handler``, followed by its audit entry in the same transaction."""

    async def wrapped(session: AsyncSession, envelope: Envelope, event: Any) -> None:
        await handler(session, envelope, event)
        await audit_event_write(session, runtime, envelope, event, fields=fields, resource=resource)

    return wrapped
