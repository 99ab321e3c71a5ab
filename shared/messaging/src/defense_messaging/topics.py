"""Create the platform's topics idempotently (at service start, or by command)."""

from __future__ import annotations

import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from defense_messaging.kafka_client import KafkaConnection

log = logging.getLogger(__name__)


async def ensure_topics(
    connection: KafkaConnection, partitions_by_topic: dict[str, int], replication_factor: int = 1
) -> list[str]:
    """Create the topics that do not exist yet; returns the names created."""
    admin = AIOKafkaAdminClient(**connection.options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name=name, num_partitions=count, replication_factor=replication_factor)
            for name, count in sorted(partitions_by_topic.items())
            if name not in existing
        ]
        if not missing:
            return []
        try:
            await admin.create_topics(missing)
        except TopicAlreadyExistsError:
            # Another replica created them between our listing and our request: that is fine.
            pass
        created = [topic.name for topic in missing]
        log.info("created topics %s", created)
        return created
    finally:
        await admin.close()
