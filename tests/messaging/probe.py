"""A minimal service built with the shared runtime, to prove the delivery guarantees.

It publishes DefenseDecisionRecorded events (as the procuratorate) and consumes every platform
topic, recording each applied event (of any type) in ``applied`` with the order it was applied
in. The ``note`` field steers its handler: ``reject`` → a permanent rejection, ``bug`` → an
exception until :data:`behaviour` says the bug is fixed, ``flaky`` → one transient failure
first, ``unparseable:<text>`` → an exception whose message quotes ``<text>``, every time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from defense_messaging import PermanentEventError
from defense_schemas import BaseEvent, Envelope, registered_events
from defense_schemas.events.procuratorate import DefenseDecisionRecorded
from defense_schemas.vocabulary import DefenseChoice, PersonRole
from service_runtime.app import Runtime, ServiceDefinition
from service_runtime.settings import ServiceSettings
from service_runtime.tables import add_platform_tables

metadata = sa.MetaData()
platform = add_platform_tables(metadata)
applied = sa.Table(
    "applied",
    metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("event_id", sa.Uuid, nullable=False),
    sa.Column("case_id", sa.Uuid, nullable=False),
    sa.Column("note", sa.Text, nullable=True),
)


@dataclass
class Behaviour:
    bug_fixed: bool = False
    flaky_failures: dict[UUID, int] = field(default_factory=dict)


behaviour = Behaviour()


class ProbeSettings(ServiceSettings):
    pass


def decision(note: str) -> DefenseDecisionRecorded:
    return DefenseDecisionRecorded(
        suspect_id=uuid4(),
        choice=DefenseChoice.NO_COUNSEL,
        decided_by=PersonRole.SUSPECT,
        decided_at=datetime.now(UTC),
        note=note,
    )


async def record(session: AsyncSession, envelope: Envelope, event: DefenseDecisionRecorded) -> None:
    if event.note == "reject":
        raise PermanentEventError("the probe rejects this decision")
    if event.note == "bug" and not behaviour.bug_fixed:
        raise RuntimeError("a bug in the handler")
    if event.note and event.note.startswith("unparseable:"):
        # What a parser or a library does: its message quotes the input it choked on.
        raise ValueError(f"cannot parse {event.note.removeprefix('unparseable:')!r}")
    if event.note == "flaky" and behaviour.flaky_failures.get(envelope.event_id, 0) < 1:
        behaviour.flaky_failures[envelope.event_id] = 1
        raise ConnectionError("database went away")
    await session.execute(
        sa.insert(applied).values(
            event_id=envelope.event_id, case_id=envelope.case_id, note=event.note
        )
    )


async def record_any(session: AsyncSession, envelope: Envelope, event: BaseEvent) -> None:
    await session.execute(
        sa.insert(applied).values(event_id=envelope.event_id, case_id=envelope.case_id, note=None)
    )


def definition() -> ServiceDefinition:
    def handlers(_: Runtime) -> dict:
        # Every other event is recorded too, so a test can see any topic's events applied.
        others = {model: record_any for model in registered_events()}
        return {**others, DefenseDecisionRecorded: record}

    return ServiceDefinition(
        name="procuratorate",  # contracts check that procuratorate events name their producer
        migrations_dir=Path(__file__).parent / "probe_migrations",
        metadata=metadata,
        tables=platform,
        own_topic=lambda settings: settings.topic_procuratorate,
        consumed_topics=lambda settings: [
            settings.topic_intake,
            settings.topic_procuratorate,
            settings.topic_aid_center,
            settings.topic_notifier,
        ],
        handlers=handlers,
    )
