"""Generate the JSON Schema and AsyncAPI documents from the models, check or publish them.

    python -m defense_schemas.generate            # write shared/schemas/generated/
    python -m defense_schemas.generate --check    # exit 1 and list stale files
    python -m defense_schemas.generate --publish  # also snapshot unpublished versions

The output is deterministic (sorted keys, two-space indent, trailing newline) so it is committed
and reviewed with the change that caused it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from defense_schemas.base import BaseEvent, registered_events
from defense_schemas.envelope import Envelope
from defense_schemas.topics import TOPIC_CONSUMERS, Producer, producer_of_topic

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
"""shared/schemas: the package's project directory (the install is editable)."""
GENERATED_DIR = PACKAGE_ROOT / "generated"
PUBLISHED_DIR = PACKAGE_ROOT / "published"
JSON_SCHEMA_SUBDIR = "jsonschema"
ASYNCAPI_FILE = "asyncapi.json"
ENVELOPE_NAME = "envelope"

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID_PREFIX = "urn:defense-coverage:schema:"
LOCAL_KAFKA = "127.0.0.1:59092"
KAFKA_BINDING_VERSION = "0.5.0"

Schema = dict[str, Any]


# --- JSON Schema ----------------------------------------------------------------------------


def envelope_schema() -> Schema:
    """The envelope's JSON Schema (payload left generic), with $schema, $id and title."""
    schema = Envelope.model_json_schema()
    return {
        **schema,
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": SCHEMA_ID_PREFIX + ENVELOPE_NAME,
        "title": "Envelope",
    }


def event_schema(event: type[BaseEvent]) -> Schema:
    """One event's payload schema, with $schema, $id, title and the event's coordinates."""
    schema = _payload_schema(event, ref_template="#/$defs/{model}")
    return {
        **schema,
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": SCHEMA_ID_PREFIX + event.schema_name(),
        "x-event-type": event.event_type,
        "x-schema-version": event.schema_version,
        "x-producer": event.producer.value,
        "x-topic": event.topic(),
    }


def current_schemas() -> dict[str, Schema]:
    """Every contract's schema by file stem: `envelope` and `<EventType>.v<N>`."""
    schemas = {ENVELOPE_NAME: envelope_schema()}
    schemas.update({event.schema_name(): event_schema(event) for event in registered_events()})
    return schemas


def _payload_schema(event: type[BaseEvent], *, ref_template: str) -> Schema:
    schema = event.model_json_schema(ref_template=ref_template)
    schema["title"] = event.event_type
    return _open_objects(schema)


def _open_objects(node: Any) -> Any:
    """Drop `additionalProperties: false` from payload objects: readers ignore unknown fields
    (see ContractModel), so the wire contract lets later versions add optional fields."""
    if isinstance(node, dict):
        return {
            key: _open_objects(value)
            for key, value in node.items()
            if not (key == "additionalProperties" and value is False)
        }
    if isinstance(node, list):
        return [_open_objects(item) for item in node]
    return node


# --- AsyncAPI -------------------------------------------------------------------------------


def asyncapi_document() -> Schema:
    """The AsyncAPI 3.0.0 document: the local Kafka server, one channel per topic with its
    messages, each producer's send and each consumer's receive operations, and the schemas."""
    components_schemas = _component_schemas()
    events_by_topic: dict[str, list[type[BaseEvent]]] = {topic: [] for topic in TOPIC_CONSUMERS}
    for event in registered_events():
        events_by_topic[event.topic()].append(event)

    examples = _examples()
    messages = {
        event.schema_name(): _message(event, examples.get(event)) for event in registered_events()
    }
    channels: Schema = {}
    operations: Schema = {}
    for topic, events in events_by_topic.items():
        channel_messages = {
            event.schema_name(): {"$ref": f"#/components/messages/{event.schema_name()}"}
            for event in events
        }
        channels[topic] = {
            "address": topic,
            "title": topic,
            "description": f"Events of the {producer_of_topic(topic).value} producer, keyed by "
            f"case id. Poison messages go to `{topic}.dlq`.",
            "messages": channel_messages,
            "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING_VERSION}},
        }
        message_refs = [
            {"$ref": f"#/channels/{topic}/messages/{name}"} for name in channel_messages
        ]
        producer = producer_of_topic(topic)
        operations[f"{producer.value}.send.{topic}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{topic}"},
            "messages": message_refs,
            "summary": f"{_party(producer)} publishes to {topic}.",
        }
        for consumer in TOPIC_CONSUMERS[topic]:
            operations[f"{consumer.value}.receive.{topic}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{topic}"},
                "messages": message_refs,
                "summary": f"{_party(consumer)} consumes {topic}.",
            }

    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "defense-coverage events",
            "version": "1.0.0",
            "description": "The events of the full defense-coverage platform at the "
            "review-for-prosecution stage. Every message is an Envelope around one event's "
            "payload, keyed by case id; generated from the `defense_schemas` models. Each "
            "message's headers carry its type and the envelope as CloudEvents 1.0 attributes "
            "(`ce_*`, Kafka binding, binary content mode). The envelope and the payloads are "
            "open: a reader must ignore a field it does not know.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": LOCAL_KAFKA,
                "protocol": "kafka",
                "description": "The single-machine Kafka broker (KRaft) of deploy/.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": components_schemas},
    }


