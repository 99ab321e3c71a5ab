"""`GET /statistics` is summed by the database (`CaseRepository.statistics_tallies`) while
`domain.statistics.compute_statistics` stays the one definition: over generated ledgers written
to the real projection (suspects, their clocks and the cases', terminations, defenders), the
database's answer equals the definition applied to the ledger's lines, for every filter and
granularity."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from defense_schemas.vocabulary import DefenseStatus
from procuratorate.db.personal import name_hash, seal_name
from procuratorate.db.tables import cases, clocks, defenders, statistics_stale, suspects, timeline
from procuratorate.domain.statistics import Granularity, compute_statistics, group_statistics
from procuratorate.workflow.ledger import LedgerFilter, load_ledger, load_statistics
from tests.infrastructure import RunningService

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 15, 8, 0, tzinfo=UTC)
DISTRICTS = ("河东区", "和平区")
KINDS = ("rights_notification", "notice_dispatch", "review_period")
OUTCOMES = (None, "met", "met_late", "cancelled", "lapsed")

# Instants around the legal (UTC+8) midnight, month, quarter and year ends, and NOW itself.
instants = st.sampled_from(
    [
        datetime(2025, 12, 31, 15, 59, 59, tzinfo=UTC),
        datetime(2025, 12, 31, 16, 0, tzinfo=UTC),
        datetime(2026, 3, 31, 16, 0, tzinfo=UTC),
        datetime(2026, 3, 31, 15, 0, tzinfo=UTC),
        datetime(2026, 5, 31, 17, 0, tzinfo=UTC),
        NOW - timedelta(microseconds=1),
        NOW,
        NOW + timedelta(days=2),
    ]
)


@dataclass(frozen=True)
class Clock:
    kind: str
    closes_at: datetime
    outcome: str | None
    met_after: timedelta | None  # met (or settled) this long after... relative to the close


clock_strategy = st.builds(
    Clock,
    kind=st.sampled_from(KINDS),
    closes_at=instants,
    outcome=st.sampled_from(OUTCOMES),
    met_after=st.none() | st.sampled_from([timedelta(hours=-1), timedelta(0), timedelta(hours=1)]),
)


@dataclass(frozen=True)
class Defender:
    kind: DefenseStatus
    name: str
    firm: str | None
    ended: bool


@dataclass(frozen=True)
class Suspect:
    status: DefenseStatus
    grounds: list[str]
    clocks: list[Clock]
    terminations: list[str]
    defenders: list[Defender]


@dataclass(frozen=True)
class Case:
    district: str
    received_at: datetime
    suspects: list[Suspect]
    clocks: list[Clock]  # the case's own (no suspect), shown on each suspect's line


suspect_strategy = st.builds(
    Suspect,
    status=st.sampled_from(list(DefenseStatus)),
    grounds=st.sampled_from([[], ["minor"], ["minor", "limited_capacity_adult"]]),
    clocks=st.lists(clock_strategy, max_size=3),
    terminations=st.lists(st.sampled_from(["counsel_retained", "refused"]), max_size=2),
    defenders=st.lists(
        st.builds(
            Defender,
            kind=st.sampled_from(list(DefenseStatus)),
            name=st.sampled_from(["赵律师", "钱律师"]),
            firm=st.sampled_from([None, "", "天津某律师事务所"]),
            ended=st.booleans(),
        ),
        max_size=3,
    ),
)
case_strategy = st.builds(
    Case,
    district=st.sampled_from(DISTRICTS),
    received_at=instants,
    suspects=st.lists(suspect_strategy, min_size=1, max_size=3),
    clocks=st.lists(clock_strategy, max_size=2),
)


@dataclass(frozen=True)
class Example:
    cases: list[Case]
    district: str | None
    status: DefenseStatus | None
    overdue: bool | None
    received_from: date | None
    granularity: Granularity


examples_strategy = st.builds(
    Example,
    cases=st.lists(case_strategy, max_size=5),
    district=st.none() | st.sampled_from(DISTRICTS),
    status=st.none() | st.sampled_from(list(DefenseStatus)),
    overdue=st.none() | st.booleans(),
    received_from=st.none() | st.just(date(2026, 4, 1)),
    granularity=st.sampled_from(list(Granularity)),
)


def _examples() -> list[Example]:
    """Generated up front: the checks run in the service's event loop."""
    found: list[Example] = []

    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
    )
    @given(examples_strategy)
    def collect(example: Example) -> None:
        found.append(example)

    collect()
    return found


def _clock_row(clock: Clock, case_id: uuid.UUID, suspect_id: uuid.UUID | None) -> dict[str, Any]:
    met_at = (
        clock.closes_at + clock.met_after
        if clock.outcome is not None and clock.met_after is not None
        else None
    )
    return {
        "clock_id": uuid.uuid4(),
        "case_id": case_id,
        "suspect_id": suspect_id,
        "kind": clock.kind,
        "subject": None,
        "trigger_on": date(2026, 1, 1),
        "due_on": clock.closes_at.date(),
        "closes_at": clock.closes_at,
        "provisional": False,
        "missing_years": [],
        "met_at": met_at,
        "outcome": clock.outcome,
    }


