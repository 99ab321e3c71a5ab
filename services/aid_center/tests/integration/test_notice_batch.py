"""A consumer transaction's letters received and appointed together (use_cases/notice_batch.py)
leave exactly what receiving them one transaction at a time leaves: the same notices, the same
lawyers chosen for the same reasons, the same reply numbers, the same events in the same order,
an audit entry per letter. Only the number of statements changes: a run of letters of distinct
cases costs the same few statements however many letters it holds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa

from aid_center.db.tables import assignments, document_counters, law_firms, lawyers, notices
from aid_center.db.tables import platform as tables
from aid_center.handlers import event_handlers
from aid_center.service import create_app
from aid_center.settings import AidCenterSettings
from defense_messaging.outbox import opened_row
from defense_schemas import BaseEvent, Envelope, decode_event
from services.aid_center.tests.integration.test_aid_center_flow import new_case, notice_for
from tests.infrastructure import RunningService, own_topics, run_service

pytestmark = pytest.mark.integration

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
FIRM_A, FIRM_B = uuid4(), uuid4()

# Seven places for ten complete letters: the last three find every lawyer full.
ROSTER = (
    (FIRM_A, "L001", ["juvenile"], 2),
    (FIRM_A, "L002", [], 2),
    (FIRM_B, "L003", [], 2),
    (FIRM_B, "L004", ["juvenile"], 1),
)
LAWYER_IDS = {license_number: uuid4() for _, license_number, _, _ in ROSTER}


def envelope_of(event: BaseEvent, case_id: UUID) -> tuple[Envelope, BaseEvent]:
    return (
        Envelope.for_event(event, case_id=case_id, producer="procuratorate", occurred_at=AT),
        event,
    )


def history() -> tuple[list[tuple[Envelope, BaseEvent]], list[tuple[Envelope, BaseEvent]]]:
    """The cases received, then one transaction's letters: co-suspects of one case (the run is
    cut there), minors and adults, an incomplete letter, the same letter twice, and more
    letters than the roster has places."""
    cases = [new_case() for _ in range(6)]
    received = [envelope_of(event, case_id) for case_id, event, _ in cases]
    letters: list[tuple[Envelope, BaseEvent]] = []
    for case_id, _, (_, minor) in cases[:4]:
        letters.append(envelope_of(notice_for(minor, minor=True), case_id))
    repeated = notice_for(cases[0][2][0], minor=False)
    letters.append(envelope_of(repeated, cases[0][0]))  # a co-suspect: cuts the run
    letters.append(envelope_of(notice_for(cases[4][2][0], minor=False, materials=()), cases[4][0]))
    for case_id, _, (adult, _) in cases[1:4]:
        letters.append(envelope_of(notice_for(adult, minor=False), case_id))
    letters.append(envelope_of(repeated, cases[0][0]))  # the same letter, another event id
    for case_id, _, (adult, minor) in cases[5:]:
        letters.append(envelope_of(notice_for(minor, minor=True), case_id))
        letters.append(envelope_of(notice_for(adult, minor=False), case_id))
    return received, letters


async def add_roster(running: RunningService) -> None:
    async with running.runtime.sessions() as session, session.begin():
        for firm_id, name in ((FIRM_A, "天津甲律师事务所"), (FIRM_B, "天津乙律师事务所")):
            await session.execute(
                sa.insert(law_firms).values(firm_id=firm_id, name=name, contact="022-1")
            )
        for firm_id, license_number, specialties, places in ROSTER:
            await session.execute(
                sa.insert(lawyers).values(
                    lawyer_id=LAWYER_IDS[license_number],
                    firm_id=firm_id,
                    name=f"律师{license_number}",
                    license_number=license_number,
                    contact=f"138{license_number}",
                    gender="male",
                    criminal_practice_years=5,
                    specialties=specialties,
                    districts=[],
                    languages=[],
                    max_concurrent_cases=places,
                )
            )


async def apply(running: RunningService, batch: list[tuple[Envelope, BaseEvent]]) -> list[str]:
    """``batch`` applied in one consumer transaction; the statements it took."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    async with running.runtime.sessions() as session, session.begin():
        # This transaction's own statements (the relay shares the engine).
        connection = (await session.connection()).sync_connection
        assert connection is not None
        sa.event.listen(connection, "before_cursor_execute", seen)
        await event_handlers(running.runtime).apply(session, batch)
    return statements


