"""Where the tests find Kafka and PostgreSQL, in this order:

1. environment variables ``DC_TEST_KAFKA_BOOTSTRAP`` and ``DC_TEST_PG_ADMIN_URL``;
2. a Docker engine, through testcontainers (the official apache/kafka and postgres images);
3. the local services the project's own scripts run (``deploy/local/*.sh start``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import uuid
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from fastapi import FastAPI

from service_runtime.app import Runtime
from service_runtime.security.principal import Principal, Role
from service_runtime.security.tokens import token_for
from service_runtime.settings import ServiceSettings

ROOT = Path(__file__).resolve().parent.parent

RUN_ID = uuid.uuid4().hex[:8]
"""This test session's id. Its databases, topics and consumer groups are named ``t<RUN_ID>…``;
at its end the session deletes those, and only those: sessions run side by side on one broker
and one database server."""


def session_name(label: str) -> str:
    """A topic (or consumer group) name of this session's own, unique to the call."""
    return f"t{RUN_ID}-{label}-{uuid.uuid4().hex[:6]}"


def own_topics(label: str) -> dict[str, str]:
    """Settings for topics and a consumer group of a test's own, so that no other test's events
    reach it; the session deletes them at its end."""
    base = session_name(label)
    return {
        "topic_intake": f"{base}.intake.case-transfers",
        "topic_procuratorate": f"{base}.procuratorate.events",
        "topic_aid_center": f"{base}.aid-center.events",
        "topic_notifier": f"{base}.notifier.events",
        "consumer_group": base,
    }


def is_session_name(name: str) -> bool:
    return name.startswith((f"t{RUN_ID}.", f"t{RUN_ID}-"))


def remove_session_topics(bootstrap: str) -> list[str]:
    """Deletes this session's topics (dead-letter topics included); returns them. Every topic
    costs the broker open files for as long as it exists: a broker that kept every session's
    topics died of too many open files. (The session's consumer groups stay until the broker
    expires their offsets: they hold no files.)"""
    return remove_topics(bootstrap, is_session_name)


def remove_topics(bootstrap: str, ours: Callable[[str], bool]) -> list[str]:
    """Deletes the topics whose names ``ours`` accepts; returns them."""

    async def remove() -> list[str]:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            topics = sorted(name for name in await admin.list_topics() if ours(name))
            if topics:
                await admin.delete_topics(topics)
            return topics
        finally:
            await admin.close()

    # In a thread of its own: the tests' event loop may still be open in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            return pool.submit(asyncio.run, remove()).result(timeout=120)
        except (KafkaError, OSError, TimeoutError) as exc:
            warnings.warn(f"this session's topics were not all deleted: {exc!r}", stacklevel=1)
            return []


@dataclass(frozen=True)
class Endpoints:
    kafka_bootstrap: str
    pg_admin_url: str  # a superuser URL in libpq form: postgresql://user:pw@host:port/postgres
    source: str


def _docker_engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextmanager
def _testcontainers() -> Iterator[Endpoints]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with (
        KafkaContainer("apache/kafka:4.1.1").with_kraft() as kafka,
        PostgresContainer("postgres:15", username="postgres", password="postgres") as pg,
    ):
        host, port = pg.get_container_host_ip(), pg.get_exposed_port(5432)
        yield Endpoints(
            kafka_bootstrap=kafka.get_bootstrap_server(),
            pg_admin_url=f"postgresql://postgres:postgres@{host}:{port}/postgres",
            source="testcontainers",
        )


def _local() -> Endpoints:
    for script in ("postgres.sh", "kafka.sh"):
        subprocess.run([str(ROOT / "deploy" / "local" / script), "start"], check=True)
    pg_port = os.environ.get("PG_PORT", "55432")
    pg_password = os.environ.get("PG_ADMIN_PASSWORD", "postgres")
    return Endpoints(
        kafka_bootstrap=f"127.0.0.1:{os.environ.get('KAFKA_PORT', '59092')}",
        pg_admin_url=f"postgresql://postgres:{pg_password}@127.0.0.1:{pg_port}/postgres",
        source="local services",
    )


@contextmanager
def endpoints() -> Iterator[Endpoints]:
    kafka, pg = os.environ.get("DC_TEST_KAFKA_BOOTSTRAP"), os.environ.get("DC_TEST_PG_ADMIN_URL")
    if kafka and pg:
        yield Endpoints(kafka_bootstrap=kafka, pg_admin_url=pg, source="environment")
    elif _docker_engine_answers():
        with _testcontainers() as found:
            yield found
    else:
        yield _local()


@dataclass
class RunningService:
    app: FastAPI
    client: httpx.AsyncClient
    settings: ServiceSettings

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime


@asynccontextmanager
async def run_service(app: FastAPI, settings: ServiceSettings) -> AsyncIterator[RunningService]:
    """Runs the app's whole lifespan (migrations, topics, relay, consumer) in this process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield RunningService(app=app, client=client, settings=settings)


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    until: Callable[[list[ConsumerRecord]], bool],
    timeout: float = 30.0,
) -> list[ConsumerRecord]:
    """Reads ``topic`` from the beginning (no consumer group) until ``until(records)`` holds.

    Fails the test with what it saw when the condition does not hold within ``timeout``.
    """
    # No group: the consumer takes every partition of the topic from its first offset.
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while not until(records):
            if loop.time() > deadline:
                raise AssertionError(f"{topic}: condition not met; saw {len(records)} records")
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout: float = 30.0, what: str = "condition"
) -> None:
    """Polls ``check`` until it returns true; fails after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def bearer(
    settings: ServiceSettings,
    role: Role | str,
    *,
    agency: str | None = None,
    lawyer_id: str | None = None,
    subject: str | None = None,
) -> dict[str, str]:
    """Request headers with a token the service running with ``settings`` accepts."""
    role = Role(role)
    principal = Principal(
        subject=subject or f"test-{role.value}",
        role=role,
        agency=agency,
        lawyer_id=lawyer_id,
    )
    return {"Authorization": f"Bearer {token_for(settings, principal)}"}


def operator(settings: ServiceSettings) -> dict[str, str]:
    """Headers of an operator (the /ops routes)."""
    return bearer(settings, Role.OPERATOR)


def differences(
    before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]], table: str
) -> list[tuple[int, str, object, object]]:
    """Which columns of which rows of ``table`` differ between two dumps of a projection (an
    original and its rebuild): what a failure should say first."""
    if len(before[table]) != len(after[table]):
        return [(-1, "rows", len(before[table]), len(after[table]))]
    return [
        (index, column, row[column], other.get(column))
        for index, (row, other) in enumerate(zip(before[table], after[table], strict=True))
        for column in row
        if row[column] != other.get(column)
    ]