async def _write(service: RunningService, unit: str, written: list[Case]) -> None:
    cipher = service.runtime.cipher
    case_rows, suspect_rows, clock_rows, defender_rows, timeline_rows = [], [], [], [], []
    for number, c in enumerate(written):
        case_id = uuid.uuid4()
        case_rows.append(
            {
                "case_id": case_id,
                "transfer_number": f"统计〔2026〕{number}号",
                "transferring_agency": "天津市公安局河东分局",
                "transferring_agency_kind": "public_security",
                "procuratorate_unit": unit,
                "district": c.district,
                "charges": [],
                "organisation_suspects": [],
                "major_and_complex": False,
                "social_impact": False,
                "pilot_district": False,
                "receipt_kind": "transfer_for_prosecution",
                "received_at": c.received_at,
                "review_status": "under_review",
            }
        )
        clock_rows += [_clock_row(clock, case_id, None) for clock in c.clocks]
        for position, s in enumerate(c.suspects):
            suspect_id = uuid.uuid4()
            suspect_rows.append(
                {
                    "suspect_id": suspect_id,
                    "case_id": case_id,
                    "position": position,
                    "name": seal_name(cipher, suspect_id, "张三"),
                    "name_hash": name_hash(cipher, "张三"),
                    "facts": {},
                    "grounds": s.grounds,
                    "defense_status": s.status.value,
                }
            )
            clock_rows += [_clock_row(clock, case_id, suspect_id) for clock in s.clocks]
            defender_rows += [
                {
                    "suspect_id": suspect_id,
                    "kind": d.kind.value,
                    "name": d.name,
                    "firm": d.firm,
                    "started_at": c.received_at,
                    "ended_at": NOW if d.ended else None,
                }
                for d in s.defenders
            ]
            timeline_rows += [
                {
                    "case_id": case_id,
                    "suspect_id": suspect_id,
                    "event_id": uuid.uuid4(),
                    "event_type": "AidTerminated",
                    "producer": "legal-aid-center",
                    "occurred_at": NOW,
                    "payload": {"reason": reason},
                }
                for reason in s.terminations
            ]
    async with service.runtime.engine.begin() as conn:
        for table, rows in (
            (cases, case_rows),
            (suspects, suspect_rows),
            (clocks, clock_rows),
            (defenders, defender_rows),
            (timeline, timeline_rows),
        ):
            if rows:
                await conn.execute(sa.insert(table), rows)


async def test_the_database_tallies_agree_with_the_definition(service: RunningService) -> None:
    examples = _examples()
    assert any(e.cases for e in examples)
    for example in examples:
        unit = f"统计检察院{uuid.uuid4().hex[:8]}"
        await _write(service, unit, example.cases)
        criteria = LedgerFilter(
            procuratorate_unit=unit,
            district=example.district,
            status=example.status,
            received_from=example.received_from,
            overdue=example.overdue,
        )
        async with service.runtime.unit_of_work() as uow:
            records = [line.record() for line in await load_ledger(uow, criteria, NOW)]
            total, groups = await load_statistics(uow, criteria, NOW, example.granularity)
        assert total == compute_statistics(records, NOW), example
        assert groups == group_statistics(records, NOW, example.granularity), example


LATER = NOW + timedelta(days=3)  # past every generated close: open clocks turn overdue


async def _statistics(
    service: RunningService, criteria: LedgerFilter, now: datetime, granularity: Granularity
) -> None:
    """The console's statistics (the unit, perhaps a district) equal the definition."""
    async with service.runtime.unit_of_work() as uow:
        records = [line.record() for line in await load_ledger(uow, criteria, now)]
        total, groups = await load_statistics(uow, criteria, now, granularity)
    assert total == compute_statistics(records, now)
    assert groups == group_statistics(records, now, granularity)


