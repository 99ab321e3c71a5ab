"""Event handlers: how the notifier's projection follows the events it consumes.

One handler for every event of the procuratorate and the legal aid center, in the consumer's
transaction: the clock rules read the case as it was, the facts and contacts are updated, the
deliveries the event calls for are created, and the clock changes applied and published.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from defense_messaging import Handler
from defense_schemas import BaseEvent, Envelope, Producer, registered_events
from defense_schemas.events import aid_center as aid
from defense_schemas.events import procuratorate as pr
from notifier.domain.clocks import clock_changes
from notifier.handlers.clocks import apply_clock_changes
from notifier.handlers.deliveries import plan_deliveries
from notifier.handlers.projection import forget_lawyer, load_view, record_facts
from notifier.settings import NotifierSettings
from service_runtime.app import Runtime
from service_runtime.security.audit_events import audit_event_write

CONSUMED: tuple[type[BaseEvent], ...] = tuple(
    model
    for model in registered_events()
    if model.producer in (Producer.PROCURATORATE, Producer.AID_CENTER)
)
"""Every event of the two services: each may carry a contact, move a clock or need a message."""


def personal_fields_written(
    event: BaseEvent, contacts_written: int, deliveries_created: Sequence[object]
) -> tuple[str, ...]:
    """The personal data applying ``event`` stored: suspects' names, contacts, messages."""
    fields: list[str] = []
    if isinstance(event, pr.CaseReceived):
        fields.append("suspects.name")
    if contacts_written:
        fields += ["contacts.name", "contacts.address"]
    if deliveries_created:
        fields += ["deliveries.recipient_name", "deliveries.address", "deliveries.body"]
    return tuple(fields)


def event_handlers(runtime: Runtime) -> Mapping[type[BaseEvent], Handler]:
    settings = runtime.settings
    assert isinstance(settings, NotifierSettings)

    async def handle(session: AsyncSession, envelope: Envelope, event: BaseEvent) -> None:
        view = await load_view(session, envelope.case_id)
        changes = clock_changes(event, view, runtime.calendar)
        contacts_written = await record_facts(session, envelope, event)
        created = await plan_deliveries(session, settings, envelope, event)
        if isinstance(event, aid.AidTerminated):
            await forget_lawyer(session, envelope.case_id, event.suspect_id)
        await apply_clock_changes(session, runtime, envelope, changes)
        fields = personal_fields_written(event, contacts_written, created)
        if fields:  # in this transaction: the audit entry commits with the write (issue 7)
            await audit_event_write(session, runtime, envelope, event, fields=fields)

    return dict.fromkeys(CONSUMED, handle)
