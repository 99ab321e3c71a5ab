"""Applying a transaction's events together (the consumer's fast path) leaves exactly what
applying them one transaction at a time leaves: the same cases, suspects, contacts, clocks,
delivery jobs, published clock events and an intact audit chain. The batch reads its rows once
and writes them in a few statements (handlers/batch.py); this is the proof that it changes
nothing but the number of round trips."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from defense_messaging.outbox import opened_row
from defense_schemas import Envelope, decode_event
from defense_schemas import examples as ex
from defense_schemas.events.aid_center import NoticeAccepted
from notifier.db.personal import open_contact, open_delivery, open_suspect
from notifier.db.tables import cases, clocks, contacts, deliveries, platform, suspects
from notifier.handlers import CONSUMED, event_handlers
from notifier.service import create_app
from service_runtime.security.audit import verify_chain
from tests.infrastructure import RunningService, eventually, run_service

pytestmark = pytest.mark.integration

CASES = [uuid.uuid4() for _ in range(3)]


def interleaved_history() -> list[tuple[Envelope, Any]]:
    """Every example event of the two agencies for three cases, the cases interleaved."""
    consumed = [event for event in ex.EXAMPLES if type(event) in CONSUMED]
    history = []
    for event in consumed:
        for case_id in CASES:
            envelope = Envelope.for_event(
                event, case_id=case_id, producer=event.producer.value, occurred_at=ex.at(2, 9)
            )
            history.append((envelope, event))
    return history


async def snapshot(running: RunningService) -> dict[str, Any]:
    """What the projection holds, without the ids each run draws anew."""
    async with running.runtime.sessions() as session:
        cipher = running.runtime.cipher

        async def rows(query: Any) -> list[dict[str, Any]]:
            return [dict(row) for row in (await session.execute(query)).mappings()]

        case_rows = await rows(sa.select(cases).order_by(cases.c.case_id))
        suspect_rows = [
            open_suspect(cipher, row)
            for row in await rows(
                sa.select(suspects).order_by(suspects.c.case_id, suspects.c.suspect_id)
            )
        ]
        contact_rows = [
            open_contact(cipher, row)
            for row in await rows(sa.select(contacts).order_by(contacts.c.case_id, contacts.c.id))
        ]
        clock_rows = await rows(
            sa.select(clocks).order_by(
                clocks.c.case_id, clocks.c.kind, clocks.c.suspect_id, clocks.c.started_on
            )
        )
        delivery_rows = [
            open_delivery(cipher, row)
            for row in await rows(
                sa.select(deliveries).order_by(
                    deliveries.c.about_event_id,
                    deliveries.c.recipient_role,
                    deliveries.c.channel,
                    deliveries.c.address_hash,
                )
            )
        ]
        outbox = platform.messaging.outbox
        published = [
            decode_event(opened_row(session, row)[0])
            for row in await session.execute(
                sa.select(outbox.c.id, outbox.c.value, outbox.c.headers).order_by(outbox.c.id)
            )
        ]
        audit = await session.scalar(sa.select(sa.func.count()).select_from(platform.audit_log))
        chain = await verify_chain(await session.connection())
    drop = {"id", "clock_id", "notification_id", "updated_at", "created_at", "next_attempt_at"}
    # The delivery worker may already have sent some: the jobs are compared, not their fate.
    fate = {"status", "attempts", "last_error", "delivered_at", "failed_at"}
    return {
        "cases": [{k: v for k, v in r.items() if k not in drop} for r in case_rows],
        "suspects": suspect_rows,
        "contacts": [{k: v for k, v in r.items() if k not in drop} for r in contact_rows],
        "clocks": [{k: v for k, v in r.items() if k not in drop} for r in clock_rows],
        "deliveries": [{k: v for k, v in r.items() if k not in drop | fate} for r in delivery_rows],
        "published": [
            (
                envelope.event_type,
                envelope.case_id,
                envelope.causation_id,
                event.model_dump(exclude={"clock_id"}),
            )
            for envelope, event in published
            if envelope.event_type.startswith("Clock")  # the worker's own come when they come
        ],
        "audit_entries": audit,
        "chain_intact": chain.intact,
    }


async def test_a_batch_leaves_what_one_event_at_a_time_leaves(
    notifier_settings: Callable[..., Any],
) -> None:
    history = interleaved_history()
    assert len(history) >= 60, "the examples should exercise most of the projection"
    # Cut after each case's NoticeAccepted: the second batch loads the case's open clocks,
    # ends one and opens another of the same key.
    cut = len(CASES) + next(
        index for index, (_, event) in enumerate(history) if isinstance(event, NoticeAccepted)
    )
    results = []
    for label, batches in (
        ("one_by_one", [[item] for item in history]),
        ("together", [history]),
        ("in_two", [history[:cut], history[cut:]]),
    ):
        settings = await notifier_settings(f"batch_{label}")
        async with run_service(create_app(settings), settings) as running:
            applier = event_handlers(running.runtime)  # its audit entries included
            for batch in batches:
                async with running.runtime.sessions() as session, session.begin():
                    await applier.apply(session, batch)
            results.append(await snapshot(running))
    one_by_one, *batched = results
    assert one_by_one["clocks"] and one_by_one["deliveries"] and one_by_one["contacts"]
    assert one_by_one["published"] and one_by_one["audit_entries"] > 0
    assert one_by_one["chain_intact"]
    for together in batched:
        assert together["chain_intact"]
        for table in one_by_one:
            assert together[table] == one_by_one[table], table


async def test_a_batch_binds_each_events_ids_to_the_lines_logged_while_applying_it(
    notifier_settings: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The projection applies a transaction's events together; whatever it logs while applying
    one (a template that does not render, say) must name that event, as the one-by-one path
    does."""
    from defense_messaging.log_context import current
    from notifier.handlers import Projector

    bound_while_applying: list[tuple[str | None, str | None]] = []
    original = Projector.apply

    def spying(self: Projector, batch: Any, envelope: Envelope, event: Any, **options: Any) -> Any:
        ids = current()
        bound_while_applying.append((ids.get("event_id"), ids.get("case_id")))
        return original(self, batch, envelope, event, **options)

    monkeypatch.setattr(Projector, "apply", spying)
    history = interleaved_history()[:6]
    settings = await notifier_settings("batch_log_ids")
    async with run_service(create_app(settings), settings) as running:
        applier = event_handlers(running.runtime)
        async with running.runtime.sessions() as session, session.begin():
            await applier.apply(session, history)
    assert bound_while_applying == [
        (str(envelope.event_id), str(envelope.case_id)) for envelope, _ in history
    ]