def _party(producer: Producer) -> str:
    return "Agency systems" if producer is Producer.AGENCY else f"The {producer.value} service"


def _component_schemas() -> Schema:
    """The envelope, every payload as `<EventType>.v<N>`, and every shared definition under its
    own name (one definition per name across all events)."""
    envelope = envelope_schema()
    del envelope["$schema"], envelope["$id"]
    schemas: Schema = {"Envelope": envelope}
    owners: dict[str, str] = {}
    for event in registered_events():
        payload = _payload_schema(event, ref_template="#/components/schemas/{model}")
        for name, definition in payload.pop("$defs", {}).items():
            if name in schemas and schemas[name] != definition:
                raise ValueError(
                    f"two different definitions are named {name!r} ({owners[name]} and "
                    f"{event.schema_name()}): give one of the models another name"
                )
            schemas[name] = definition
            owners.setdefault(name, event.schema_name())
        if event.schema_name() in schemas:
            raise ValueError(f"a definition is named like the event {event.schema_name()!r}")
        schemas[event.schema_name()] = payload
    return schemas


def _examples() -> dict[type[BaseEvent], Schema]:
    from defense_schemas.examples import EXAMPLES, example_envelope

    return {type(e): example_envelope(e).model_dump(mode="json") for e in EXAMPLES}


