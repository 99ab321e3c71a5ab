"""The consumers' decode path under arbitrary bytes (pure part, no I/O).

Whatever arrives as key, value or headers, ``decode_record`` either gives an event or a
dead-letter reason, never an exception; and what a dead letter stores and publishes is always
something PostgreSQL (text, jsonb) and Kafka can hold: no NUL or lone surrogate in any text,
and a copy within the producer's size limit. The integration half is in
``tests/messaging/test_hostile_messages.py``.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from defense_messaging.decoding import (
    CONTRACT_VIOLATION,
    DLQ_MAX_MESSAGE_BYTES,
    FORBIDDEN_ON_TOPIC,
    INBOUND_REFUSED,
    Refusal,
    dead_letter_copy,
    decode_record,
    printable,
)
from defense_messaging.inbound import InboundPolicy
from defense_schemas import Envelope
from defense_schemas.examples import EXAMPLES, example_envelope
from defense_schemas.topics import TOPIC_POLICIES, Producer, TopicPolicy

POLICY = InboundPolicy(
    max_message_bytes=1_048_576,
    allowed_producers={"CaseTransferred": frozenset({"tj-psb-hedong"})},
)
TOPIC_POLICY_OPTIONS = [None, *(TopicPolicy(owner) for owner in Producer)]
VALID = [example_envelope(event).to_bytes() for event in EXAMPLES]


def _mutated(raw: bytes, data: st.DataObject) -> bytes:
    """A valid envelope with bytes flipped, cut or spliced: closer to the parser's edges than
    random bytes are."""
    how = data.draw(st.sampled_from(["flip", "cut", "splice", "json"]))
    if how == "flip" and raw:
        at = data.draw(st.integers(0, len(raw) - 1))
        return raw[:at] + bytes([data.draw(st.integers(0, 255))]) + raw[at + 1 :]
    if how == "cut":
        return raw[: data.draw(st.integers(0, len(raw)))]
    if how == "splice":
        at = data.draw(st.integers(0, len(raw)))
        return raw[:at] + data.draw(st.binary(max_size=64)) + raw[at:]
    document = json.loads(raw)
    field = data.draw(st.sampled_from(sorted(document)))
    document[field] = data.draw(
        st.one_of(
            st.none(),
            st.integers(),
            st.floats(allow_nan=True),
            st.text(),
            st.lists(st.text(max_size=5), max_size=3),
            st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
        )
    )
    return json.dumps(document, ensure_ascii=data.draw(st.booleans())).encode(
        "utf-8", errors="surrogatepass"
    )


def _check_outcome(value: bytes | None, topic_policy: TopicPolicy | None) -> None:
    outcome = decode_record(value, topic_policy, POLICY)
    if isinstance(outcome, Refusal):
        assert outcome.kind in {CONTRACT_VIOLATION, INBOUND_REFUSED, FORBIDDEN_ON_TOPIC}
        assert outcome.reason
        assert "\x00" not in outcome.reason
        outcome.reason.encode("utf-8")  # no lone surrogate: PostgreSQL can store it
    else:
        envelope, event = outcome
        assert topic_policy is not None
        assert envelope.event_type == event.event_type
        assert topic_policy.refusal(envelope.event_type, envelope.producer) is None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.one_of(st.none(), st.binary(max_size=2048)), data=st.data())
def test_any_bytes_decode_to_an_event_or_a_reason(value: bytes | None, data: st.DataObject) -> None:
    _check_outcome(value, data.draw(st.sampled_from(TOPIC_POLICY_OPTIONS)))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_envelopes_decode_to_an_event_or_a_reason(data: st.DataObject) -> None:
    raw = _mutated(data.draw(st.sampled_from(VALID)), data)
    _check_outcome(raw, data.draw(st.sampled_from(TOPIC_POLICY_OPTIONS)))


@settings(max_examples=300, deadline=None)
@given(
    key=st.one_of(st.none(), st.binary(max_size=5000)),
    value=st.one_of(st.none(), st.binary(max_size=3000)),
    error_type=st.one_of(st.none(), st.text()),
    topic=st.text(max_size=50),
    limit=st.integers(min_value=0, max_value=4000),
)
def test_a_dead_letter_copy_always_fits_text_columns_and_the_size_limit(
    key: bytes | None, value: bytes | None, error_type: str | None, topic: str, limit: int
) -> None:
    copy = dead_letter_copy(
        key=key,
        value=value,
        kind=CONTRACT_VIOLATION,
        error_type=error_type,
        source_topic=topic,
        source_partition=0,
        source_offset=0,
        consumer="c",
        dead_letter_id=1,
        max_bytes=limit,
    )
    for name, text in copy.headers:
        assert "\x00" not in name + text
        (name + text).encode("utf-8")
    json.dumps(copy.headers)  # jsonb holds them
    headers = dict(copy.headers)
    whole = (copy.key, copy.value) == (key or b"", value or b"")
    assert len(copy.value) <= max(0, limit - len(copy.key))
    if whole:
        assert "dlq.truncated" not in headers
    else:
        assert headers["dlq.truncated"] == "true"
        assert headers["dlq.original_value_bytes"] == str(len(value or b""))
        assert headers["dlq.original_key_bytes"] == str(len(key or b""))
        assert (key or b"").startswith(copy.key) and (value or b"").startswith(copy.value)


def test_a_message_over_the_producer_limit_is_copied_truncated() -> None:
    value = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    copy = dead_letter_copy(
        key=b"k\x00",
        value=value,
        kind=INBOUND_REFUSED,
        source_topic="t",
        source_partition=0,
        source_offset=7,
        consumer="c",
    )
    assert len(copy.key) + len(copy.value) <= DLQ_MAX_MESSAGE_BYTES
    assert dict(copy.headers)["dlq.original_value_bytes"] == str(len(value))
    assert copy.key == b"k\x00"


@given(text=st.text())
def test_printable_text_has_no_nul_and_encodes(text: str) -> None:
    safe = printable(text)
    assert "\x00" not in safe
    safe.encode("utf-8")


# Forgery across topics (the topic policy, one map for every consumer).


def _envelope_of(event_type: str, producer: str | None = None) -> Envelope:
    event = next(event for event in EXAMPLES if event.event_type == event_type)
    envelope = example_envelope(event)
    if producer is not None:
        envelope = envelope.model_copy(update={"producer": producer})
    return envelope.model_copy(update={"event_id": uuid.uuid4()})


def test_a_lawyer_assigned_on_the_intake_topic_is_forbidden() -> None:
    forged = _envelope_of("LawyerAssigned")  # producer aid-center, as its contract says
    outcome = decode_record(forged.to_bytes(), TopicPolicy(Producer.AGENCY), POLICY)
    assert isinstance(outcome, Refusal)
    assert outcome.kind == FORBIDDEN_ON_TOPIC
    assert "LawyerAssigned" in outcome.reason


def test_each_event_is_accepted_on_its_owners_topic_only() -> None:
    for event in EXAMPLES:
        raw = example_envelope(event).to_bytes()
        for owner in Producer:
            outcome = decode_record(raw, TopicPolicy(owner), POLICY)
            if owner is event.producer:
                assert not isinstance(outcome, Refusal), (event.event_type, outcome)
            else:
                assert isinstance(outcome, Refusal), (event.event_type, owner)
                assert outcome.kind == FORBIDDEN_ON_TOPIC


def test_an_agency_may_not_pass_for_a_service_on_the_intake_topic() -> None:
    for service in ("procuratorate", "aid-center", "notifier"):
        outcome = decode_record(
            _envelope_of("CaseTransferred", producer=service).to_bytes(),
            TopicPolicy(Producer.AGENCY),
            InboundPolicy(allowed_producers={"CaseTransferred": frozenset({"*"})}),
        )
        assert isinstance(outcome, Refusal)
        assert outcome.kind == FORBIDDEN_ON_TOPIC


def test_the_default_topic_names_map_to_their_owners() -> None:
    assert {policy.owner for policy in TOPIC_POLICIES.values()} == set(Producer)
    accepted = decode_record(
        _envelope_of("LawyerAssigned").to_bytes(), TOPIC_POLICIES["aid-center.events"], POLICY
    )
    assert not isinstance(accepted, Refusal)
    outcome = decode_record(
        _envelope_of("LawyerAssigned").to_bytes(), TOPIC_POLICIES["procuratorate.events"], POLICY
    )
    assert isinstance(outcome, Refusal) and outcome.kind == FORBIDDEN_ON_TOPIC


# Extreme dates: every date and instant of every contract is bounded to 1900–2199, so no event
# that decodes can overflow the statutory arithmetic downstream (a deadline days after
# 9999-12-31, an instant at 9999-12-31T23:59:59-12:00 turned to UTC).

_DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_ANY_PRODUCER = InboundPolicy(allowed_producers={"CaseTransferred": frozenset({"*"})})
_EDGE_DAYS = [
    date.min,
    date.max,
    date(1, 1, 1),
    date(1899, 12, 31),
    date(1900, 1, 1),
    date(2199, 12, 31),
    date(2200, 1, 1),
    date(3000, 1, 1),
]
_OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


def _date_paths(node: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(node, dict):
        return [p for key, value in node.items() for p in _date_paths(value, (*path, key))]
    if isinstance(node, list):
        return [p for at, value in enumerate(node) for p in _date_paths(value, (*path, at))]
    return [path] if isinstance(node, str) and _DATE_LIKE.match(node) else []


def _assert_survives_arithmetic(text: str) -> None:
    if "T" in text:
        instant = datetime.fromisoformat(text)
        assert date(1900, 1, 1) <= instant.date() <= date(2199, 12, 31), text
        instant.astimezone(UTC) + timedelta(days=3660)
    else:
        day = date.fromisoformat(text)
        assert date(1900, 1, 1) <= day <= date(2199, 12, 31), text
        day + timedelta(days=3660)
        day - timedelta(days=366 * 100)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_an_extreme_date_in_any_event_is_refused_naming_its_field(data: st.DataObject) -> None:
    event = data.draw(st.sampled_from(EXAMPLES))
    document = json.loads(example_envelope(event).to_bytes())
    path = data.draw(st.sampled_from(_date_paths(document)))
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    day = data.draw(st.one_of(st.sampled_from(_EDGE_DAYS), st.dates()))
    if "T" in parent[path[-1]]:
        value = datetime.combine(day, data.draw(st.times()), data.draw(_OFFSETS)).isoformat()
    else:
        value = day.isoformat()
    parent[path[-1]] = value
    outcome = decode_record(
        json.dumps(document).encode(), TopicPolicy(event.producer), _ANY_PRODUCER
    )
    if not date(1900, 1, 1) <= day <= date(2199, 12, 31):
        assert isinstance(outcome, Refusal), (path, value)
        assert outcome.kind == CONTRACT_VIOLATION, outcome
        assert str(path[-1]) in outcome.reason, (path, outcome.reason)
        assert "1900-01-01 and 2199-12-31" in outcome.reason, outcome.reason
    elif not isinstance(outcome, Refusal):  # in bounds, it may still break a rule across fields
        for found in _date_paths(document):
            node = document
            for part in found:
                node = node[part]
            _assert_survives_arithmetic(node)


def test_a_transfer_with_a_birth_date_in_3000_is_refused() -> None:
    for birth_date in ("3000-01-01", "0001-01-01"):
        document = json.loads(_envelope_of("CaseTransferred").to_bytes())
        document["payload"]["suspects"][0]["birth_date"] = birth_date
        outcome = decode_record(
            json.dumps(document).encode(), TopicPolicy(Producer.AGENCY), _ANY_PRODUCER
        )
        assert isinstance(outcome, Refusal) and outcome.kind == CONTRACT_VIOLATION
        assert "suspects[0].birth_date" in outcome.reason
        assert "1900-01-01 and 2199-12-31" in outcome.reason
