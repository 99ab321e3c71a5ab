"""The platform's Kafka ACLs, kept as data (``deploy/kafka/acls.json``) and applied to a broker.

The envelope's producer is self-declared; what makes it true is that only the aid center's
principal may write ``aid-center.events``, only an agency's may write the intake topic, and so
on. The consumers check the rest (an event type that does not belong on its topic). The file
names, per principal, the topics it writes and reads and the consumer groups it uses;
:func:`acl_bindings` expands that into ACL bindings (pure), :func:`apply_acls` sends them.

    python -m defense_messaging.acls apply --bootstrap 127.0.0.1:59092 deploy/kafka/acls.json

(as the admin principal: ``--sasl-username admin`` with ``KAFKA_SASL_PASSWORD``, or over the
broker's loopback plaintext listener). Topics are provisioned apart: ``defense_messaging.topics``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import CreateAclsRequest

from defense_messaging.kafka_client import KafkaConnection
from defense_messaging.topics import add_connection_arguments, connection_from_args


class ResourceType(IntEnum):
    TOPIC = 2
    GROUP = 3


class Operation(IntEnum):
    READ = 3
    WRITE = 4
    DESCRIBE = 8


ALLOW = 3
LITERAL = 3


@dataclass(frozen=True, order=True)
class AclBinding:
    principal: str
    resource_type: ResourceType
    resource: str
    operation: Operation


@dataclass(frozen=True)
class Grants:
    write: frozenset[str]
    read: frozenset[str]
    groups: frozenset[str]


def load_acls(path: Path) -> dict[str, Grants]:
    return parse_acls(json.loads(path.read_text(encoding="utf-8")))


def parse_acls(document: Mapping[str, Any]) -> dict[str, Grants]:
    return {
        name: Grants(
            write=frozenset(grants.get("write", ())),
            read=frozenset(grants.get("read", ())),
            groups=frozenset(grants.get("groups", ())),
        )
        for name, grants in document["principals"].items()
    }


def acl_bindings(grants: Mapping[str, Grants]) -> list[AclBinding]:
    """Every binding the grants mean: WRITE and READ on topics, READ on groups, and DESCRIBE on
    every topic the file names and its dead-letter twin (a service lists the platform's topics
    when it starts, and would try to create one it cannot see)."""
    named = {topic for grant in grants.values() for topic in grant.write | grant.read}
    topics = named | {f"{topic}.dlq" for topic in named if not topic.endswith(".dlq")}
    bindings = set()
    for name, grant in grants.items():
        principal = f"User:{name}"
        for topic in grant.write:
            bindings.add(AclBinding(principal, ResourceType.TOPIC, topic, Operation.WRITE))
        for topic in grant.read:
            bindings.add(AclBinding(principal, ResourceType.TOPIC, topic, Operation.READ))
        for group in grant.groups:
            bindings.add(AclBinding(principal, ResourceType.GROUP, group, Operation.READ))
        for topic in topics:
            bindings.add(AclBinding(principal, ResourceType.TOPIC, topic, Operation.DESCRIBE))
    return sorted(bindings)


async def apply_acls(connection: KafkaConnection, bindings: list[AclBinding]) -> None:
    """Create the bindings (creating an existing one again changes nothing)."""
    admin = AIOKafkaAdminClient(**connection.options())
    await admin.start()
    try:
        for binding in bindings:
            request = CreateAclsRequest(
                int(binding.resource_type),
                binding.resource,
                LITERAL,
                binding.principal,
                "*",
                int(binding.operation),
                ALLOW,
            )
            response = await admin._send_request(request)  # no public call in aiokafka
            for error_code, message in response.creation_responses:
                if error_code:
                    raise for_code(error_code)(f"{binding}: {message}")
    finally:
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m defense_messaging.acls")
    parser.add_argument("command", choices=["apply", "show"])
    parser.add_argument("file", type=Path)
    add_connection_arguments(parser)
    args = parser.parse_args()
    bindings = acl_bindings(load_acls(args.file))
    if args.command == "show":
        for binding in bindings:
            print(
                f"{binding.principal} {binding.operation.name} "
                f"{binding.resource_type.name.lower()} {binding.resource}"
            )
        return
    asyncio.run(apply_acls(connection_from_args(args), bindings))
    print(f"applied {len(bindings)} ACL bindings")


if __name__ == "__main__":
    main()
