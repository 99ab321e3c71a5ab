"""A calendar year loaded: the procuratorate's provisional clocks are counted again.

A clock whose due day was guessed (a year it needed had no official calendar) is recounted from
its trigger day with the period the shared definitions give its kind
(``procuratorate.domain.clocks.CLOCK_PERIODS``): the due day, the instant the period closes,
and the years still missing change together. Run in every replica after a calendar change
(``service_runtime.calendar_watch``), one at a time under a transaction-scoped advisory lock,
and only on clocks still open and provisional, so a second replica finds nothing left to do.

The review period is not recounted here: its last day is published to the other services
(``CaseReceived.review_deadline``), which count it from that event, so moving it needs an event
of its own.
"""

from __future__ import annotations

import sqlalchemy as sa

from defense_schemas.vocabulary import ClockKind
from procuratorate.db.tables import clocks
from procuratorate.domain.clocks import CLOCK_PERIODS, deadline
from procuratorate.unit_of_work import ProcuratorateUnitOfWork

_LOCK = sa.select(
    sa.func.pg_advisory_xact_lock(sa.func.hashtextextended("procuratorate-clock-recount", 0))
)

RECOUNTED = tuple(kind.value for kind in CLOCK_PERIODS)


async def recount_provisional_clocks(uow: ProcuratorateUnitOfWork) -> int:
    """Recount every open provisional clock of a counted kind; returns how many changed."""
    changed = 0
    session = uow.session
    await session.execute(_LOCK)
    rows = (
        await session.execute(
            sa.select(clocks)
            .where(
                clocks.c.outcome.is_(None),
                clocks.c.provisional.is_(True),
                clocks.c.kind.in_(RECOUNTED),
            )
            .order_by(clocks.c.clock_id)
            .with_for_update()
        )
    ).mappings()
    for row in rows:
        due = deadline(row["trigger_on"], CLOCK_PERIODS[ClockKind(row["kind"])], uow.calendar)
        if due.due_on == row["due_on"] and list(due.missing_years) == row["missing_years"]:
            continue
        await session.execute(
            sa.update(clocks)
            .where(clocks.c.clock_id == row["clock_id"])
            .values(
                due_on=due.due_on,
                closes_at=due.closes_at,
                provisional=due.provisional,
                missing_years=list(due.missing_years),
            )
        )
        changed += 1
    return changed
