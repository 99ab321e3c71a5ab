"""Event handlers: how the notifier's projection follows the events it consumes.

One handler for every event of the procuratorate and the legal aid center, in the consumer's
transaction: the clock rules read the case as it was, the facts and contacts are updated, the
deliveries the event calls for are created, and the clock changes applied and published.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from defense_messaging import Handler
from defense_schemas import BaseEvent, Envelope, Producer, registered_events
from defense_schemas.events import aid_center as aid
from notifier.domain.clocks import clock_changes
from notifier.handlers.clocks import apply_clock_changes
from notifier.handlers.deliveries import plan_deliveries
from notifier.handlers.projection import forget_lawyer, load_view, record_facts
from notifier.settings import NotifierSettings
from service_runtime.app import Runtime

CONSUMED: tuple[type[BaseEvent], ...] = tuple(
    model
    for model in registered_events()
    if model.producer in (Producer.PROCURATORATE, Producer.AID_CENTER)
)
"""Every event of the two services: each may carry a contact, move a clock or need a message."""


def event_handlers(runtime: Runtime) -> Mapping[type[BaseEvent], Handler]:
    settings = runtime.settings
    assert isinstance(settings, NotifierSettings)

    async def handle(session: AsyncSession, envelope: Envelope, event: BaseEvent) -> None:
        view = await load_view(session, envelope.case_id)
        changes = clock_changes(event, view, runtime.calendar)
        await record_facts(session, envelope, event)
        await plan_deliveries(session, settings, envelope, event)
        if isinstance(event, aid.AidTerminated):
            await forget_lawyer(session, envelope.case_id, event.suspect_id)
        await apply_clock_changes(session, runtime, envelope, changes)

    return dict.fromkeys(CONSUMED, handle)
