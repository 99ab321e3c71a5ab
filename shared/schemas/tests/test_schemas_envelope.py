"""Envelope bytes in and out: every event round-trips; bad messages are contract violations
that name the field at fault."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from pydantic import ValidationError

from defense_schemas import (
    ContractViolation,
    Envelope,
    InvalidEnvelope,
    InvalidEvent,
    UnknownEventType,
    decode_event,
    parse_envelope,
)
from defense_schemas.events.aid_center import LawyerAssigned
from defense_schemas.events.intake import CaseTransferred
from defense_schemas.events.procuratorate import CaseReceived
from defense_schemas.examples import CASE_ID, EXAMPLES, example_envelope
from defense_schemas.generate import envelope_schema
from defense_schemas.topics import Producer


def _producer(event):
    return "tj-psb-hedong" if event.producer is Producer.AGENCY else event.producer.value


def _example(cls):
    return next(e for e in EXAMPLES if isinstance(e, cls))


def _raw(envelope: Envelope, **changes) -> bytes:
    data = json.loads(envelope.to_bytes())
    data.update(changes)
    return json.dumps(data, ensure_ascii=False).encode()


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: e.schema_name())
def test_every_event_round_trips_through_envelope_bytes(event):
    envelope = Envelope.for_event(event, case_id=CASE_ID, producer=_producer(event))
    decoded_envelope, decoded = decode_event(envelope.to_bytes())
    assert decoded_envelope == envelope
    assert decoded == event
    assert type(decoded) is type(event)


def test_for_event_fills_the_envelope():
    event = _example(LawyerAssigned)
    before = datetime.now(UTC)
    envelope = Envelope.for_event(event, case_id=CASE_ID, producer="aid-center")
    assert envelope.event_type == "LawyerAssigned"
    assert envelope.schema_version == 1
    assert envelope.correlation_id == envelope.event_id
    assert envelope.causation_id is None
    assert before <= envelope.occurred_at <= datetime.now(UTC)
    assert envelope.key == str(CASE_ID).encode()


def test_a_caused_event_keeps_case_and_correlation():
    first = example_envelope(_example(CaseReceived))
    second = first.caused(_example(LawyerAssigned), producer="aid-center")
    assert second.case_id == first.case_id
    assert second.correlation_id == first.correlation_id
    assert second.causation_id == first.event_id
    assert second.event_id != first.event_id


def test_bytes_are_compact_utf8_with_chinese_unescaped():
    raw = example_envelope(_example(CaseReceived)).to_bytes()
    assert "天津市河东区人民检察院".encode() in raw
    assert b"\\u" not in raw
    assert b", " not in raw and b": " not in raw


def test_envelope_is_frozen():
    envelope = example_envelope(_example(CaseReceived))
    with pytest.raises(ValidationError):
        envelope.producer = "someone"  # type: ignore[misc]


def test_readers_ignore_envelope_fields_added_later():
    envelope = example_envelope(_example(CaseReceived))
    read = parse_envelope(_raw(envelope, traceparent="00-abc-def-01", added={"x": 1}))
    assert read == envelope
    assert envelope_schema().get("additionalProperties", True) is not False


def test_naive_occurred_at_is_rejected():
    event = _example(CaseReceived)
    with pytest.raises(InvalidEvent) as raised:
        Envelope.for_event(
            event, case_id=CASE_ID, producer="procuratorate", occurred_at=datetime(2026, 3, 2)
        )
    assert raised.value.field == "occurred_at"
    envelope = example_envelope(event)
    with pytest.raises(InvalidEnvelope) as raised:
        parse_envelope(_raw(envelope, occurred_at="2026-03-02T09:00:00"))
    assert raised.value.field == "occurred_at"
    assert "occurred_at" in str(raised.value)


def test_naive_payload_instant_is_rejected():
    envelope = example_envelope(_example(CaseReceived))
    payload = dict(envelope.payload, received_at="2026-03-02T15:00:00")
    with pytest.raises(InvalidEvent) as raised:
        decode_event(_raw(envelope, payload=payload))
    assert raised.value.field == "payload.received_at"


def test_unknown_event_type_is_a_contract_violation():
    envelope = example_envelope(_example(CaseReceived))
    with pytest.raises(UnknownEventType) as raised:
        decode_event(_raw(envelope, event_type="CaseLost"))
    assert raised.value.field == "event_type"
    assert isinstance(raised.value, ContractViolation)


def test_unknown_version_names_the_version():
    envelope = example_envelope(_example(CaseReceived))
    with pytest.raises(UnknownEventType) as raised:
        decode_event(_raw(envelope, schema_version=9))
    assert raised.value.field == "schema_version"
    assert "CaseReceived v9" in str(raised.value)


def test_missing_payload_field_names_the_field():
    envelope = example_envelope(_example(CaseReceived))
    payload = json.loads(envelope.to_bytes())["payload"]
    del payload["suspects"][1]["birth_date"]
    with pytest.raises(InvalidEvent) as raised:
        decode_event(_raw(envelope, payload=payload))
    assert raised.value.field == "payload.suspects[1].birth_date"
    assert str(raised.value).startswith("CaseReceived v1: payload.suspects[1].birth_date:")


def test_missing_envelope_field_names_the_field():
    envelope = example_envelope(_example(CaseReceived))
    data = json.loads(envelope.to_bytes())
    del data["case_id"]
    with pytest.raises(InvalidEvent) as raised:
        parse_envelope(json.dumps(data).encode())
    assert raised.value.field == "case_id"


@pytest.mark.parametrize("raw", [b"", b"not json", b"\xff\xfe", b"[]"])
def test_garbage_is_an_invalid_envelope(raw):
    with pytest.raises(InvalidEnvelope):
        decode_event(raw)


def test_readers_ignore_payload_fields_added_later():
    envelope = example_envelope(_example(LawyerAssigned))
    payload = dict(envelope.payload, added_in_a_later_release="x")
    _, event = decode_event(_raw(envelope, payload=payload))
    assert event == _example(LawyerAssigned)


def test_producers_cannot_misspell_a_field():
    fields = _example(LawyerAssigned).model_dump()
    with pytest.raises(ValidationError, match="assigned_att"):
        LawyerAssigned(**fields, assigned_att=datetime.now(UTC))


def test_a_service_event_must_name_its_service_as_producer():
    event = _example(LawyerAssigned)
    with pytest.raises(InvalidEvent) as raised:
        Envelope.for_event(event, case_id=CASE_ID, producer="procuratorate")
    assert raised.value.field == "producer"
    envelope = example_envelope(event)
    with pytest.raises(InvalidEvent) as raised:
        decode_event(_raw(envelope, producer="notifier"))
    assert raised.value.field == "producer"


def test_agency_events_carry_the_agency_systems_id():
    event = _example(CaseTransferred)
    envelope = Envelope.for_event(event, case_id=uuid4(), producer="tj-psb-hedong")
    assert decode_event(envelope.to_bytes())[0].producer == "tj-psb-hedong"
