"""A calendar year loaded: the provisional due days it settles are recomputed.

A clock whose due day was guessed (its year had no data) is counted again from its start with
the loaded year; a due day that moves is published as ``ClockScheduled`` like any other move.
Run in every replica after a change (service_runtime.calendar_watch), one at a time under an
advisory lock, and only on clocks still provisional.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from defense_schemas.events.notifier import ClockScheduled
from defense_schemas.vocabulary import ClockKind, ResponsibleParty
from legal_calendar import LegalCalendar, Period, compute_deadline
from legal_calendar.deadlines import ASSIGNMENT
from notifier.db.tables import clocks
from notifier.domain.clocks import THREE_DAYS, THREE_WORKING_DAYS
from service_runtime.app import Runtime

# The clocks whose due day the notifier computes from their start. The review period and the
# written opinions are due on the day the procuratorate's events name: nothing to recompute.
COUNTED: dict[str, Period] = {
    ClockKind.RIGHTS_NOTIFICATION.value: THREE_DAYS,
    ClockKind.NOTICE_DISPATCH.value: THREE_DAYS,
    ClockKind.ASSIGNMENT.value: ASSIGNMENT.period,
    ClockKind.FILE_REVIEW.value: THREE_WORKING_DAYS,
}

_LOCK = sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended("clock-recompute", 0)))


def recounted(kind: str, started_on: date, calendar: LegalCalendar) -> tuple[date, bool] | None:
    """The clock's due day and whether it is still a guess, counted from its start."""
    period = COUNTED.get(kind)
    if period is None:
        return None
    deadline = compute_deadline(started_on, period, calendar, allow_provisional=True)
    return deadline.due_on, deadline.provisional


async def recompute_provisional_clocks(runtime: Runtime) -> int:
    """Recount every open provisional clock; returns how many changed."""
    changed = 0
    async with runtime.sessions() as session, session.begin():
        await session.execute(_LOCK)
        rows = (
            await session.execute(
                sa.select(clocks)
                .where(clocks.c.status == "open", clocks.c.provisional.is_(True))
                .order_by(clocks.c.clock_id)
                .with_for_update()
            )
        ).mappings()
        published = []
        for row in rows:
            result = recounted(row["kind"], row["started_on"], runtime.calendar)
            if result is None:
                continue
            due_on, provisional = result
            if due_on == row["due_on"] and provisional == row["provisional"]:
                continue
            values: dict[str, object] = {"due_on": due_on, "provisional": provisional}
            if due_on != row["due_on"]:
                # Alerts are about a due day: a new one deserves its own reminder and breach.
                values |= {"approaching_sent_at": None, "breached_at": None}
                published.append(
                    runtime.publisher.envelope(
                        ClockScheduled(
                            clock_id=row["clock_id"],
                            kind=ClockKind(row["kind"]),
                            suspect_id=row["suspect_id"],
                            due_on=due_on,
                            responsible=ResponsibleParty(row["responsible"]),
                            started_on=row["started_on"],
                            trigger_event_id=row["trigger_event_id"],
                            reason="recounted with the legal calendar now loaded for its year",
                        ),
                        case_id=row["case_id"],
                    )
                )
            await session.execute(
                sa.update(clocks).where(clocks.c.clock_id == row["clock_id"]).values(**values)
            )
            changed += 1
        await runtime.publisher.publish_many(session, published)
    return changed
