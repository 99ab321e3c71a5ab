"""The deadline scanner: DeadlineApproaching and DeadlineBreached, exactly once each.

Each alert's flag (`approaching_sent_at`, `breached_at`) is set in the same transaction as the
outbox row of its event, on a row locked ``FOR UPDATE SKIP LOCKED``: a restart, a second
replica or a second scan finds the flag and emits nothing again. A stopped (met) clock is not
scanned at all. "Now" is a parameter so the watch can be tested without waiting days.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

import sqlalchemy as sa

from defense_schemas.events.notifier import DeadlineApproaching, DeadlineBreached
from defense_schemas.vocabulary import ClockKind, ResponsibleParty
from legal_calendar import legal_date
from notifier.db.publishing import publish_in_thread
from notifier.db.tables import clocks
from notifier.domain import ids
from notifier.domain.clocks import Alert, alert_due, days_left
from notifier.replay import replay_over
from notifier.settings import NotifierSettings
from service_runtime.app import Runtime

log = logging.getLogger(__name__)


@dataclass
class ScanResult:
    approaching: list[UUID] = field(default_factory=list)
    breached: list[UUID] = field(default_factory=list)


async def scan_deadlines(runtime: Runtime, now: datetime) -> ScanResult:
    """Emit the alerts every open clock needs at `now`."""
    settings = runtime.settings
    assert isinstance(settings, NotifierSettings)
    result = ScanResult()
    if not await replay_over(runtime):
        return result
    horizon = legal_date(now) + timedelta(days=settings.deadline_lead_days)
    async with runtime.unit_of_work() as uow:
        session = uow.session
        rows = (
            (
                await session.execute(
                    sa.select(clocks)
                    .where(
                        clocks.c.status == "open",
                        clocks.c.breached_at.is_(None),
                        clocks.c.due_on <= horizon,
                    )
                    .order_by(clocks.c.due_on)
                    .with_for_update(skip_locked=True)
                )
            )
            .mappings()
            .all()
        )
        for row in rows:
            alert = alert_due(
                row["due_on"],
                now,
                settings.deadline_lead_days,
                approaching_sent=row["approaching_sent_at"] is not None,
                breached_sent=row["breached_at"] is not None,
            )
            if alert is None:
                continue
            common = {
                "clock_id": row["clock_id"],
                "kind": ClockKind(row["kind"]),
                "suspect_id": row["suspect_id"],
                "due_on": row["due_on"],
                "provisional": row["provisional"],
                "missing_years": list(row["missing_years"]),
                "responsible": ResponsibleParty(row["responsible"]),
            }
            if alert is Alert.APPROACHING:
                event: DeadlineApproaching | DeadlineBreached = DeadlineApproaching(
                    **common, days_left=days_left(row["due_on"], now), warned_at=now
                )
                flag = {"approaching_sent_at": now}
                result.approaching.append(row["clock_id"])
            else:
                event = DeadlineBreached(**common, breached_at=now)
                flag = {"breached_at": now}
                result.breached.append(row["clock_id"])
            await session.execute(
                sa.update(clocks).where(clocks.c.clock_id == row["clock_id"]).values(flag)
            )
            await publish_in_thread(
                uow,
                event,
                case_id=row["case_id"],
                correlation_id=row["correlation_id"],
                causation_id=row["trigger_event_id"],
                # Once per clock and due day whoever scans: a second alert is a duplicate.
                event_id=ids.alert_event_id(row["clock_id"], alert.value, row["due_on"]),
            )
    return result


async def run_deadline_scanner(
    runtime: Runtime, clock: Callable[[], datetime] | None = None
) -> None:
    """Forever: wait an interval, scan at ``clock``'s time (the runtime's by default)."""
    settings = runtime.settings
    assert isinstance(settings, NotifierSettings)
    while True:
        await asyncio.sleep(settings.deadline_scan_interval_seconds)
        try:
            result = await scan_deadlines(runtime, (clock or runtime.clock)())
            if result.approaching or result.breached:
                log.info(
                    "deadline scan: %d approaching, %d breached",
                    len(result.approaching),
                    len(result.breached),
                )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("deadline scan failed")
