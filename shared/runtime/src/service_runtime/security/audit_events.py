"""Event handlers that write a case's personal data leave an audit entry too (issue 7).

No person is behind a consumed event: the actor is ``Actor.system(<consumer group>)``, the
resource the event type, the record the event id. The entry is appended in the consumer's own
transaction, so it commits or rolls back with the write (a redelivered event skipped by the
inbox writes neither). Under the consumer (:class:`AuditedApplier`) the entries are queued and
the transaction's whole batch of them is appended last, in one statement: appending takes the
chain-head advisory lock until the commit, and REST requests' audit entries wait for it, so it is
taken as late as possible rather than at the batch's first event.

    DefenseNoticeSent: audited_handler(runtime, on_notice, fields=("letter",))
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from defense_messaging import Applied, EventApplier
from defense_schemas import BaseEvent, Envelope
from service_runtime.security.audit import Actor, AuditEntry, append_audit, append_audit_many

_PENDING = "pending_event_audit"  # session.info key: the entries queued in this transaction

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
    """Record that applying ``event`` wrote the personal-data ``fields`` of its case: queued
    for the end of the transaction under the consumer, appended at once elsewhere."""
    entry = AuditEntry(
        resource=resource or f"event:{event.event_type}",
        action="write",
        case_id=envelope.case_id,
        record_id=str(envelope.event_id),
        fields=fields,
    )
    pending: list[AuditEntry] | None = session.info.get(_PENDING)
    if pending is not None:
        pending.append(entry)
        return
    await append_audit(
        session,
        runtime.definition.tables.audit_log,
        system_actor(runtime),
        entry,
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


def audited(
    handler: Callable[[Any, Envelope, Any], Awaitable[None]],
    *,
    fields: tuple[str, ...],
    resource: str | None = None,
) -> Callable[[Any, Envelope, Any], Awaitable[None]]:
    """A unit-of-work handler (``service_runtime.unit_of_work``), followed by its audit entry
    in the same unit of work: the consumer appends it with the transaction's others, last."""

    async def wrapped(uow: Any, envelope: Envelope, event: Any) -> None:
        await handler(uow, envelope, event)
        await uow.audit.record(event_write_entry(envelope, event, fields=fields, resource=resource))

    return wrapped


def event_write_entry(
    envelope: Envelope, event: BaseEvent, *, fields: tuple[str, ...], resource: str | None = None
) -> AuditEntry:
    """The audit entry of applying ``event``, which wrote the personal-data ``fields``."""
    return AuditEntry(
        resource=resource or f"event:{event.event_type}",
        action="write",
        case_id=envelope.case_id,
        record_id=str(envelope.event_id),
        fields=fields,
    )


class AuditedApplier:
    """The service's applier, then its queued audit entries, appended in one go before commit."""

    def __init__(self, runtime: Any, inner: EventApplier) -> None:
        self._runtime = runtime
        self._inner = inner

    def handles(self, event: BaseEvent) -> bool:
        return self._inner.handles(event)

    async def apply(self, session: AsyncSession, events: Applied) -> None:
        pending: list[AuditEntry] = []
        session.info[_PENDING] = pending
        try:
            await self._inner.apply(session, events)
        finally:
            del session.info[_PENDING]
        actor = system_actor(self._runtime)
        await append_audit_many(
            session,
            self._runtime.definition.tables.audit_log,
            [(actor, entry) for entry in pending],
            service=self._runtime.definition.name,
        )
