"""The yardstick: raw aiokafka produce + consume on the same broker, nothing else.

Same producer settings as the services' relay (idempotent, acks=all, no linger), same consumer
settings as their consumers (a group, read_committed, offsets committed per batch), messages of
the platform's own envelope size keyed by random case ids over the same partition count.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.infra import Sandbox
from bench.stats import percentiles


async def _consumer(sandbox: Sandbox, topic: str, group: str) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=sandbox.endpoints.kafka,
        group_id=sandbox.group(group),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_records=500,
    )
    await consumer.start()
    while not consumer.assignment():  # joined: the clock starts with the group ready
        await consumer.getmany(timeout_ms=100)
    return consumer


async def _producer(sandbox: Sandbox) -> AIOKafkaProducer:
    producer = AIOKafkaProducer(
        bootstrap_servers=sandbox.endpoints.kafka,
        enable_idempotence=True,
        acks="all",
        linger_ms=0,
    )
    await producer.start()
    return producer


async def throughput(sandbox: Sandbox, *, messages: int, size: int) -> dict[str, object]:
    topic = sandbox.topic("baseline")
    await sandbox.create_topics([topic])
    consumer = await _consumer(sandbox, topic, "baseline")
    producer = await _producer(sandbox)
    keys = [str(uuid.uuid4()).encode() for _ in range(1000)]
    value = os.urandom(size // 2).hex().encode()[:size]
    received = 0
    started = time.perf_counter()

    async def consume() -> None:
        nonlocal received
        while received < messages:
            for tp, records in (await consumer.getmany(timeout_ms=200)).items():
                received += len(records)
                await consumer.commit({tp: records[-1].offset + 1})

    async def produce() -> None:
        pending = []
        for index in range(messages):
            pending.append(await producer.send(topic, value=value, key=keys[index % len(keys)]))
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)

    try:
        await asyncio.wait_for(asyncio.gather(produce(), consume()), timeout=180)
        elapsed = time.perf_counter() - started
    finally:
        await producer.stop()
        await consumer.stop()
    return {
        "messages": messages,
        "message_bytes": size,
        "seconds": round(elapsed, 3),
        "messages_per_s": round(messages / elapsed, 1),
    }


async def latency(sandbox: Sandbox, *, messages: int, rate: float, size: int) -> dict[str, object]:
    """Send → receive time of single messages at a fixed rate (the floor for any latency)."""
    topic = sandbox.topic("baseline-latency")
    await sandbox.create_topics([topic])
    consumer = await _consumer(sandbox, topic, "baseline-latency")
    producer = await _producer(sandbox)
    sent: dict[int, float] = {}
    seen: list[float] = []
    padding = b"x" * max(size - 20, 0)

    async def consume() -> None:
        while len(seen) < messages:
            for tp, records in (await consumer.getmany(timeout_ms=100)).items():
                now = time.perf_counter()
                for record in records:
                    seen.append(now - sent[int(record.value[:20])])
                await consumer.commit({tp: records[-1].offset + 1})

    async def produce() -> None:
        start = time.perf_counter()
        for index in range(messages):
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent[index] = time.perf_counter()
            await producer.send(topic, value=b"%020d" % index + padding, key=b"%d" % index)

    try:
        await asyncio.wait_for(asyncio.gather(produce(), consume()), timeout=120)
    finally:
        await producer.stop()
        await consumer.stop()
    return {"messages": messages, "offered_per_s": rate, **percentiles(seen)}
