"""The platform's topics as code: what each one is (partitions, replication, retention, …),
and the one way to make the broker agree (``provision``).

The event topics are the system of record: a projection rebuilt, a new consumer group or a
dead letter replayed reads them from the first offset, so they are kept indefinitely
(``retention.ms=-1``, ``retention.bytes=-1``; the broker's default of 7 days silently lost every
older event). A dead-letter topic is an operator's inbox whose rows the service also keeps in its
``dead_letters`` table: it is kept for :data:`DEAD_LETTER_RETENTION_DAYS`. Every topic's
``min.insync.replicas`` follows its replication factor (2 of 3; 1 below 3), so that with the
producers' ``acks=all`` a write survives the loss of a broker and a cluster that lost one broker
of three still takes writes. See README, "Topic settings and retention".

One way to apply them, for an administrator (under ACLs no service may create or alter topics)
and for a development broker alike::

    python -m defense_messaging.topics provision --bootstrap HOST:PORT \
        [--partitions 6] [--replication-factor 3] [--sasl-username ADMIN]

creates what is missing, sets back every declared setting that drifted (incremental alter
configs: settings not declared here are left alone), and grows partitions to the declared count
(partitions never shrink: a key's partition would move and its events lose their order). A
replication factor below the declared one is reported, not changed (that is a partition
reassignment). ``python -m <service> create-topics`` runs the same with the service's own
settings (topic names, partition count, replication factor). A service also creates its missing
topics at start, with these settings, where its principal may; it never alters. ``show`` prints
the declarations (``--json`` for tools, e.g. the cluster manifests).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError, UnknownTopicOrPartitionError, for_code
from aiokafka.protocol.admin import Response
from aiokafka.protocol.api import Request, RequestStruct
from aiokafka.protocol.types import Array, Boolean, Int8, Int16, Int32, Schema, String

from defense_messaging.kafka_client import KafkaConnection
from defense_schemas import topics

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36

DEFAULT_PARTITIONS = 6
DEFAULT_REPLICATION_FACTOR = 1
DEAD_LETTER_RETENTION_DAYS = 365
MAX_MESSAGE_BYTES = 1_048_588
"""The broker's own default, declared so that a broker configured otherwise does not change
what the platform accepts: the consumers refuse larger messages (``inbound_max_message_bytes``,
1 MiB) and a dead letter's copy is cut below it."""


def min_insync_replicas(replication_factor: int) -> int:
    """Two acknowledgements of three (one broker may be down and writes go on, and an
    acknowledged write is on two brokers); one below three replicas."""
    return 2 if replication_factor >= 3 else 1


def event_topic_configs(replication_factor: int) -> dict[str, str]:
    """An event topic: the system of record, kept indefinitely."""
    return {
        "cleanup.policy": "delete",
        "retention.ms": "-1",
        "retention.bytes": "-1",
        "min.insync.replicas": str(min_insync_replicas(replication_factor)),
        "max.message.bytes": str(MAX_MESSAGE_BYTES),
    }


def dead_letter_topic_configs(replication_factor: int) -> dict[str, str]:
    """A dead-letter topic: long enough for any investigation; the service's table keeps the
    original bytes as well."""
    return {
        **event_topic_configs(replication_factor),
        "retention.ms": str(DEAD_LETTER_RETENTION_DAYS * 24 * 3600 * 1000),
    }


@dataclass(frozen=True)
class TopicSpec:
    """One topic as the platform declares it."""

    name: str
    partitions: int = DEFAULT_PARTITIONS
    replication_factor: int = DEFAULT_REPLICATION_FACTOR
    configs: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        name: str,
        partitions: int = DEFAULT_PARTITIONS,
        replication_factor: int = DEFAULT_REPLICATION_FACTOR,
    ) -> TopicSpec:
        """The declaration of a platform topic by its name: a ``.dlq`` is a dead-letter topic,
        any other an event topic."""
        configs = (
            dead_letter_topic_configs(replication_factor)
            if name.endswith(".dlq")
            else event_topic_configs(replication_factor)
        )
        return cls(name, partitions, replication_factor, configs)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "partitions": self.partitions,
            "replication_factor": self.replication_factor,
            "configs": dict(self.configs),
        }


def with_dead_letters(names: Iterable[str]) -> list[str]:
    """The topics and each one's dead-letter twin."""
    return sorted({*names, *(topics.dead_letter_topic(t) for t in names if not t.endswith(".dlq"))})


def platform_topics() -> list[str]:
    """The platform's topics under their default names, each with its dead-letter topic."""
    return with_dead_letters(topics.TOPICS)


def topic_specs(
    names: Iterable[str] | None = None,
    *,
    partitions: int = DEFAULT_PARTITIONS,
    replication_factor: int = DEFAULT_REPLICATION_FACTOR,
) -> list[TopicSpec]:
    """The declarations of ``names`` (default: :func:`platform_topics`)."""
    chosen = platform_topics() if names is None else sorted(set(names))
    return [TopicSpec.of(name, partitions, replication_factor) for name in chosen]


