"""Event handlers: how the notifier's projection follows the events it consumes.

Every event of the procuratorate and the legal aid center, in the consumer's transaction: the
clock rules read the case as it was, the facts and contacts are updated, the deliveries the
event calls for are created, and the clock changes applied and published. A transaction's
events are applied together (:class:`NotifierProjection`): their rows are read once, changed in
memory in event order, and written in a few multi-row statements (handlers/batch.py).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from defense_messaging import Applied
from defense_schemas import BaseEvent, Envelope, Producer, registered_events
from defense_schemas.events import aid_center as aid
from defense_schemas.events import procuratorate as pr
from notifier.domain.clocks import clock_changes
from notifier.handlers.batch import ProjectionBatch
from notifier.handlers.clocks import apply_clock_changes
from notifier.handlers.deliveries import insert_deliveries, plan_deliveries
from notifier.handlers.projection import forget_lawyer, record_facts, view_of
from notifier.settings import NotifierSettings
from service_runtime.app import Runtime
from service_runtime.security.audit_events import audit_event_write
from service_runtime.security.personal import cipher_of

CONSUMED: frozenset[type[BaseEvent]] = frozenset(
    model
    for model in registered_events()
    if model.producer in (Producer.PROCURATORATE, Producer.AID_CENTER)
)
"""Every event of the two services: each may carry a contact, move a clock or need a message."""


def personal_fields_written(
    event: BaseEvent, contacts_written: int, deliveries_created: bool
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


class NotifierProjection:
    """The notifier's :class:`~defense_messaging.EventApplier`."""

    def __init__(self, runtime: Runtime) -> None:
        assert isinstance(runtime.settings, NotifierSettings)
        self._runtime = runtime
        self._settings = runtime.settings

    def handles(self, event: BaseEvent) -> bool:
        return type(event) in CONSUMED

    async def apply(self, session: AsyncSession, events: Applied) -> None:
        runtime = self._runtime
        batch = await ProjectionBatch.load(session, (envelope.case_id for envelope, _ in events))
        cipher = cipher_of(session)
        published: list[Envelope] = []
        jobs = []
        contacts_written: list[int] = []
        for envelope, event in events:
            changes = clock_changes(event, view_of(batch, envelope.case_id), runtime.calendar)
            contacts_written.append(record_facts(batch, envelope, event))
            jobs += plan_deliveries(batch, cipher, self._settings, envelope, event)
            if isinstance(event, aid.AidTerminated):
                forget_lawyer(batch, envelope.case_id, event.suspect_id)
            published += apply_clock_changes(batch, runtime.publisher, envelope, changes)
        await batch.flush(session)
        created = await insert_deliveries(session, jobs)
        await runtime.publisher.publish_many(session, published)
        with_jobs = {job["about_event_id"] for job in jobs if job["notification_id"] in created}
        for (envelope, event), contacts in zip(events, contacts_written, strict=True):
            fields = personal_fields_written(event, contacts, envelope.event_id in with_jobs)
            if fields:  # in this transaction: the audit entry commits with the write (issue 7)
                await audit_event_write(session, runtime, envelope, event, fields=fields)


def event_handlers(runtime: Runtime) -> NotifierProjection:
    return NotifierProjection(runtime)
