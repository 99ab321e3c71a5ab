"""A partner agency reads our topics with a standard CloudEvents SDK: every message the relay
produces is a CloudEvents 1.0 event in the Kafka binding's binary content mode, its attributes
the envelope's (defense_schemas.kafka_headers), its data the envelope itself."""

from __future__ import annotations

import json
import uuid

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event

from defense_schemas import decode_event
from tests.infrastructure import RunningService, read_topic
from tests.messaging import probe
from tests.messaging.test_hostile_messages import running_probe  # noqa: F401

pytestmark = pytest.mark.integration


async def test_a_produced_event_decodes_with_the_cloudevents_sdk(
    running_probe: RunningService,  # noqa: F811
) -> None:
    runtime = running_probe.runtime
    case_id = uuid.uuid4()
    async with runtime.sessions() as session, session.begin():
        first = await runtime.publisher.publish(session, probe.decision("首个"), case_id=case_id)
    async with runtime.sessions() as session, session.begin():
        caused = await runtime.publisher.publish(
            session, probe.decision("随后"), case_id=case_id, caused_by=first
        )
    records = await read_topic(
        running_probe.settings.kafka_bootstrap_servers,
        runtime.publisher.topic,
        until=lambda found: {first.to_bytes(), caused.to_bytes()} <= {r.value for r in found},
    )
    for envelope in (first, caused):
        record = next(r for r in records if r.value == envelope.to_bytes())
        event = from_binary_event(
            KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
        )
        assert event.get_specversion() == "1.0"
        assert event.get_id() == str(envelope.event_id)
        assert event.get_source() == f"/defense-coverage/{envelope.producer}"
        assert event.get_type() == f"{envelope.event_type}.v{envelope.schema_version}"
        assert event.get_time() == envelope.occurred_at
        assert event.get_subject() == str(case_id)
        assert event.get_datacontenttype() == "application/json"
        assert event.get_extension("correlationid") == str(first.event_id)
        assert event.get_extension("causationid") == (
            None if envelope is first else str(first.event_id)
        )
        assert event.get_extension("partitionkey") == str(case_id)
        # The data is the envelope: our own decoder reads it back unchanged.
        assert decode_event(json.dumps(event.get_data()).encode())[0] == envelope