class TopicsMissing(Exception):
    """Topics that do not exist and could not be created (typically: the principal may not)."""

    def __init__(self, missing: Mapping[str, str]) -> None:
        self.missing = dict(missing)
        super().__init__(
            "missing topics "
            + ", ".join(f"{topic} ({why})" for topic, why in sorted(self.missing.items()))
        )


class TopicProvisioningFailed(Exception):
    """The broker refused to change a topic's settings or partitions."""


# --- IncrementalAlterConfigs (KIP-339): aiokafka has only the legacy AlterConfigs, which
# replaces every dynamic setting of a topic and would drop settings set by others. ---------

_TOPIC_RESOURCE = 2
_SET = 0


class _IncrementalAlterConfigsResponse_v0(Response):
    API_KEY = 44
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "responses",
            Array(
                ("error_code", Int16),
                ("error_message", String("utf-8")),
                ("resource_type", Int8),
                ("resource_name", String("utf-8")),
            ),
        ),
    )


class _IncrementalAlterConfigsRequest_v0(RequestStruct):
    API_KEY = 44
    API_VERSION = 0
    RESPONSE_TYPE = _IncrementalAlterConfigsResponse_v0
    SCHEMA = Schema(
        (
            "resources",
            Array(
                ("resource_type", Int8),
                ("resource_name", String("utf-8")),
                (
                    "configs",
                    Array(
                        ("name", String("utf-8")),
                        ("config_operation", Int8),
                        ("value", String("utf-8")),
                    ),
                ),
            ),
        ),
        ("validate_only", Boolean),
    )


class _IncrementalAlterConfigs(Request[_IncrementalAlterConfigsRequest_v0]):
    API_KEY = 44

    def __init__(self, changes: Mapping[str, Mapping[str, str]]) -> None:
        self._resources = [
            (_TOPIC_RESOURCE, topic, [(name, _SET, value) for name, value in sorted(cfg.items())])
            for topic, cfg in sorted(changes.items())
        ]

    def build(
        self, request_struct_class: type[_IncrementalAlterConfigsRequest_v0]
    ) -> _IncrementalAlterConfigsRequest_v0:
        return request_struct_class(self._resources, False)


async def describe_topic_configs(
    admin: AIOKafkaAdminClient, names: Iterable[str]
) -> dict[str, dict[str, str]]:
    """Every setting of each topic as the broker has it (its own or the broker's default)."""
    resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in sorted(names)]
    if not resources:
        return {}
    result: dict[str, dict[str, str]] = {}
    for response in await admin.describe_configs(resources):
        for error_code, message, _type, name, entries in response.resources:
            if error_code:
                raise for_code(error_code)(f"describe configs of {name}: {message}")
            result[name] = {entry[0]: entry[1] for entry in entries}
    return result


async def _described_once_known(
    admin: AIOKafkaAdminClient, names: list[str], attempts: int = 20
) -> dict[str, dict[str, str]]:
    """A topic created a moment ago (by another replica, or by the previous command) is listed
    before every broker can describe it: ask again, briefly."""
    for _ in range(attempts - 1):
        try:
            return await describe_topic_configs(admin, names)
        except UnknownTopicOrPartitionError:
            await asyncio.sleep(0.5)
    return await describe_topic_configs(admin, names)


@dataclass
class Provisioned:
    """What ``provision_topics`` did."""

    created: list[str] = field(default_factory=list)
    altered: dict[str, dict[str, tuple[str | None, str]]] = field(default_factory=dict)
    """topic → setting → (what the broker had, what it has now)."""
    grown: dict[str, tuple[int, int]] = field(default_factory=dict)
    """topic → (partitions before, after)."""
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{name}: created" for name in self.created]
        for name, changes in sorted(self.altered.items()):
            said = ", ".join(f"{k} {old} -> {new}" for k, (old, new) in sorted(changes.items()))
            out.append(f"{name}: altered {said}")
        out += [f"{name}: partitions {a} -> {b}" for name, (a, b) in sorted(self.grown.items())]
        out += [f"{name}: as declared" for name in self.unchanged]
        out += [f"warning: {w}" for w in self.warnings]
        return out


async def _create(admin: AIOKafkaAdminClient, specs: list[TopicSpec]) -> tuple[list[str], dict]:
    """Create ``specs``; returns the names created and those refused, with why."""
    if not specs:
        return [], {}
    new = [
        NewTopic(
            name=s.name,
            num_partitions=s.partitions,
            replication_factor=s.replication_factor,
            topic_configs=dict(s.configs),
        )
        for s in specs
    ]
    try:
        response = await admin.create_topics(new)
    except TopicAlreadyExistsError:
        # Another replica created them between our listing and our request: that is fine.
        return [], {}
    refused = {
        error[0]: for_code(error[1]).__name__
        for error in response.topic_errors
        if error[1] not in (0, TOPIC_ALREADY_EXISTS)
    }
    created = [s.name for s in specs if s.name not in refused]
    if created:
        log.info("created topics %s", created)
    return created, refused


