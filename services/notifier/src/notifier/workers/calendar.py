"""A calendar year loaded: the provisional due days it settles are recomputed.

A clock whose due day was guessed (its year had no data) is counted again from its start with
the loaded year, by the period the shared definitions give (``notifier.domain.clocks.recount``);
a due day that moves, or stops being a guess, is published as ``ClockScheduled`` like any other
change. Run in every replica after a change (service_runtime.calendar_watch), one at a time
under an advisory lock, and only on clocks still provisional.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa

from defense_schemas import Envelope
from defense_schemas.events.notifier import ClockScheduled
from defense_schemas.vocabulary import ClockKind, ResponsibleParty
from notifier.db.tables import clocks
from notifier.domain import ids
from notifier.domain.clocks import recount
from notifier.replay import replay_over
from service_runtime.app import Runtime

_LOCK = sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended("clock-recompute", 0)))


async def recompute_provisional_clocks(runtime: Runtime) -> int:
    """Recount every open provisional clock; returns how many changed."""
    changed = 0
    async with runtime.unit_of_work() as uow:
        session = uow.session
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
            result = recount(ClockKind(row["kind"]), row["started_on"], uow.calendar)
            if result is None:
                continue
            due_on, missing = result
            if due_on == row["due_on"] and list(missing) == list(row["missing_years"]):
                continue
            values: dict[str, object] = {
                "due_on": due_on,
                "provisional": bool(missing),
                "missing_years": list(missing),
            }
            if due_on != row["due_on"]:
                # Alerts are about a due day: a new one deserves its own reminder and breach.
                values |= {"approaching_sent_at": None, "breached_at": None}
            published.append(
                _envelope(
                    uow,
                    ClockScheduled(
                        clock_id=row["clock_id"],
                        kind=ClockKind(row["kind"]),
                        suspect_id=row["suspect_id"],
                        due_on=due_on,
                        provisional=bool(missing),
                        missing_years=list(missing),
                        responsible=ResponsibleParty(row["responsible"]),
                        started_on=row["started_on"],
                        trigger_event_id=row["trigger_event_id"],
                        reason="recounted with the legal calendar now loaded for its year",
                    ),
                    row["case_id"],
                    ids.recount_event_id(row["clock_id"], due_on, list(missing)),
                )
            )
            await session.execute(
                sa.update(clocks).where(clocks.c.clock_id == row["clock_id"]).values(**values)
            )
            changed += 1
        if await replay_over(runtime):
            await uow.publisher.publish_many(session, published)
    return changed


def _envelope(uow: Any, event: ClockScheduled, case_id: UUID, event_id: UUID) -> Envelope:
    made: Envelope = uow.publisher.envelope(event, case_id=case_id)
    return made.model_copy(update={"event_id": event_id})
