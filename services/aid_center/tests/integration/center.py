"""Running the aid center in-process on its own topics and database, and watching its events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from aid_center.service import create_app
from aid_center.settings import AidCenterSettings
from defense_schemas import BaseEvent, Envelope, decode_event, examples
from service_runtime.security.principal import Role
from tests.infrastructure import RunningService, bearer, own_topics, run_service

# The staff work for the center the example letters are addressed to.
CENTER = examples.CENTER


@dataclass
class EventLog:
    """Every event on a topic, read from the beginning in the background."""

    events: list[tuple[Envelope, BaseEvent]] = field(default_factory=list)

    def of_case(self, case_id: UUID) -> list[BaseEvent]:
        return [event for envelope, event in self.events if envelope.case_id == case_id]

    async def wait_for(
        self, predicate: Callable[[list[tuple[Envelope, BaseEvent]]], Any], timeout: float = 20
    ) -> Any:
        """Poll until ``predicate(events)`` is truthy; return its value."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = predicate(self.events)
            if found:
                return found
            if asyncio.get_running_loop().time() > deadline:
                seen = [(e.event_type, e.case_id) for e, _ in self.events]
                raise AssertionError(f"timed out; events seen: {seen}")
            await asyncio.sleep(0.05)

    async def first(self, case_id: UUID, event_type: type[BaseEvent], **match: Any) -> Any:
        def found(events: list[tuple[Envelope, BaseEvent]]) -> BaseEvent | None:
            for envelope, event in events:
                if (
                    envelope.case_id == case_id
                    and isinstance(event, event_type)
                    and all(getattr(event, k) == v for k, v in match.items())
                ):
                    return event
            return None

        return await self.wait_for(found)


@dataclass
class Center:
    service: RunningService
    log: EventLog
    producer: AIOKafkaProducer
    settings: AidCenterSettings

    @property
    def client(self) -> Any:
        return self.service.client

    async def publish(self, event: BaseEvent, case_id: UUID) -> Envelope:
        """Publish as the procuratorate would: its envelope, keyed by the case id."""
        envelope = Envelope.for_event(event, case_id=case_id, producer="procuratorate")
        await self.producer.send_and_wait(
            self.settings.topic_procuratorate, envelope.to_bytes(), key=envelope.key
        )
        return envelope


async def _read(consumer: AIOKafkaConsumer, log: EventLog) -> None:
    while True:
        batches = await consumer.getmany(timeout_ms=200)
        for records in batches.values():
            for record in records:
                log.events.append(decode_event(record.value))


@contextlib.asynccontextmanager
async def running_center(
    service_settings: Callable[..., Any], label: str, **overrides: Any
) -> AsyncIterator[Center]:
    """The service on topics of its own (so no other test's events reach it)."""
    settings: AidCenterSettings = await service_settings(
        AidCenterSettings, label, **{**own_topics(f"aid-{label}"), **overrides}
    )
    async with run_service(create_app(settings), settings) as service:
        # The center's staff call the API (a lawyer's calls pass headers of their own).
        service.client.headers.update(bearer(settings, Role.AID_CENTER_STAFF, agency=CENTER))
        consumer = AIOKafkaConsumer(
            enable_auto_commit=False, group_id=None, **settings.kafka.options()
        )
        await consumer.start()
        tps = [
            TopicPartition(settings.topic_aid_center, p) for p in range(settings.topic_partitions)
        ]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        log = EventLog()
        reader = asyncio.create_task(_read(consumer, log))
        producer = AIOKafkaProducer(**settings.kafka.options())
        await producer.start()
        try:
            yield Center(service=service, log=log, producer=producer, settings=settings)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
            await producer.stop()
            await consumer.stop()
