"""The platform's topics: created by an administrator (``provision``), or by a service at start
where the broker lets it (a development broker without ACLs).

Under the platform's ACLs (``deploy/kafka/acls.json``) no service may create topics: the
administrator provisions them once, with the admin principal, before the services start:

    python -m defense_messaging.topics provision --bootstrap HOST:PORT [--partitions N]

(the default names of ``defense_schemas.topics`` and each one's ``.dlq``; SASL options as for
the acls tool). A service that finds topics missing and may not create them logs it at ERROR and
its ``/ready`` answers 503 naming them until they exist; it does not crash-loop.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from collections.abc import Mapping

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

from defense_messaging.kafka_client import KafkaConnection
from defense_schemas import topics

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36


class TopicsMissing(Exception):
    """Topics that do not exist and could not be created (typically: the principal may not)."""

    def __init__(self, missing: Mapping[str, str]) -> None:
        self.missing = dict(missing)
        super().__init__(
            "missing topics "
            + ", ".join(f"{topic} ({why})" for topic, why in sorted(self.missing.items()))
        )


async def ensure_topics(
    connection: KafkaConnection, partitions_by_topic: dict[str, int], replication_factor: int = 1
) -> list[str]:
    """Create the topics that do not exist yet; returns the names created. Raises
    :class:`TopicsMissing` naming each topic the broker refused to create, and why."""
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
            response = await admin.create_topics(missing)
        except TopicAlreadyExistsError:
            # Another replica created them between our listing and our request: that is fine.
            return []
        refused = {
            error[0]: for_code(error[1]).__name__
            for error in response.topic_errors
            if error[1] not in (0, TOPIC_ALREADY_EXISTS)
        }
        created = [topic.name for topic in missing if topic.name not in refused]
        if created:
            log.info("created topics %s", created)
        if refused:
            raise TopicsMissing(refused)
        return created
    finally:
        await admin.close()


def platform_topics() -> list[str]:
    """The platform's topics under their default names, each with its dead-letter topic."""
    return sorted({*topics.TOPICS, *(topics.dead_letter_topic(t) for t in topics.TOPICS)})


def connection_from_args(args: argparse.Namespace) -> KafkaConnection:
    """Plaintext by default; ``--sasl-username`` (password from ``KAFKA_SASL_PASSWORD``) for a
    broker that authenticates."""
    if not args.sasl_username:
        return KafkaConnection(bootstrap_servers=args.bootstrap)
    return KafkaConnection(
        bootstrap_servers=args.bootstrap,
        security_protocol=args.security_protocol,
        sasl_mechanism=args.sasl_mechanism,
        sasl_username=args.sasl_username,
        sasl_password=os.environ.get("KAFKA_SASL_PASSWORD"),
    )


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bootstrap", default="127.0.0.1:59092")
    parser.add_argument("--sasl-username", help="the admin principal; KAFKA_SASL_PASSWORD")
    parser.add_argument("--sasl-mechanism", default="SCRAM-SHA-512")
    parser.add_argument("--security-protocol", default="SASL_PLAINTEXT")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m defense_messaging.topics")
    parser.add_argument("command", choices=["provision", "show"])
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--replication-factor", type=int, default=1)
    parser.add_argument(
        "--topic", action="append", help="a topic (repeatable); default: the platform's"
    )
    add_connection_arguments(parser)
    args = parser.parse_args()
    names = args.topic or platform_topics()
    if args.command == "show":
        print("\n".join(names))
        return
    created = asyncio.run(
        ensure_topics(
            connection_from_args(args),
            dict.fromkeys(names, args.partitions),
            replication_factor=args.replication_factor,
        )
    )
    print(f"{len(created)} topics created, {len(names) - len(created)} already there")


if __name__ == "__main__":
    main()
