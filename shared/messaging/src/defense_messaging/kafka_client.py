"""Kafka client options in one place, so producer, consumer and admin agree on security."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class KafkaConnection:
    bootstrap_servers: str
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = None
    ssl_cafile: str | None = None
    client_id: str | None = None
    """Who this process is to the brokers (their request logs, quotas, metrics): a service's
    runtime sets ``<service>-<replica>``; ``None`` leaves aiokafka's ``aiokafka-<version>``."""
    extra: dict[str, Any] = field(default_factory=dict)

    def options(self, role: str | None = None) -> dict[str, Any]:
        """The client options; ``role`` (``relay``, ``consumer``, ``admin``, …) is appended to
        the client id, so each of a replica's clients can be told apart."""
        opts: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol,
        }
        if self.client_id:
            opts["client_id"] = f"{self.client_id}-{role}" if role else self.client_id
        if self.sasl_mechanism:
            opts["sasl_mechanism"] = self.sasl_mechanism
            opts["sasl_plain_username"] = self.sasl_username
            opts["sasl_plain_password"] = self.sasl_password
        if self.security_protocol in ("SSL", "SASL_SSL"):
            import ssl

            opts["ssl_context"] = ssl.create_default_context(cafile=self.ssl_cafile)
        opts.update(self.extra)
        return opts


async def topic_end_offsets(connection: KafkaConnection, topics: list[str]) -> dict[str, list[int]]:
    """The end offset of every partition of ``topics``, in partition order: where a topic's
    history ends now. A rebuild (``NOTIFIER_REPLAY_UNTIL``, ``AID_CENTER_REPLAY_UNTIL``) takes
    them in this form, so a replay knows which records the original run already acted on."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(enable_auto_commit=False, **connection.options("replay"))
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = {topic: sorted(consumer.partitions_for_topic(topic) or ()) for topic in topics}
        ends = await consumer.end_offsets(
            [TopicPartition(topic, p) for topic, ps in partitions.items() for p in ps]
        )
        return {
            topic: [ends[TopicPartition(topic, p)] for p in ps] for topic, ps in partitions.items()
        }
    finally:
        await consumer.stop()
