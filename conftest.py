"""Fixtures for real Kafka and PostgreSQL, shared by every test in the repository.

Each test session gets its own databases and topic names (a run id prefix), so tests never
see a running development system's data, nor an earlier run's; at its end it deletes them (and
no other session's). A test that wants topics of its own takes ``tests.infrastructure.own_topics``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import asyncpg
import pytest

from defense_schemas import topics
from service_runtime.settings import ServiceSettings
from tests.infrastructure import RUN_ID, Endpoints, endpoints, remove_session_topics

# The tests run the services with the published local keys, which only development mode allows.
os.environ.setdefault("DEFENSE_ENV", "development")


def pytest_report_header() -> str:
    return f"this session's databases, topics and consumer groups: t{RUN_ID}…"


@pytest.fixture(scope="session")
def infra() -> Iterator[Endpoints]:
    with endpoints() as found:
        try:
            yield found
        finally:
            removed = remove_session_topics(found.kafka_bootstrap)
            print(f"\ndeleted this session's {len(removed)} topics (t{RUN_ID}…)")


@pytest.fixture(scope="session")
def topic_names() -> dict[str, str]:
    """This run's topic names, as settings fields."""
    return {
        "topic_intake": f"t{RUN_ID}.{topics.INTAKE_CASE_TRANSFERS}",
        "topic_procuratorate": f"t{RUN_ID}.{topics.PROCURATORATE_EVENTS}",
        "topic_aid_center": f"t{RUN_ID}.{topics.AID_CENTER_EVENTS}",
        "topic_notifier": f"t{RUN_ID}.{topics.NOTIFIER_EVENTS}",
    }


@pytest.fixture(scope="session")
async def scratch_database(infra: Endpoints) -> AsyncIterator[Callable[[str], Any]]:
    """Creates a fresh database per call; all are dropped when the session ends."""
    created: list[str] = []
    admin = await asyncpg.connect(infra.pg_admin_url)

    async def create(label: str) -> str:
        name = f"t{RUN_ID}_{label}_{len(created)}"
        await admin.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        base = infra.pg_admin_url.rsplit("/", 1)[0]
        return f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{name}"

    yield create
    for name in created:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture(scope="session")
def service_settings(
    infra: Endpoints, topic_names: dict[str, str], scratch_database: Callable[[str], Any]
) -> Callable[..., Any]:
    """Settings for one service instance on this run's topics and a fresh database."""

    async def make(settings_class: type[ServiceSettings], label: str, **overrides: Any) -> Any:
        database_url = await scratch_database(label)
        values: dict[str, Any] = {
            "database_url": database_url,
            "kafka_bootstrap_servers": infra.kafka_bootstrap,
            "consumer_group": f"t{RUN_ID}-{label}",
            "topic_partitions": 4,
            "outbox_poll_interval_seconds": 0.2,
            **topic_names,
        }
        values.update(overrides)
        return settings_class(**values)

    return make