async def snapshot(running: RunningService) -> dict[str, Any]:
    """What the center holds and published, without what each run draws anew."""
    sealed = {"suspect_name", "letter"}
    async with running.runtime.sessions() as session:
        notice_rows = [
            {k: v for k, v in row.items() if k not in sealed}
            for row in (
                await session.execute(sa.select(notices).order_by(notices.c.notice_id))
            ).mappings()
        ]
        assignment_rows = [
            {k: v for k, v in row.items() if k != "assignment_id"}
            for row in (
                await session.execute(sa.select(assignments).order_by(assignments.c.notice_id))
            ).mappings()
        ]
        counters = (await session.execute(sa.select(document_counters))).all()
        outbox = tables.messaging.outbox
        published = []
        for row in await session.execute(
            sa.select(outbox.c.id, outbox.c.value, outbox.c.headers).order_by(outbox.c.id)
        ):
            envelope, event = decode_event(opened_row(session, row)[0])
            published.append(
                (
                    envelope.event_type,
                    envelope.case_id,
                    envelope.causation_id,
                    event.model_dump(exclude={"assignment_id"}),
                )
            )
        audited = await session.scalar(sa.select(sa.func.count()).select_from(tables.audit_log))
    return {
        "notices": notice_rows,
        "assignments": assignment_rows,
        "counters": counters,
        "published": published,
        "audit_entries": audited,
    }


async def test_letters_together_leave_what_letters_one_by_one_leave(
    service_settings: Callable[..., Any],
) -> None:
    received, letters = history()
    results = []
    costs = []
    for label, batches in (
        ("one_by_one", [[letter] for letter in letters]),
        ("together", [letters]),
    ):
        settings: AidCenterSettings = await service_settings(
            AidCenterSettings, f"notice-batch-{label}", **own_topics(f"aid-batch-{label}")
        )
        async with run_service(create_app(settings), settings) as running:
            await add_roster(running)
            await apply(running, received)
            costs.append(sum([len(await apply(running, batch)) for batch in batches]))
            results.append(await snapshot(running))
    one_by_one, together = results
    print(f"statements: one by one {costs[0]}, together {costs[1]}")
    # Four runs (cut by the co-suspects and the repeated letter), the last a single letter:
    # the set-based path, not the one-by-one fallback after a recount.
    assert costs[1] <= 40 < costs[0], costs
    statuses = sorted(row["status"] for row in one_by_one["notices"])
    assert statuses.count("assigned") == 7, "every place taken"
    assert statuses.count("unassignable") == 3
    assert "supplement_requested" in statuses
    for table in one_by_one:
        assert together[table] == one_by_one[table], table


async def test_a_run_of_letters_costs_the_same_statements_whatever_its_length(
    service_settings: Callable[..., Any],
) -> None:
    settings: AidCenterSettings = await service_settings(
        AidCenterSettings, "notice-batch-cost", **own_topics("aid-batch-cost")
    )
    async with run_service(create_app(settings), settings) as running:
        await add_roster(running)
        cases = [new_case() for _ in range(6)]
        await apply(running, [envelope_of(event, case_id) for case_id, event, _ in cases])

        def letters(chosen: list[Any]) -> list[tuple[Envelope, BaseEvent]]:
            return [
                envelope_of(notice_for(minor, minor=True), case_id)
                for case_id, _, (_, minor) in chosen
            ]

        two = await apply(running, letters(cases[:2]))
        four = await apply(running, letters(cases[2:]))
        assert len(two) == len(four), "\n".join(s[:90] for s in [*two, "--", *four])
        assert len(four) <= 15, four
        async with running.runtime.sessions() as session:
            assigned = await session.scalar(
                sa.select(sa.func.count())
                .select_from(assignments)
                .where(assignments.c.status == "active")
            )
        assert assigned == 6