async def test_two_members_applying_one_case_at_once_apply_it_one_after_the_other(
    notifier_settings: Callable[..., Any],
) -> None:
    """After a rebalance the member that lost a partition may still be applying a batch while
    the one that gained it starts from the committed offset. The second's transaction on the
    case waits for the first's commit, and then reads what the first wrote, rather than
    overwriting it from the rows as they were."""
    history = [item for item in interleaved_history() if item[0].case_id == CASES[0]]
    received, later = history[0], history[1:4]
    settings = await notifier_settings("batch_case_lock")
    async with run_service(create_app(settings), settings) as running:
        applier = event_handlers(running.runtime)
        sessions = running.runtime.sessions
        async with sessions() as first, first.begin():
            await applier.apply(first, [received])
            first_pid = await first.scalar(sa.text("SELECT pg_backend_pid()"))

            async def second_member() -> None:
                async with sessions() as second, second.begin():
                    await applier.apply(second, later)

            applying = asyncio.create_task(second_member())

            async def waits_for_the_first() -> bool:
                async with sessions() as watcher:
                    blocked_by = await watcher.scalar(
                        sa.text(
                            "SELECT pg_blocking_pids(pid) FROM pg_stat_activity "
                            "WHERE wait_event_type = 'Lock' AND :first = ANY(pg_blocking_pids(pid))"
                        ),
                        {"first": first_pid},
                    )
                assert not applying.done(), "the second member applied beside the first"
                return blocked_by is not None

            await eventually(waits_for_the_first, timeout=30, what="the second member to wait")
        await asyncio.wait_for(applying, timeout=30)
        async with sessions() as session:
            case = (await session.execute(sa.select(cases))).mappings().one()
            suspect_rows = (await session.execute(sa.select(suspects))).mappings().all()
    assert case["transfer_number"] is not None, "the case as CaseReceived made it"
    assert suspect_rows, "the second member's events applied to the suspects the first wrote"
