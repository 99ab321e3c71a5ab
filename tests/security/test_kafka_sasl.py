"""A service over SASL/SCRAM-SHA-512: the outbox publishes and the inbox consumes through an
authenticated listener, and a wrong password is refused.

The shared development broker (59092) stays as it is: this starts a second broker from the same
jars with ``KAFKA_SASL=1`` on ports of its own (``deploy/local/kafka.sh``), on a storage of its
own, and stops and removes it after. Its ports sit below the kernel's ephemeral range (32768 and
up): it starts in the middle of the run, when thousands of client connections have come and gone,
and one of them could hold a port in that range.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka.errors import KafkaConnectionError

from defense_messaging import KafkaConnection, ensure_topics
from service_runtime.app import build_app
from tests.infrastructure import ROOT, eventually, run_service
from tests.messaging import probe
from tests.messaging.probe import applied, decision
from tests.messaging.test_delivery_guarantees import _own_topics

pytestmark = pytest.mark.integration

SASL_PORT = int(os.environ.get("DC_TEST_SASL_KAFKA_PORT", "29194"))
USER, PASSWORD = "defense", "defense-sasl-test-secret"
BROKER_ENV = {
    "KAFKA_SASL": "1",
    "KAFKA_SASL_PORT": str(SASL_PORT),
    "KAFKA_PORT": str(SASL_PORT + 1),
    "KAFKA_CONTROLLER_PORT": str(SASL_PORT + 2),
    "KAFKA_SCRAM_USERS": f"{USER}:{PASSWORD}",
    "KAFKA_HEAP_MAX": "512m",
}
SCRIPT = str(ROOT / "deploy" / "local" / "kafka.sh")


def _kafka_sh(command: str, data_dir: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRIPT, command],
        env={**os.environ, **BROKER_ENV, "KAFKA_DATA_DIR": data_dir},
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def sasl_broker() -> Iterator[str]:
    # A fresh storage each run: a KRaft storage records its controller's endpoint when formatted.
    data_dir = tempfile.mkdtemp(prefix="kafka-sasl-test-")
    started = _kafka_sh("start", data_dir)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"SASL_PLAINTEXT/SCRAM-SHA-512 on 127.0.0.1:{SASL_PORT}" in started.stdout
        yield f"127.0.0.1:{SASL_PORT}"
    finally:
        _kafka_sh("stop", data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


async def test_a_wrong_password_is_refused(sasl_broker: str) -> None:
    connection = KafkaConnection(
        bootstrap_servers=sasl_broker,
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username=USER,
        sasl_password="not-the-password",
    )
    with pytest.raises(KafkaConnectionError):
        await asyncio.wait_for(ensure_topics(connection, {"never-created": 1}), timeout=30)


async def test_without_sasl_the_listener_does_not_serve(sasl_broker: str) -> None:
    with pytest.raises((KafkaConnectionError, TimeoutError)):
        await asyncio.wait_for(
            ensure_topics(KafkaConnection(bootstrap_servers=sasl_broker), {"never": 1}), 15
        )


async def test_a_service_publishes_and_consumes_over_sasl_scram(
    sasl_broker: str, service_settings: Any
) -> None:
    settings = await service_settings(
        probe.ProbeSettings,
        "probe_sasl",
        kafka_bootstrap_servers=sasl_broker,
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username=USER,
        kafka_sasl_password=PASSWORD,
        topic_partitions=2,
        **_own_topics("sasl"),
    )
    async with run_service(build_app(probe.definition(), settings), settings) as running:
        runtime = running.runtime
        assert runtime.consumer is not None
        await runtime.consumer.started.wait()
        # Through the outbox and relay onto the broker, back through the consumer's inbox.
        cases = [uuid.uuid4() for _ in range(5)]
        async with runtime.sessions() as session, session.begin():
            for case_id in cases:
                await runtime.publisher.publish(session, decision("over sasl"), case_id=case_id)

        async def all_applied() -> bool:
            async with runtime.sessions() as session:
                found = await session.scalars(sa.select(applied.c.case_id))
                return set(found) == set(cases)

        await eventually(all_applied, timeout=45, what="the events to come back over SASL")
        assert (await running.client.get("/ready")).json()["checks"]["kafka"] == "ok"