def _message(event: type[BaseEvent], example: Schema | None) -> Schema:
    """A message: the envelope, pinned to this event's type and version, embedding its payload."""
    envelope = envelope_schema()
    del envelope["$schema"], envelope["$id"]
    envelope["title"] = f"{event.schema_name()} envelope"
    properties = envelope["properties"]
    properties["event_type"] = {**properties["event_type"], "const": event.event_type}
    properties["schema_version"] = {**properties["schema_version"], "const": event.schema_version}
    if event.producer is not Producer.AGENCY:
        properties["producer"] = {**properties["producer"], "const": event.producer.value}
    properties["payload"] = {
        "$ref": f"#/components/schemas/{event.schema_name()}",
        "description": properties["payload"]["description"],
    }
    doc = (event.__doc__ or "").strip()
    examples = [] if example is None else [{"name": "example", "payload": example}]
    return {
        "name": event.event_type,
        "title": event.schema_name(),
        "summary": " ".join(doc.split("\n\n")[0].split()),
        "contentType": "application/json",
        "headers": _headers_schema(event),
        "payload": envelope,
        "examples": examples,
        "correlationId": {
            "description": "The workflow thread the event belongs to.",
            "location": "$message.payload#/correlation_id",
        },
        "bindings": {
            "kafka": {
                "key": {
                    "type": "string",
                    "format": "uuid",
                    "description": "The case id (the envelope's case_id).",
                },
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _headers_schema(event: type[BaseEvent]) -> Schema:
    """The Kafka headers the services send with the event (defense_schemas.kafka_headers): its
    own three and the CloudEvents binary-mode attributes. Agency systems publishing transfers
    should send the same; the procuratorate reads the value alone."""
    from defense_schemas.kafka_headers import (
        CLOUDEVENTS_HEADERS,
        CONTENT_TYPE,
        EVENT_HEADERS,
        HEADER_DESCRIPTIONS,
        SOURCE_PREFIX,
        SPEC_VERSION,
        ce_type,
    )

    properties: Schema = {
        name: {"type": "string", "description": HEADER_DESCRIPTIONS[name]}
        for name in EVENT_HEADERS + CLOUDEVENTS_HEADERS
    }
    properties["event_type"]["const"] = event.event_type
    properties["schema_version"]["const"] = str(event.schema_version)
    properties["ce_specversion"]["const"] = SPEC_VERSION
    properties["ce_type"]["const"] = ce_type(event.event_type, event.schema_version)
    properties["content-type"]["const"] = CONTENT_TYPE
    properties["ce_source"]["pattern"] = "^" + SOURCE_PREFIX
    for name in ("ce_id", "ce_subject", "ce_correlationid", "ce_causationid"):
        properties[name]["format"] = "uuid"
    properties["ce_time"]["format"] = "date-time"
    if event.producer is not Producer.AGENCY:
        properties["producer"]["const"] = event.producer.value
        properties["ce_source"]["const"] = SOURCE_PREFIX + event.producer.value
    return {
        "type": "object",
        "description": "Kafka headers, UTF-8 text. The CloudEvents 1.0 attributes follow the "
        "Kafka protocol binding in binary content mode: the message value (the envelope) is "
        "the event's data, so any CloudEvents SDK reads the message.",
        "properties": properties,
        "required": [
            name for name in EVENT_HEADERS + CLOUDEVENTS_HEADERS if name != "ce_causationid"
        ],
    }


# --- files ----------------------------------------------------------------------------------


def render(document: Mapping[str, Any]) -> str:
    """Deterministic JSON: sorted keys, two-space indent, Chinese unescaped, trailing newline."""
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def generated_files() -> dict[Path, str]:
    """Every generated file's path (relative to the generated directory) and content."""
    files = {
        Path(JSON_SCHEMA_SUBDIR, f"{name}.json"): render(schema)
        for name, schema in current_schemas().items()
    }
    files[Path(ASYNCAPI_FILE)] = render(asyncapi_document())
    return files


def stale_files(out_dir: Path, expected: Mapping[Path, str] | None = None) -> list[Path]:
    """Generated files that are missing, different, or no longer generated (e.g. an event
    removed), as paths under `out_dir`."""
    expected = generated_files() if expected is None else expected
    stale = [
        out_dir / rel
        for rel, text in expected.items()
        if not (out_dir / rel).is_file() or (out_dir / rel).read_text(encoding="utf-8") != text
    ]
    stale += [path for path in _existing_json(out_dir) if path.relative_to(out_dir) not in expected]
    return sorted(stale)


def write(out_dir: Path) -> list[Path]:
    """Write the generated files, removing ones no longer generated; return what changed."""
    expected = generated_files()
    changed = stale_files(out_dir, expected)
    for path in changed:
        rel = path.relative_to(out_dir)
        if rel in expected:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(expected[rel], encoding="utf-8")
        else:
            path.unlink()
    return changed


def publish(published_dir: Path) -> list[Path]:
    """Snapshot every contract version that has no snapshot yet. Never overwrites one: a
    published version is frozen, and `compatibility` checks the models against it."""
    written = []
    for name, schema in current_schemas().items():
        path = published_dir / f"{name}.json"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(schema), encoding="utf-8")
            written.append(path)
    return written


def _existing_json(out_dir: Path) -> Iterator[Path]:
    if out_dir.is_dir():
        yield from (p for p in out_dir.rglob("*.json") if p.is_file())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m defense_schemas.generate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    parser.add_argument(
        "--publish", action="store_true", help="also snapshot unpublished contract versions"
    )
    parser.add_argument("--out-dir", type=Path, default=GENERATED_DIR)
    parser.add_argument("--published-dir", type=Path, default=PUBLISHED_DIR)
    args = parser.parse_args(argv)

    if args.check:
        stale = stale_files(args.out_dir)
        for path in stale:
            print(f"stale: {path}", file=sys.stderr)
        if stale:
            print("run `python -m defense_schemas.generate` and commit the result", file=sys.stderr)
        return 1 if stale else 0

    for path in write(args.out_dir):
        print(f"wrote: {path}")
    if args.publish:
        for path in publish(args.published_dir):
            print(f"published: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
