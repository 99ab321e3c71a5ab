"""The faults, one per scenario. Each acts mid-load and returns once the system has been given
back its parts (restarted, resumed); the run then waits for it to recover by itself."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from bench.platform import SERVICES
from defense_schemas import Envelope
from defense_schemas.events.procuratorate import NoticeSupplemented
from defense_schemas.vocabulary import NoticeItem
from faults.run import Run, Scenario

SHUTDOWN_LIMIT = 60.0  # seconds a SIGTERMed service may take to finish its work and exit
REJOIN_LIMIT = 60.0  # seconds a resumed consumer may take to be a member of its group again


def _kill_and_restart(name: str) -> Scenario:
    async def fault(run: Run) -> None:
        process = run.process(name)
        assert process.process is not None
        process.process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(process.process.wait)
        await asyncio.sleep(run.restart_after)
        process.start()
        await process.wait_ready()

    return Scenario(f"kill-{name.replace('_', '-')}", f"SIGKILL {name}, restart after 5 s", fault)


async def _broker_sigterm(run: Run) -> None:
    await run.stack.stop_broker()
    await asyncio.sleep(run.restart_after)
    await run.stack.start_broker()


async def _broker_sigkill(run: Run) -> None:
    await run.stack.kill_broker()
    await asyncio.sleep(run.restart_after)
    await run.stack.start_broker()


def _postgres_restart(mode: str) -> Scenario:
    async def fault(run: Run) -> None:
        await run.stack.stop_postgres(mode)
        await asyncio.sleep(run.restart_after)
        await run.stack.start_postgres()

    return Scenario(f"postgres-{mode}", f"PostgreSQL stopped ({mode}), started after 5 s", fault)


async def _sigterm_all(run: Run) -> None:
    """Graceful shutdown under load: each service must finish, commit and exit in time."""
    processes = [run.process(name) for name in SERVICES]
    began = time.monotonic()
    for process in processes:
        assert process.process is not None
        process.process.send_signal(signal.SIGTERM)

    async def exited(process_name: str) -> None:
        process = run.process(process_name)
        assert process.process is not None
        try:
            await asyncio.wait_for(asyncio.to_thread(process.process.wait), SHUTDOWN_LIMIT)
        except TimeoutError:
            run.problems.append(f"{process_name} did not exit {SHUTDOWN_LIMIT:.0f}s after SIGTERM")
            process.process.kill()
            await asyncio.to_thread(process.process.wait)

    await asyncio.gather(*(exited(name) for name in SERVICES))
    run.say(f"sigterm-all: every service exited after {time.monotonic() - began:.1f}s")
    for process in processes:
        process.start()
    await asyncio.gather(*(process.wait_ready() for process in processes))


async def _poison(run: Run) -> None:
    """Two messages on the procuratorate's topic: bytes that are not JSON (every consumer of the
    topic files them), and a well-formed NoticeSupplemented for a notice that was never sent
    (the aid center's handler rejects it; the notifier has nothing to do with it)."""
    topic = run.platform.topics["topic_procuratorate"]
    rejected = NoticeSupplemented(
        notice_id=uuid.uuid4(),
        suspect_id=uuid.uuid4(),
        supplemented_at=datetime.now(UTC),
        supplemented_items=[NoticeItem.CHARGES],
        review_deadline=date.today() + timedelta(days=30),
    )
    case_id = uuid.uuid4()
    envelope = Envelope.for_event(rejected, case_id=case_id, producer="procuratorate")
    producer = AIOKafkaProducer(bootstrap_servers=run.sandbox.endpoints.kafka, acks="all")
    await producer.start()
    try:
        garbage = await producer.send_and_wait(topic, b"\xff not json {", key=case_id.bytes)
        valid = await producer.send_and_wait(topic, envelope.to_bytes(), key=envelope.key)
    finally:
        await producer.stop()
    aid_center, notifier = run.sandbox.group("aid_center"), run.sandbox.group("notifier")
    for group in (aid_center, notifier):
        run.expected_dead_letters.add((group, topic, garbage.partition, garbage.offset))
    run.expected_dead_letters.add((aid_center, topic, valid.partition, valid.offset))


async def _stall_aid_center(run: Run) -> None:
    """Stopped past its session timeout and its poll interval, the aid center must have been
    taken out of its consumer group; resumed, its loop finds its commit refused and must join
    again (no other member takes its partitions, so only its return drains the backlog)."""
    process = run.process("aid_center")
    assert process.process is not None
    group = run.sandbox.group("aid_center")
    process.process.send_signal(signal.SIGSTOP)
    await asyncio.sleep(run.stall_seconds)
    if members := await _members(run, group):
        run.problems.append(
            f"aid center still in its group after {run.stall_seconds:.0f}s: {members}"
        )
    process.process.send_signal(signal.SIGCONT)
    await _rejoined(run, group, "stall-aid-center", "SIGCONT")


async def _lock_aid_center_inbox(run: Run) -> None:
    """The aid center's consumer stuck inside a batch (its inbox locked) while the process and
    its heartbeats go on: past max.poll.interval.ms the client must leave the group for not
    polling; once the lock goes, its commit is refused and it must join again."""
    group = run.sandbox.group("aid_center")
    url = run.process("aid_center").env["AID_CENTER_DATABASE_URL"]
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        async with connection.transaction():
            await connection.execute("LOCK TABLE inbox IN ACCESS EXCLUSIVE MODE")
            await asyncio.sleep(run.stall_seconds)
            if members := await _members(run, group):
                run.problems.append(
                    f"aid center still in its group after {run.stall_seconds:.0f}s stuck "
                    f"on its inbox: {members}"
                )
    finally:
        await connection.close()
    await _rejoined(run, group, "lock-aid-center-inbox", "the lock went")


async def _rejoined(run: Run, group: str, scenario: str, since: str) -> None:
    began = time.monotonic()
    while not await _members(run, group):
        if time.monotonic() - began > REJOIN_LIMIT:
            run.problems.append(
                f"aid center not back in its group {REJOIN_LIMIT:.0f}s after {since}"
            )
            return
        await asyncio.sleep(0.5)
    run.say(f"{scenario}: back in its group {time.monotonic() - began:.1f}s after {since}")


async def _members(run: Run, group: str) -> list[str]:
    """The group's member ids, as the broker's group coordinator has them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=run.sandbox.endpoints.kafka)
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    # (error_code, group_id, state, protocol_type, protocol, members, ...)
    return [member[0] for description in response.groups for member in description[5]]


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("control", "no fault", None),
        _kill_and_restart("procuratorate"),
        _kill_and_restart("aid_center"),
        _kill_and_restart("notifier"),
        Scenario("broker-sigterm", "Kafka broker SIGTERM, started after 5 s", _broker_sigterm),
        Scenario("broker-sigkill", "Kafka broker SIGKILL, started after 5 s", _broker_sigkill),
        _postgres_restart("fast"),
        _postgres_restart("immediate"),
        Scenario("sigterm-all", "SIGTERM every service under load, start again", _sigterm_all),
        Scenario("poison", "not-JSON and a rejected envelope mid-stream", _poison),
        Scenario(
            "stall-aid-center",
            "SIGSTOP the aid center past its session timeout and poll interval, then SIGCONT",
            _stall_aid_center,
        ),
        Scenario(
            "lock-aid-center-inbox",
            "the aid center's inbox locked past its poll interval (heartbeats go on), then freed",
            _lock_aid_center_inbox,
        ),
        Scenario("replicas", "two replicas of every service", None, replicas=True),
    )
}