async def ensure_topics(
    connection: KafkaConnection,
    partitions_by_topic: Mapping[str, int] | Iterable[TopicSpec],
    replication_factor: int = DEFAULT_REPLICATION_FACTOR,
) -> list[str]:
    """Create the topics that do not exist yet, with their declared settings; returns the names
    created. Never alters an existing topic (that is the administrator's ``provision``). Raises
    :class:`TopicsMissing` naming each topic the broker refused to create, and why."""
    specs = _as_specs(partitions_by_topic, replication_factor)
    admin = AIOKafkaAdminClient(**connection.options("admin"))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        created, refused = await _create(admin, [s for s in specs if s.name not in existing])
        if refused:
            raise TopicsMissing(refused)
        return created
    finally:
        await admin.close()


async def provision_topics(connection: KafkaConnection, specs: Iterable[TopicSpec]) -> Provisioned:
    """Make the broker's topics what ``specs`` declare: create the missing, set back drifted
    settings, grow partitions. Raises :class:`TopicsMissing` or
    :class:`TopicProvisioningFailed` when the broker refuses."""
    wanted = {s.name: s for s in specs}
    done = Provisioned()
    admin = AIOKafkaAdminClient(**connection.options("admin"))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        done.created, refused = await _create(
            admin, [s for name, s in sorted(wanted.items()) if name not in existing]
        )
        if refused:
            raise TopicsMissing(refused)
        there = sorted(name for name in wanted if name in existing)
        if not there:
            return done
        live = await _described_once_known(admin, there)
        described = {t["topic"]: t for t in await admin.describe_topics(there)}
        changes: dict[str, dict[str, str]] = {}
        for name in there:
            spec = wanted[name]
            partitions = described[name]["partitions"]
            replicas = min((len(p["replicas"]) for p in partitions), default=0)
            drift = {k: v for k, v in spec.configs.items() if live[name].get(k) != v}
            if replicas < spec.replication_factor:
                done.warnings.append(
                    f"{name}: replication factor {replicas}, declared {spec.replication_factor}; "
                    "reassign its partitions (kafka-reassign-partitions.sh)"
                )
                # More in-sync replicas than the topic has would refuse every acks=all write.
                drift.pop("min.insync.replicas", None)
            if drift:
                changes[name] = drift
                done.altered[name] = {k: (live[name].get(k), v) for k, v in drift.items()}
            if len(partitions) < spec.partitions:
                done.grown[name] = (len(partitions), spec.partitions)
            elif len(partitions) > spec.partitions:
                done.warnings.append(
                    f"{name}: {len(partitions)} partitions, declared {spec.partitions}; "
                    "partitions never shrink (a key's events would change partition)"
                )
            if name not in changes and name not in done.grown:
                done.unchanged.append(name)
        if changes:
            response = await admin._send_request(_IncrementalAlterConfigs(changes))
            failed = [
                f"{name}: {for_code(code).__name__} {message or ''}".strip()
                for code, message, _type, name in response.responses
                if code
            ]
            if failed:
                raise TopicProvisioningFailed("; ".join(failed))
            log.info("altered topic settings %s", done.altered)
        if done.grown:
            await admin.create_partitions(
                {name: NewPartitions(total_count=after) for name, (_, after) in done.grown.items()}
            )
            log.info("grew partitions %s", done.grown)
        for warning in done.warnings:
            log.warning("%s", warning)
        return done
    finally:
        await admin.close()


def _as_specs(
    given: Mapping[str, int] | Iterable[TopicSpec], replication_factor: int
) -> list[TopicSpec]:
    if isinstance(given, Mapping):
        return [TopicSpec.of(name, count, replication_factor) for name, count in given.items()]
    return list(given)


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


def run_provision(connection: KafkaConnection, specs: list[TopicSpec]) -> int:
    """``provision`` as a command: prints what it did, one line a topic; exit status 1 when
    the broker refused something."""
    try:
        done = asyncio.run(provision_topics(connection, specs))
    except (TopicsMissing, TopicProvisioningFailed) as refused:
        print(f"refused: {refused}")
        return 1
    print("\n".join(done.lines()))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m defense_messaging.topics")
    parser.add_argument("command", choices=["provision", "show"])
    parser.add_argument("--partitions", type=int, default=DEFAULT_PARTITIONS)
    parser.add_argument("--replication-factor", type=int, default=DEFAULT_REPLICATION_FACTOR)
    parser.add_argument(
        "--topic",
        action="append",
        help="a topic (repeatable; its .dlq comes with it); default: the platform's",
    )
    parser.add_argument("--json", action="store_true", help="show: as JSON")
    add_connection_arguments(parser)
    args = parser.parse_args()
    specs = topic_specs(
        with_dead_letters(args.topic) if args.topic else None,
        partitions=args.partitions,
        replication_factor=args.replication_factor,
    )
    if args.command == "show":
        if args.json:
            print(json.dumps([s.as_json() for s in specs], indent=2))
        else:
            for s in specs:
                settings = " ".join(f"{k}={v}" for k, v in sorted(s.configs.items()))
                print(f"{s.name} partitions={s.partitions} rf={s.replication_factor} {settings}")
        return
    raise SystemExit(run_provision(connection_from_args(args), specs))


if __name__ == "__main__":
    main()
