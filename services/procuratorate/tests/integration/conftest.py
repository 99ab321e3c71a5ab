"""The procuratorate each integration module runs against: the real app on its own database,
topics and consumer group (named after the module), called by Hedong's (河东) staff, whose
cases these tests are; and a Kafka producer for the events other agencies publish."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from procuratorate.service import create_app
from procuratorate.settings import ProcuratorateSettings
from service_runtime.security.principal import Role
from tests.infrastructure import RunningService, bearer, run_service


@pytest.fixture(scope="module")
async def service(
    request: pytest.FixtureRequest, service_settings: Callable[..., Any]
) -> AsyncIterator[RunningService]:
    label = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    settings = await service_settings(ProcuratorateSettings, label)
    async with run_service(create_app(settings), settings) as running:
        running.client.headers.update(
            bearer(settings, Role.PROCURATORATE_STAFF, agency="天津市河东区人民检察院")
        )
        yield running


@pytest.fixture(scope="module")
async def producer(service: RunningService) -> AsyncIterator[AIOKafkaProducer]:
    kafka = AIOKafkaProducer(bootstrap_servers=service.settings.kafka_bootstrap_servers)
    await kafka.start()
    yield kafka
    await kafka.stop()