async def test_the_months_kept_follow_every_write_and_the_clock(service: RunningService) -> None:
    """`statistics_months` answers the unfiltered statistics; a write to any table the
    tallies read (cases, suspects, clocks, defenders, terminations) makes its month stale,
    an open clock reaching its close makes its month count again, and so does a TRUNCATE."""
    examples = [e for e in _examples() if e.cases]
    for example in examples[:25]:
        unit = f"统计检察院{uuid.uuid4().hex[:8]}"
        criteria = LedgerFilter(procuratorate_unit=unit, district=example.district)
        half = len(example.cases) // 2
        await _write(service, unit, example.cases[:half])
        await _statistics(service, criteria, NOW, example.granularity)
        await _write(service, unit, example.cases[half:])
        await _statistics(service, criteria, NOW, example.granularity)
        async with service.runtime.engine.begin() as conn:
            of_unit = sa.select(cases.c.case_id).where(cases.c.procuratorate_unit == unit)
            await conn.execute(
                sa.update(suspects)
                .where(suspects.c.case_id.in_(of_unit), suspects.c.position == 0)
                .values(defense_status=DefenseStatus.RETAINED.value, grounds=["minor"])
            )
            await conn.execute(
                sa.update(clocks)
                .where(clocks.c.case_id.in_(of_unit), clocks.c.met_at.is_(None))
                .values(met_at=NOW, outcome="met")
                .execution_options(synchronize_session=False)
            )
            await conn.execute(
                sa.update(defenders)
                .where(
                    defenders.c.suspect_id.in_(
                        sa.select(suspects.c.suspect_id).where(suspects.c.case_id.in_(of_unit))
                    )
                )
                .values(ended_at=None)
            )
            await conn.execute(
                sa.update(cases).where(cases.c.case_id.in_(of_unit)).values(district=DISTRICTS[0])
            )
        await _statistics(service, criteria, NOW, example.granularity)
        await _write(service, unit, example.cases)
        await _statistics(service, criteria, NOW, example.granularity)
        async with service.runtime.engine.begin() as conn:
            first = sa.select(suspects.c.suspect_id).where(
                suspects.c.case_id.in_(of_unit), suspects.c.position == 0
            )
            await conn.execute(sa.delete(defenders).where(defenders.c.suspect_id.in_(first)))
            await conn.execute(sa.delete(timeline).where(timeline.c.suspect_id.in_(first)))
            await conn.execute(sa.delete(clocks).where(clocks.c.suspect_id.in_(first)))
        await _statistics(service, criteria, NOW, example.granularity)
        await _statistics(service, criteria, LATER, example.granularity)
    # A TRUNCATE has no rows to name its months: every month kept is counted again.
    async with service.runtime.engine.begin() as conn:
        await conn.execute(sa.text("TRUNCATE timeline"))
    await _statistics(service, criteria, LATER, Granularity.MONTH)


async def test_kept_statistics_read_no_suspect_of_the_history(service: RunningService) -> None:
    """Once counted, the statistics of a unit are read from its months alone: no statement
    of the read touches the history's tables."""
    unit = f"统计检察院{uuid.uuid4().hex[:8]}"
    example = next(e for e in _examples() if len(e.cases) >= 3)
    await _write(service, unit, example.cases)
    criteria = LedgerFilter(procuratorate_unit=unit)
    await _statistics(service, criteria, NOW, Granularity.MONTH)
    statements: list[str] = []

    def caught(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    sa.event.listen(service.runtime.engine.sync_engine, "before_cursor_execute", caught)
    try:
        async with service.runtime.unit_of_work() as uow:
            await load_statistics(uow, criteria, NOW, Granularity.MONTH)
    finally:
        sa.event.remove(service.runtime.engine.sync_engine, "before_cursor_execute", caught)
    history = ("cases", "suspects", "clocks", "defenders", "timeline")
    read = [s for s in statements if any(f" {t} " in f" {s} ".replace("\n", " ") for t in history)]
    assert statements and not read, read


async def test_only_writes_that_change_a_statistic_mark_its_month(service: RunningService) -> None:
    """The triggers fire on what the statistics read: another event in the timeline, a
    column they do not read, or a month already waiting leave `statistics_stale` as it was."""
    unit = f"统计检察院{uuid.uuid4().hex[:8]}"
    example = next(e for e in _examples() if any(c.suspects[0].clocks for c in e.cases))
    await _write(service, unit, example.cases)
    criteria = LedgerFilter(procuratorate_unit=unit)
    await _statistics(service, criteria, NOW, Granularity.MONTH)  # takes the stale months
    of_unit = sa.select(cases.c.case_id).where(cases.c.procuratorate_unit == unit)
    waiting = (
        sa.select(sa.func.count())
        .select_from(statistics_stale)
        .where(statistics_stale.c.procuratorate_unit == unit)
    )
    async with service.runtime.engine.begin() as conn:
        case_id = (await conn.execute(of_unit.limit(1))).scalar_one()
        await conn.execute(
            sa.insert(timeline),
            {
                "case_id": case_id,
                "event_id": uuid.uuid4(),
                "event_type": "DefenderNoticeIssued",
                "producer": "procuratorate",
                "occurred_at": NOW,
                "payload": {},
            },
        )
        await conn.execute(
            sa.update(clocks).where(clocks.c.case_id == case_id).values(subject="另一事项")
        )
        await conn.execute(
            sa.update(cases).where(cases.c.case_id == case_id).values(social_impact=True)
        )
        assert (await conn.execute(waiting)).scalar_one() == 0
        for status in (DefenseStatus.SELF_DEFENSE, DefenseStatus.NONE):
            await conn.execute(
                sa.update(suspects)
                .where(suspects.c.case_id.in_(of_unit))
                .values(defense_status=status.value)
            )
        months = (
            await conn.execute(
                sa.select(
                    sa.func.count(sa.distinct(sa.tuple_(cases.c.district, cases.c.received_at)))
                ).where(cases.c.procuratorate_unit == unit)
            )
        ).scalar_one()
        assert 1 <= (await conn.execute(waiting)).scalar_one() <= months
    await _statistics(service, criteria, NOW, Granularity.MONTH)
