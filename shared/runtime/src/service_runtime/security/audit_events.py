"""Event handlers that write a case's personal data leave an audit entry too.

No person is behind a consumed event: the actor is the service's system actor (its consumer
group), the resource the event type, the record the event id. The entry is recorded in the
handler's unit of work (``service_runtime.unit_of_work``): under the consumer the transaction's
whole batch of entries is appended last, in one statement, before the commit — appending takes
the chain-head advisory lock until the commit, and REST requests' audit entries wait for it, so
it is taken as late as possible — and it commits or rolls back with the write (a redelivered
event skipped by the inbox writes neither).

    DefenseNoticeSent: audited(on_notice, fields=("letter",))
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from defense_schemas import BaseEvent, Envelope
from service_runtime.security.audit import AuditEntry


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
