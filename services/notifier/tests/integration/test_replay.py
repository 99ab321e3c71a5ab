"""A projection rebuilt from the topics is the projection the original run built, and the
rebuild sends nothing the original sent: no message, no clock event (notifier.replay).

The original notifier applies a history of three interleaved cases and delivers its messages;
a second notifier on a fresh database, in a group of its own, replays the same topics up to the
end offsets taken when it starts (``replay_until``). Every table is compared, ids included
(they are derived from the events: notifier.domain.ids), leaving out only the columns that say
what a process did rather than what the events said: a delivery's fate and timestamps, a
contact's serial id, when a row was written, the scanner's alert flags.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer

from defense_messaging.outbox import opened_row
from defense_schemas import Envelope, decode_event
from defense_schemas import examples as ex
from defense_schemas.events import aid_center as aid
from defense_schemas.events import procuratorate as pr
from defense_schemas.topics import Producer
from defense_schemas.vocabulary import AssessmentTrigger, Ground
from notifier.db.personal import (
    open_contact,
    open_delivery,
    open_held,
    open_held_contacts,
    open_suspect,
)
from notifier.db.tables import cases, clocks, contacts, deliveries, held_deliveries, platform
from notifier.db.tables import suspects as suspect_table
from notifier.replay import REPLAYED_REASON
from notifier.replay_until import end_offsets
from notifier.service import create_app
from notifier.settings import NotifierSettings
from tests.infrastructure import RunningService, differences, eventually, run_service

from .helpers import SmtpServer

pytestmark = pytest.mark.integration

PROCESS_LOCAL = {
    "cases": {"updated_at"},
    "contacts": {"id"},
    "clocks": {"approaching_sent_at", "breached_at"},
    "deliveries": {
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "delivered_at",
        "failed_at",
        "traceparent",  # the trace of the run that applied the event
    },
    "held_deliveries": {"held_at"},
}
"""What a row says about the process that wrote it, not about the events (README, "Rebuilding
the projection")."""

READ_ORDER = {"clocks": {"reason", "trigger_event_id", "correlation_id"}}
"""Which event last moved a clock (and so the reason it gives): the letter or the center's
acceptance, whichever of the two topics was read last, and a rebuild reads them in another
order than the live run. Its id, days, status and outcome are the same whatever the order."""


def workflow(cases: int) -> list[tuple[Envelope, Any]]:
    """A minor's way to a lawyer (the letter, a supplement the center asks for, the
    acceptance, the appointment) for ``cases`` cases: the script the notifier's projection is
    proven to converge on whatever the order its two topics are read in
    (tests/unit/test_arrival_order.py), which a rebuild's order is not the original's."""
    supplemented = _example(pr.NoticeSupplemented)
    script: list[Any] = [
        _example(pr.CaseReceived),
        pr.EligibilityAssessed(
            suspect_id=ex.LI,
            assessed_at=ex.at(2, 16),
            trigger=AssessmentTrigger.CASE_RECEIVED,
            grounds=(Ground.MINOR,),
            discovered_grounds=(Ground.MINOR,),
            pilot_district=True,
        ),
        _example(pr.RightsNotified),
        _example(pr.DefenseDecisionRecorded),
        _example(pr.DefenseNoticeSent),
        supplemented,
        _example(aid.SupplementRequested),
        _example(aid.NoticeAccepted, received_at=supplemented.supplemented_at),
        _example(aid.LawyerAssigned),
    ]
    return [
        (Envelope.for_event(event, case_id=case_id, producer=event.producer.value), event)
        for case_id in [uuid.uuid4() for _ in range(cases)]
        for event in script
    ]


def _example(kind: type[Any], **update: Any) -> Any:
    return next(e for e in ex.EXAMPLES if type(e) is kind).model_copy(update=update)


async def send(settings: NotifierSettings, history: list[tuple[Envelope, Any]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        for envelope, event in history:
            topic = (
                settings.topic_procuratorate
                if event.producer is Producer.PROCURATORATE
                else settings.topic_aid_center
            )
            await producer.send_and_wait(topic, envelope.to_bytes(), key=envelope.key)
    finally:
        await producer.stop()


async def applied(running: RunningService, count: int) -> None:
    inbox = platform.messaging.inbox

    async def done() -> bool:
        async with running.runtime.sessions() as session:
            return bool(
                await session.scalar(sa.select(sa.func.count()).select_from(inbox)) >= count
            )

    await eventually(done, timeout=60, what=f"{count} events applied")


async def tables(running: RunningService) -> dict[str, list[dict[str, Any]]]:
    """Every projection table, opened (sealed fields compared as what they hold), in an order
    that depends on the rows only, without the process-local columns."""
    cipher = running.runtime.cipher
    async with running.runtime.sessions() as session:

        async def rows(query: Any) -> list[dict[str, Any]]:
            return [dict(row) for row in (await session.execute(query)).mappings()]

        found = {
            "cases": await rows(sa.select(cases).order_by(cases.c.case_id)),
            "suspects": [
                open_suspect(cipher, row)
                for row in await rows(
                    sa.select(suspect_table).order_by(
                        suspect_table.c.case_id, suspect_table.c.suspect_id
                    )
                )
            ],
            "contacts": [
                open_contact(cipher, row)
                for row in await rows(sa.select(contacts).order_by(contacts.c.id))
            ],
            "clocks": await rows(sa.select(clocks).order_by(clocks.c.clock_id)),
            "deliveries": [
                open_delivery(cipher, row)
                for row in await rows(sa.select(deliveries).order_by(deliveries.c.notification_id))
            ],
            "held_deliveries": [
                {
                    **row,
                    "envelope": open_held(cipher, row),
                    "kept_contacts": open_held_contacts(cipher, row),
                }
                for row in await rows(
                    sa.select(held_deliveries).order_by(held_deliveries.c.event_id)
                )
            ],
        }
    # A contact's serial id follows the order the two topics were read in, which is no order
    # (README, "Arrival order across topics"): the contacts are compared as a set.
    left_out = {
        table: PROCESS_LOCAL.get(table, set()) | READ_ORDER.get(table, set()) for table in found
    }
    found["contacts"].sort(key=lambda row: sorted((k, str(v)) for k, v in row.items() if k != "id"))
    return {
        table: [{k: v for k, v in row.items() if k not in left_out.get(table, ())} for row in rs]
        for table, rs in found.items()
    }


async def clock_events(running: RunningService) -> list[tuple[uuid.UUID, str, dict[str, Any]]]:
    outbox = platform.messaging.outbox
    async with running.runtime.sessions() as session:
        published = [
            decode_event(opened_row(session, row)[0])
            for row in await session.execute(
                sa.select(outbox.c.id, outbox.c.value, outbox.c.headers).order_by(outbox.c.id)
            )
        ]
    return [
        (envelope.event_id, envelope.event_type, event.model_dump())
        for envelope, event in published
        if envelope.event_type.startswith("Clock")
    ]


def sms_lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


async def test_a_rebuild_holds_what_the_original_built_and_sends_nothing_again(
    notifier_settings: Callable[..., Any], tmp_path: Path
) -> None:
    history = workflow(6)
    sms = tmp_path / "sms.jsonl"
    with SmtpServer() as smtp:
        original_settings = await notifier_settings(
            "replay_original", smtp_port=smtp.port, sms_file_path=sms
        )
        async with run_service(create_app(original_settings), original_settings) as original:
            await send(original_settings, history)
            await applied(original, len(history))

            async def all_sent() -> bool:
                async with original.runtime.sessions() as session:
                    return not await session.scalar(
                        sa.select(sa.func.count())
                        .select_from(deliveries)
                        .where(deliveries.c.status == "pending")
                    )

            await eventually(all_sent, timeout=60, what="the original's messages sent")
            sent = (len(smtp.messages), sms_lines(sms))
            assert sum(sent) > 0, "the history should message someone"

            ends = await end_offsets(original_settings)
            rebuild_settings = await notifier_settings(
                "replay_rebuild",
                **{
                    name: getattr(original_settings, name)
                    for name in ("topic_procuratorate", "topic_aid_center")
                },
                smtp_port=smtp.port,
                sms_file_path=sms,
                replay_until=ends,
            )
            async with run_service(create_app(rebuild_settings), rebuild_settings) as rebuild:
                await applied(rebuild, len(history))
                before, after = await tables(original), await tables(rebuild)
                assert after["clocks"] and after["deliveries"] and after["contacts"]
                for table in before:
                    assert after[table] == before[table], (table, differences(before, after, table))
                # Nothing went out: no message (the jobs are recorded as replayed), no clock
                # event queued, hence nothing on the rebuild's own topic.
                fates = {(job["status"], job["last_error"]) for job in await _jobs(rebuild)}
                assert fates == {("skipped", REPLAYED_REASON)}
                assert await clock_events(rebuild) == []
                assert (len(smtp.messages), sms_lines(sms)) == sent

                # Past the boundary the rebuild is the live service: a new case is applied by
                # both, and both publish the same clock events, ids included.
                case_id = uuid.uuid4()
                new = next(e for e in ex.EXAMPLES if isinstance(e, pr.CaseReceived))
                envelope = Envelope.for_event(
                    new, case_id=case_id, producer="procuratorate", occurred_at=ex.at(3)
                )
                original_before = await clock_events(original)
                await send(original_settings, [(envelope, new)])
                await applied(original, len(history) + 1)
                await applied(rebuild, len(history) + 1)
                from_original = (await clock_events(original))[len(original_before) :]
                assert from_original, "a case received opens clocks"
                assert await clock_events(rebuild) == from_original


async def _jobs(running: RunningService) -> list[dict[str, Any]]:
    cipher = running.runtime.cipher
    async with running.runtime.sessions() as session:
        return [
            open_delivery(cipher, dict(row))
            for row in (await session.execute(sa.select(deliveries))).mappings()
        ]
