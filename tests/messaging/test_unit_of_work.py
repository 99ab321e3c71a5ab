"""The unit of work keeps the delivery guarantees: a use case's state, its events (outbox) and
its audit entries commit together or not at all, per request and per consumer transaction (the
inbox row in the same transaction); its clock is the injected one."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer

from defense_messaging import PermanentEventError
from defense_messaging.outbox import opened_row
from defense_schemas import Envelope, decode_event
from defense_schemas.events.procuratorate import DefenseDecisionRecorded
from service_runtime.app import Runtime, build_app
from service_runtime.security.audit import AuditEntry
from service_runtime.unit_of_work import HandlersInUnitOfWork, UnitOfWork
from tests.infrastructure import RunningService, eventually, own_topics, run_service
from tests.messaging import probe
from tests.messaging.probe import ProbeSettings, applied, decision, platform

pytestmark = pytest.mark.integration

FIXED = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


async def record_in_unit_of_work(
    uow: UnitOfWork[Any], envelope: Envelope, event: DefenseDecisionRecorded
) -> None:
    await uow.session.execute(
        sa.insert(applied).values(
            event_id=envelope.event_id, case_id=envelope.case_id, note=uow.now().isoformat()
        )
    )
    await uow.audit.record(
        AuditEntry(
            resource="event:probe",
            action="write",
            case_id=envelope.case_id,
            record_id=str(envelope.event_id),
        )
    )
    if event.note == "reject":
        raise PermanentEventError("the probe rejects this decision after writing")


def _definition() -> Any:
    def handlers(runtime: Runtime) -> HandlersInUnitOfWork:
        return HandlersInUnitOfWork(runtime, {DefenseDecisionRecorded: record_in_unit_of_work})

    return dataclasses.replace(probe.definition(), handlers=handlers)


@pytest.fixture
async def running(service_settings: Any) -> AsyncIterator[RunningService]:
    settings: ProbeSettings = await service_settings(
        ProbeSettings, "probe", **own_topics("probe-uow")
    )
    async with run_service(build_app(_definition(), settings), settings) as service:
        service.runtime.clock = lambda: FIXED
        assert service.runtime.consumer is not None
        await service.runtime.consumer.started.wait()
        yield service


async def _count(service: RunningService, table: sa.Table, *where: Any) -> int:
    async with service.runtime.sessions() as session:
        return int(
            await session.scalar(sa.select(sa.func.count()).select_from(table).where(*where)) or 0
        )


async def test_a_use_cases_state_and_event_commit_together_or_not_at_all(
    running: RunningService,
) -> None:
    runtime = running.runtime
    kept, lost = uuid.uuid4(), uuid.uuid4()
    async with runtime.unit_of_work() as uow:
        assert uow.now() == FIXED
        await uow.session.execute(sa.insert(applied).values(event_id=kept, case_id=kept))
        kept_event = await uow.publish(decision("kept"), case_id=kept)
    with pytest.raises(RuntimeError, match="the use case fails"):
        async with runtime.unit_of_work() as uow:
            await uow.session.execute(sa.insert(applied).values(event_id=lost, case_id=lost))
            lost_event = await uow.publish(decision("lost"), case_id=lost)
            raise RuntimeError("the use case fails after writing")
    outbox = platform.messaging.outbox
    assert await _count(running, applied, applied.c.case_id == kept) == 1
    assert await _count(running, outbox, outbox.c.event_id == kept_event.event_id) == 1
    assert await _count(running, applied, applied.c.case_id == lost) == 0
    assert await _count(running, outbox, outbox.c.event_id == lost_event.event_id) == 0


async def test_a_units_events_go_to_the_outbox_in_one_statement_at_the_commit(
    running: RunningService,
) -> None:
    """Published events are queued and written together when the transaction commits, in the
    order published: one insert, however many events."""
    runtime = running.runtime
    case_id = uuid.uuid4()
    inserts: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("INSERT INTO outbox"):
            inserts.append(statement)

    engine = runtime.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        async with runtime.unit_of_work() as uow:
            published = [
                await uow.publish(decision(note), case_id=case_id) for note in ("a", "b", "c")
            ]
            assert inserts == [], "queued, not written yet"
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert len(inserts) == 1
    outbox = platform.messaging.outbox
    async with runtime.sessions() as session:
        stored = (
            await session.scalars(
                sa.select(outbox.c.event_id)
                .where(outbox.c.event_id.in_([e.event_id for e in published]))
                .order_by(outbox.c.id)
            )
        ).all()
    assert stored == [e.event_id for e in published]


async def test_after_commit_callbacks_run_once_on_commit_and_never_on_rollback(
    running: RunningService,
) -> None:
    """What a metric observes after the commit (the notice→assignment latency) must not count
    a transaction that rolled back, such as a batch that falls back to one event at a time."""
    runtime = running.runtime
    ran: list[str] = []
    async with runtime.unit_of_work() as uow:
        uow.after_commit(lambda: ran.append("first"))
        uow.after_commit(lambda: ran.append("second"))
        assert ran == [], "not before the commit"
    assert ran == ["first", "second"]
    with pytest.raises(RuntimeError):
        async with runtime.unit_of_work() as uow:
            uow.after_commit(lambda: ran.append("rolled back"))
            raise RuntimeError("the use case fails")
    assert ran == ["first", "second"]


async def _send(running: RunningService, *envelopes: Envelope) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=running.settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for envelope in envelopes:
            await producer.send_and_wait(
                running.settings.topic_procuratorate, envelope.to_bytes(), key=envelope.key
            )
    finally:
        await producer.stop()


async def test_a_consumed_event_is_applied_in_one_unit_of_work_with_its_inbox_row(
    running: RunningService,
) -> None:
    audit_log = platform.audit_log
    inbox = platform.messaging.inbox
    dead_letters = platform.messaging.dead_letters
    rejected = Envelope.for_event(
        decision("reject"), case_id=uuid.uuid4(), producer="procuratorate"
    )
    good = Envelope.for_event(decision("good"), case_id=uuid.uuid4(), producer="procuratorate")
    await _send(running, rejected, good)

    async def good_applied() -> bool:
        return await _count(running, applied, applied.c.event_id == good.event_id) == 1

    await eventually(good_applied, what="the good event applied")

    async def rejected_filed() -> bool:
        return await _count(running, dead_letters) == 1

    await eventually(rejected_filed, what="the rejected event dead-lettered")
    async with running.runtime.sessions() as session:
        note = await session.scalar(
            sa.select(applied.c.note).where(applied.c.event_id == good.event_id)
        )
        entry = (
            await session.execute(sa.select(audit_log).where(audit_log.c.case_id == good.case_id))
        ).one()
    assert note == FIXED.isoformat()  # the handler's time is the injected clock's
    assert entry.role == "system" and entry.occurred_at == FIXED
    assert await _count(running, inbox, inbox.c.event_id == good.event_id) == 1
    # The handler wrote and recorded an audit entry, then refused: none of it committed.
    assert await _count(running, applied, applied.c.event_id == rejected.event_id) == 0
    assert await _count(running, audit_log, audit_log.c.case_id == rejected.case_id) == 0


async def publish_two(
    uow: UnitOfWork[Any], envelope: Envelope, event: DefenseDecisionRecorded
) -> None:
    for step in ("first", "second"):
        await uow.publish(
            decision(f"{event.note} {step}"), case_id=envelope.case_id, caused_by=envelope
        )


async def test_a_consumer_transactions_events_reach_the_outbox_in_one_statement_in_order(
    running: RunningService,
) -> None:
    """Every event a consumer transaction emits is one outbox row, in emission order (the order
    the relay publishes in), written together: a statement per event emitted was two round
    trips each on the notice's way to its lawyer."""
    runtime = running.runtime
    applier = HandlersInUnitOfWork(runtime, {DefenseDecisionRecorded: publish_two})
    case_id = uuid.uuid4()
    events = [decision(note) for note in ("a", "b", "c")]
    batch = [
        (Envelope.for_event(event, case_id=case_id, producer="procuratorate"), event)
        for event in events
    ]
    outbox = platform.messaging.outbox
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(f"INSERT INTO {outbox.name.upper()}"):
            statements.append(statement)

    engine = runtime.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        async with runtime.sessions() as session, session.begin():
            await applier.apply(session, batch)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert len(statements) == 1, statements
    async with runtime.sessions() as session:
        rows = (
            await session.execute(
                sa.select(outbox.c.id, outbox.c.value, outbox.c.headers)
                .where(outbox.c.key == str(case_id).encode())
                .order_by(outbox.c.id)
            )
        ).all()
        notes = [decode_event(opened_row(session, row)[0])[1].note for row in rows]
    assert notes == [f"{note} {step}" for note in "abc" for step in ("first", "second")]
