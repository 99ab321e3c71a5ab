"""The bench's own corner of the local broker and database server, and the services it runs.

Everything is named with a unique prefix (``bench<id>``) and removed afterwards, so a bench run
never touches the development system's databases, topics or consumer groups.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from defense_messaging import KafkaConnection
from defense_messaging.topics import ensure_topics, topic_specs

ROOT = Path(__file__).resolve().parent.parent
PARTITIONS = 6
"""The services' default partition count (ServiceSettings.topic_partitions)."""

ENV_PREFIX = {"procuratorate": "PROCURATORATE", "aid_center": "AID_CENTER", "notifier": "NOTIFIER"}


@dataclass(frozen=True)
class Endpoints:
    kafka: str
    pg_admin_url: str  # libpq form, a superuser on the postgres database

    @classmethod
    def from_env(cls) -> Endpoints:
        return cls(
            kafka=os.environ.get(
                "BENCH_KAFKA_BOOTSTRAP", f"127.0.0.1:{os.environ.get('KAFKA_PORT', '59092')}"
            ),
            pg_admin_url=os.environ.get(
                "BENCH_PG_ADMIN_URL",
                "postgresql://postgres:{}@127.0.0.1:{}/postgres".format(
                    os.environ.get("PG_ADMIN_PASSWORD", "postgres"),
                    os.environ.get("PG_PORT", "55432"),
                ),
            ),
        )


@dataclass
class Sandbox:
    """Databases, topics and consumer groups of one bench run. ``cleanup`` removes the databases
    and topics; the groups hold no files and expire with their offsets (the broker's
    ``offsets.retention.minutes``), because aiokafka's admin client has no DeleteGroups call."""

    endpoints: Endpoints
    run_dir: Path
    prefix: str = field(default_factory=lambda: f"bench{uuid.uuid4().hex[:8]}")
    databases: list[str] = field(default_factory=list)
    topics: set[str] = field(default_factory=set)
    replication_factor: int = 1
    """3 on the three-broker cluster (faults.cluster)."""

    def topic(self, name: str) -> str:
        full = f"{self.prefix}.{name}"
        self.topics.update({full, f"{full}.dlq"})
        return full

    def group(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    async def database(self, label: str) -> str:
        """A fresh database; returns its SQLAlchemy (asyncpg) URL."""
        name = f"{self.prefix}_{label}_{len(self.databases)}"
        admin = await asyncpg.connect(self.endpoints.pg_admin_url)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        self.databases.append(name)
        base = self.endpoints.pg_admin_url.rsplit("/", 1)[0]
        return f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{name}"

    async def create_topics(self, names: list[str], partitions: int = PARTITIONS) -> None:
        """With the platform's declared settings (defense_messaging.topics), as in production."""
        await ensure_topics(
            KafkaConnection(bootstrap_servers=self.endpoints.kafka),
            topic_specs(names, partitions=partitions, replication_factor=self.replication_factor),
        )

    async def cleanup(self) -> None:
        admin = await asyncpg.connect(self.endpoints.pg_admin_url)
        try:
            for name in self.databases:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
        kafka = AIOKafkaAdminClient(bootstrap_servers=self.endpoints.kafka)
        await kafka.start()
        try:
            existing = set(await kafka.list_topics())
            ours = sorted(t for t in existing if t.startswith(f"{self.prefix}."))
            if ours:
                await kafka.delete_topics(ours)
        finally:
            await kafka.close()
        shutil.rmtree(self.run_dir / "sms", ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def steady_port() -> int:
    """A free port below the kernel's ephemeral range, so that a server restarted on it does not
    find it taken by some client's outgoing connection (the kernel hands those out from the
    ephemeral range, and a port picked with ``bind(0)`` lies in it)."""
    low = 32768
    with contextlib.suppress(OSError, ValueError):
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(200):
        port = random.randrange(max(1024, low - 12000), low)
        with socket.socket() as s, contextlib.suppress(OSError):
            s.bind(("127.0.0.1", port))
            return port
    raise RuntimeError("no free port below the ephemeral range")


@dataclass
class ServiceProcess:
    """One service run as production runs it: ``python -m <service>`` configured by env."""

    name: str
    env: dict[str, str]
    log_path: Path
    profile_path: Path | None = None
    port: int = field(default_factory=steady_port)  # kept across restarts
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            # The services refuse the published local secrets outside development; the bench's
            # and the fault suite's stacks are development stacks (as deploy/local/services.sh).
            "DEFENSE_ENV": "development",
            **os.environ,
            **self.env,
            f"{ENV_PREFIX[self.name]}_HTTP_PORT": str(self.port),
        }
        command = [sys.executable, "-m", self.name]
        if self.profile_path is not None:
            # Sampling profiler as the parent: it writes the profile when the service exits.
            py_spy = Path(sys.executable).with_name("py-spy")
            command = [
                str(py_spy),
                "record",
                "--rate",
                "200",
                "--format",
                "raw",
                "--output",
                str(self.profile_path),
                "--",
                *command,
            ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.started_at = time.perf_counter()
        self.process = subprocess.Popen(command, env=env, stdout=log, stderr=log, cwd=ROOT)

    async def wait_ready(self, timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0) as client:
            while True:
                assert self.process is not None
                if self.process.poll() is not None:
                    tail = self.log_path.read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"{self.name} exited early:\n{tail}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/ready")).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.name} not ready after {timeout}s")
                await asyncio.sleep(0.2)

    async def stop(self, timeout: float = 30.0) -> None:
        """SIGINT: uvicorn's graceful shutdown (consumer commits, relay drains)."""
        if self.process is None or self.process.poll() is not None:
            return
        # Under py-spy the service is its child: signal the service; py-spy writes on its exit.
        target = self._profiled_child() if self.profile_path is not None else None
        if target is not None:
            os.kill(target, signal.SIGINT)
        else:
            self.process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                self.process.kill()
                break
            await asyncio.sleep(0.1)

    def _profiled_child(self) -> int | None:
        assert self.process is not None
        pid = self.process.pid
        with contextlib.suppress(OSError, ValueError):
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            return int(children[0]) if children else None
        return None


def service_env(
    name: str, *, database_url: str, topics: dict[str, str], group: str, kafka: str
) -> dict[str, str]:
    prefix = ENV_PREFIX[name]
    values = {
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "TOPIC_PARTITIONS": str(PARTITIONS),
        "CONSUMER_GROUP": group,
        "LOG_LEVEL": "WARNING",
        **{key.upper(): value for key, value in topics.items()},
    }
    return {f"{prefix}_{key}": value for key, value in values.items()}


async def end_offsets(kafka: str, topics: list[str]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(
                consumer.partitions_for_topic(topic) or await _partitions(consumer, topic)
            )
        ]
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()  # the topic was just created
    return consumer.partitions_for_topic(topic) or set()


async def committed_offsets(kafka: str, group: str) -> dict[TopicPartition, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return {tp: meta.offset for tp, meta in offsets.items()}
    finally:
        await admin.close()
