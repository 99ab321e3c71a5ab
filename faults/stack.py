"""The suite's own PostgreSQL server and Kafka broker, beside (never instead of) any other.

Both are run by the project's scripts (``deploy/local/postgres.sh``, ``deploy/local/kafka.sh``)
with ports and data folders of their own under ``.local/faults/<run>/``; the suite kills,
stops and restarts them as the scenarios ask, and removes their data at the end. The ports sit
below the kernel's ephemeral range, so a restarted server finds its port free.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.infra import ROOT, Endpoints, steady_port

SCRIPTS = ROOT / "deploy" / "local"
PG_PASSWORD = "postgres"


def _distinct_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = steady_port()
        if port not in ports:
            ports.append(port)
    return ports


@dataclass
class Stack:
    folder: Path
    pg_port: int = 0
    kafka_port: int = 0
    controller_port: int = 0
    log: list[str] = field(default_factory=list)
    replication_factor = 1  # one broker

    def __post_init__(self) -> None:
        if not self.pg_port:
            self.pg_port, self.kafka_port, self.controller_port = _distinct_ports(3)

    @property
    def pg_data(self) -> Path:
        return self.folder / "postgres"

    @property
    def kafka_data(self) -> Path:
        return self.folder / "kafka"

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints(
            kafka=f"127.0.0.1:{self.kafka_port}",
            pg_admin_url=f"postgresql://postgres:{PG_PASSWORD}@127.0.0.1:{self.pg_port}/postgres",
        )

    def _env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "PG_PORT": str(self.pg_port),
            "PG_DATA_DIR": str(self.pg_data),
            "PG_ADMIN_PASSWORD": PG_PASSWORD,
            "KAFKA_PORT": str(self.kafka_port),
            "KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "KAFKA_DATA_DIR": str(self.kafka_data),
            "KAFKA_SASL": "0",
            "KAFKA_HEAP_MAX": "512m",
            **extra,
        }

    async def _script(self, name: str, *command: str, **extra: str) -> None:
        def run() -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [str(SCRIPTS / name), *command],
                env=self._env(**extra),
                capture_output=True,
                text=True,
                timeout=300,
            )

        # Run to its end even when the suite is cancelled (a signal): a start cut short would
        # leave a server coming up after the stop that follows found nothing to stop.
        job = asyncio.ensure_future(asyncio.to_thread(run))
        try:
            done = await asyncio.shield(job)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await job
            raise
        said = " ".join(command)
        self.log.append(f"{name} {said}: {done.stdout.strip()} {done.stderr.strip()}")
        if done.returncode != 0:
            raise RuntimeError(f"{name} {said} failed:\n{done.stdout}\n{done.stderr}")

    async def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        await self._script("postgres.sh", "start")
        await self.start_broker()

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await self._script("kafka.sh", "stop")
        with contextlib.suppress(Exception):
            await self._script("postgres.sh", "stop", PG_STOP_MODE="immediate")

    def remove(self) -> None:
        shutil.rmtree(self.pg_data, ignore_errors=True)
        shutil.rmtree(self.kafka_data / "data", ignore_errors=True)

    # --- the broker ---

    async def start_broker(self) -> None:
        await self._script("kafka.sh", "start")

    async def stop_broker(self) -> None:
        """SIGTERM, as kafka.sh stop sends it: the broker closes its logs cleanly."""
        await self._script("kafka.sh", "stop")

    async def kill_broker(self) -> None:
        """SIGKILL: the next start recovers the logs."""
        pid = int((self.kafka_data / "kafka.pid").read_text().strip())
        os.kill(pid, signal.SIGKILL)
        await asyncio.to_thread(_wait_gone, pid, 30.0)

    # --- the database server ---

    async def stop_postgres(self, mode: str) -> None:
        """``fast`` rolls back and disconnects; ``immediate`` is a crash (WAL recovery next)."""
        await self._script("postgres.sh", "stop", PG_STOP_MODE=mode)

    async def start_postgres(self) -> None:
        await self._script("postgres.sh", "start")


def _wait_gone(pid: int, timeout: float) -> None:
    """Until the process is gone (it is not our child: kafka.sh detached it)."""
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)


@dataclass
class ClusterStack(Stack):
    """The suite's PostgreSQL server and a three-broker KRaft cluster
    (``deploy/local/kafka.sh cluster``): replication factor 3, ``min.insync.replicas`` 2."""

    broker_ports: list[tuple[int, int]] = field(default_factory=list)
    replication_factor = 3

    def __post_init__(self) -> None:
        if not self.pg_port:
            ports = _distinct_ports(7)
            self.pg_port = ports[0]
            self.broker_ports = [(ports[i], ports[i + 1]) for i in (1, 3, 5)]
            self.kafka_port, self.controller_port = self.broker_ports[0]

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints(
            kafka=",".join(f"127.0.0.1:{broker}" for broker, _ in self.broker_ports),
            pg_admin_url=f"postgresql://postgres:{PG_PASSWORD}@127.0.0.1:{self.pg_port}/postgres",
        )

    def _env(self, **extra: str) -> dict[str, str]:
        return super()._env(
            KAFKA_CLUSTER_PORTS=",".join(f"{b}:{c}" for b, c in self.broker_ports),
            KAFKA_DATA_DIR=str(self.kafka_data),
            **extra,
        )

    @property
    def kafka_data(self) -> Path:
        return self.folder / "kafka-cluster"

    async def _cluster(self, *command: str) -> None:
        await self._script("kafka.sh", "cluster", *command)

    async def start_broker(self) -> None:
        await self._cluster("start")

    async def stop_broker(self) -> None:
        await self._cluster("stop")

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await self._cluster("stop")
        with contextlib.suppress(Exception):
            await self._script("postgres.sh", "stop", PG_STOP_MODE="immediate")

    async def kill_node(self, node: int) -> None:
        """SIGKILL one broker/controller of the three."""
        await self._cluster("kill", str(node))

    async def start_node(self, node: int) -> None:
        await self._cluster("start-node", str(node))

    def remove(self) -> None:
        shutil.rmtree(self.pg_data, ignore_errors=True)
        shutil.rmtree(self.kafka_data, ignore_errors=True)
