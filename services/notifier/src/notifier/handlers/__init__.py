"""Event handlers: how the notifier's projection follows the events it consumes.

Every event of the procuratorate and the legal aid center, in the consumer's transaction: the
clock rules read the case as it was, the facts and contacts are updated, the deliveries the
event calls for are created, and the clock changes applied and published. A transaction's
events are applied together (:class:`NotifierProjection`): their rows are read once, changed in
memory in event order, and written in a few multi-row statements (handlers/batch.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from defense_messaging import Applied, EventPublisher
from defense_messaging.log_context import bound, envelope_ids
from defense_schemas import BaseEvent, Envelope, Producer, registered_events
from defense_schemas.events import aid_center as aid
from defense_schemas.events import procuratorate as pr
from legal_calendar import LegalCalendar
from notifier.domain.clocks import clock_changes
from notifier.domain.deliveries import contacts_on_release, kept_for_held
from notifier.handlers.batch import Held, ProjectionBatch
from notifier.handlers.clocks import apply_clock_changes
from notifier.handlers.deliveries import insert_deliveries, plan_deliveries, waiting_for
from notifier.handlers.projection import forget_lawyer, record_facts, view_of
from notifier.replay import replayed_events
from notifier.settings import NotifierSettings
from notifier.unit_of_work import NotifierUnitOfWork
from service_runtime.app import Runtime
from service_runtime.security.audit_events import event_write_entry
from service_runtime.security.fields import FieldCipher
from service_runtime.unit_of_work import HandlersInUnitOfWork

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


@dataclass
class EventOutcome:
    """What applying one event produced, besides the batch's changed rows."""

    published: list[Envelope] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    contacts_written: int = 0
    held: bool = False
    released: list[Held] = field(default_factory=list)


@dataclass(frozen=True)
class Projector:
    """Applies one event to a loaded batch, in memory (no I/O): the clock rules read the case
    as it was, the facts and contacts are updated, the deliveries the event calls for are
    planned — or held until the facts they need arrive — and the clock changes made."""

    calendar: LegalCalendar
    publisher: EventPublisher
    cipher: FieldCipher
    settings: NotifierSettings

    def apply(
        self,
        batch: ProjectionBatch,
        envelope: Envelope,
        event: BaseEvent,
        *,
        replayed: bool = False,
    ) -> EventOutcome:
        """``replayed``: the original run applied this event already (notifier.replay): its
        messages, and those it releases, were sent then, and its clock events published."""
        done = EventOutcome()
        case_id = envelope.case_id
        changes = clock_changes(event, view_of(batch, case_id), self.calendar)
        done.contacts_written = record_facts(batch, envelope, event)
        waits_for = waiting_for(batch, envelope, event)
        if waits_for is None:
            done.jobs += plan_deliveries(
                batch, self.cipher, self.settings, envelope, event, replayed=replayed
            )
        else:
            batch.hold(Held(envelope, event, waits_for, kept_for_held(batch.contacts_of(case_id))))
            done.held = True
        if isinstance(event, aid.AidTerminated | aid.AssignmentEnded):
            forget_lawyer(batch, case_id, event.suspect_id)
        done.published += apply_clock_changes(
            batch, self.publisher, envelope, changes, publish=not replayed
        )
        # The fact this event brought may be the one held messages were waiting for.
        for held in list(batch.held.get(case_id, ())):
            if held.envelope.event_id == envelope.event_id:
                continue
            if waiting_for(batch, held.envelope, held.event) is None:
                batch.release(case_id, held)
                with bound(**envelope_ids(held.envelope)):  # its messages are the held event's
                    done.jobs += plan_deliveries(
                        batch,
                        self.cipher,
                        self.settings,
                        held.envelope,
                        held.event,
                        known=contacts_on_release(held.kept, batch.contacts_of(case_id)),
                        replayed=replayed,
                    )
                done.released.append(held)
        return done


class NotifierProjection:
    """The notifier's applier: a consumer transaction's events, together, in its unit of work
    (``service_runtime.unit_of_work.UnitOfWorkApplier``)."""

    def __init__(self, inbox: sa.Table | None = None, consumer: str = "notifier") -> None:
        # The inbox holds each applied event's position, which says whether it is replayed.
        self._inbox = inbox
        self._consumer = consumer

    def handles(self, event: BaseEvent) -> bool:
        return type(event) in CONSUMED

    async def apply(self, uow: NotifierUnitOfWork, events: Applied) -> None:
        session = uow.session
        batch = await ProjectionBatch.load(
            session, (envelope.case_id for envelope, _ in events), cipher=uow.cipher, now=uow.now()
        )
        projector = Projector(uow.calendar, uow.publisher, uow.cipher, uow.settings)
        replayed = await self._replayed(uow, events)
        published: list[Envelope] = []
        jobs = []
        outcomes: list[EventOutcome] = []
        for envelope, event in events:
            # Each event's lines name it (the consumer binds a batch's ids only one at a time).
            with bound(**envelope_ids(envelope)):
                done = projector.apply(
                    batch, envelope, event, replayed=envelope.event_id in replayed
                )
            published += done.published
            jobs += done.jobs
            outcomes.append(done)
        await batch.flush(session)
        created = await insert_deliveries(session, jobs)
        await uow.publisher.publish_many(session, published)
        with_jobs = {job["about_event_id"] for job in jobs if job["notification_id"] in created}
        for (envelope, event), done in zip(events, outcomes, strict=True):
            fields = personal_fields_written(
                event, done.contacts_written, envelope.event_id in with_jobs
            )
            if done.held:
                fields += ("held_deliveries.envelope", "held_deliveries.kept_contacts")
            if fields:  # in this transaction: the audit entry commits with the write (issue 7)
                await uow.audit.record(event_write_entry(envelope, event, fields=fields))
            for held in done.released:
                if held.envelope.event_id in with_jobs:
                    await uow.audit.record(
                        event_write_entry(
                            held.envelope,
                            held.event,
                            fields=personal_fields_written(held.event, 0, True),
                        )
                    )

    async def _replayed(self, uow: NotifierUnitOfWork, events: Applied) -> set[UUID]:
        """The events of the transaction a rebuild replays (``NOTIFIER_REPLAY_UNTIL``)."""
        boundary = uow.settings.replay_boundary()
        if boundary is None or self._inbox is None:
            return set()
        return await replayed_events(
            uow.session,
            self._inbox,
            self._consumer,
            boundary,
            (envelope.event_id for envelope, _ in events),
        )


def event_handlers(runtime: Runtime) -> HandlersInUnitOfWork:
    """Each consumer transaction is one unit of work, applied by the projection whole."""
    return HandlersInUnitOfWork(
        runtime,
        NotifierProjection(
            runtime.definition.tables.messaging.inbox,
            runtime.settings.consumer_group or runtime.definition.name,
        ),
    )
