"""Calendar changes across services: the procuratorate keeps the platform's legal calendar.

Every deadline the three services count in days skips rest days, so they must count on one
calendar (the end-to-end tests check that they agree on a due day). One service owns it, the
procuratorate (:attr:`CalendarRole.OWNER`): ``PUT /ops/calendar/{year}`` there stores the year
under its next ``revision`` and, in the same transaction, queues ``LegalCalendarYearLoaded`` on
the procuratorate's topic, which the aid center and the notifier already consume and which only
the procuratorate's principal may write (deploy/kafka/acls.json): no new topic, no new grant,
and no second writer whose loads would have to be reconciled. The followers
(:attr:`CalendarRole.FOLLOWER`) refuse ``PUT`` with 409 naming the owner; their consumer applies
the event in its transaction (the inbox makes it once), stores the year only when the revision is
newer than the one held, and sends ``NOTIFY`` there, so every replica re-reads the calendar and
recounts its provisional deadlines (service_runtime.calendar_watch).

Conflicting loads of one year are decided by the owner's row: each load takes the next revision
in one statement, so two concurrent loads get two revisions, and every follower ends on the
higher one whatever the order it reads them in (a redelivered or late lower revision is ignored).
The year's events share one Kafka key (``legal_calendar_key``), so they also arrive in order.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from defense_messaging import Applied, EventApplier, PermanentEventError
from defense_schemas import BaseEvent
from defense_schemas.events.procuratorate import LegalCalendarYearLoaded, legal_calendar_key
from legal_calendar import CalendarYear, InvalidCalendarYear, parse_calendar_year
from service_runtime.calendar_store import follow_calendar_year
from service_runtime.calendar_watch import announce_calendar_change

if TYPE_CHECKING:
    from service_runtime.app import Runtime

OWNER_SERVICE = "procuratorate"
"""Where operators load the calendar (named in the followers' 409)."""


class CalendarRole(StrEnum):
    OWNER = "owner"
    """Operators load the calendar here; each load is published."""
    FOLLOWER = "follower"
    """The calendar comes from the owner's events; ``PUT`` is refused."""
    LOCAL = "local"
    """Loads stay in this service (a service outside the platform's three, e.g. a test probe)."""


async def publish_calendar_year(
    runtime: Runtime,
    session: AsyncSession,
    calendar_year: CalendarYear,
    *,
    revision: int,
    loaded_at: datetime,
) -> None:
    """Queue the owner's load of the year in the caller's transaction."""
    event = LegalCalendarYearLoaded(
        year=calendar_year.year,
        holidays=tuple(sorted(calendar_year.holidays)),
        makeup_workdays=tuple(sorted(calendar_year.makeup_workdays)),
        source=calendar_year.source,
        revision=revision,
        loaded_at=loaded_at,
    )
    await runtime.publisher.publish(session, event, case_id=legal_calendar_key(event.year))


def calendar_year_of(event: LegalCalendarYearLoaded) -> CalendarYear:
    """The year the event carries, checked as an upload is (a forged one is a dead letter)."""
    try:
        return parse_calendar_year(
            CalendarYear.model_construct(
                year=event.year,
                holidays=frozenset(event.holidays),
                makeup_workdays=frozenset(event.makeup_workdays),
                source=event.source,
            ).to_json()
        )
    except InvalidCalendarYear as exc:
        raise PermanentEventError(str(exc)) from None


class CalendarFollower:
    """The follower's consumer applier: ``LegalCalendarYearLoaded`` is applied here, the rest
    by the service's own applier, all in the consumer's one transaction."""

    def __init__(self, runtime: Runtime, service: EventApplier) -> None:
        self._runtime = runtime
        self._service = service

    def handles(self, event: BaseEvent) -> bool:
        return isinstance(event, LegalCalendarYearLoaded) or self._service.handles(event)

    async def apply(self, session: AsyncSession, events: Applied) -> None:
        rest = [item for item in events if not isinstance(item[1], LegalCalendarYearLoaded)]
        if rest:
            await self._service.apply(session, rest)
        table = self._runtime.definition.tables.legal_calendar
        for _, event in events:
            if not isinstance(event, LegalCalendarYearLoaded):
                continue
            stored = await follow_calendar_year(
                session,
                table,
                calendar_year_of(event),
                revision=event.revision,
                loaded_at=event.loaded_at,
            )
            if stored:
                # Sent when the consumer's transaction commits: every replica then reloads.
                await announce_calendar_change(session, event.year)
