"""From a consumed message's bytes to an event, or to the reason it is a dead letter.

Pure (no I/O, no clock), so every input can be tried: whatever bytes arrive as key, value or
headers, :func:`decode_record` returns either the decoded event or a :class:`Refusal`, and
:func:`dead_letter_copy` turns any refused message into what the dead-letter table and the
dead-letter topic can hold. Nothing here raises on hostile input: a message that cannot be
read is a dead letter, never a consumer that stops.
"""

from __future__ import annotations

from dataclasses import dataclass

from defense_messaging.inbound import InboundPolicy, check_inbound
from defense_schemas import BaseEvent, ContractViolation, Envelope, decode_event
from defense_schemas.topics import TopicPolicy

CONTRACT_VIOLATION = "contract_violation"
INBOUND_REFUSED = "inbound_refused"
FORBIDDEN_ON_TOPIC = "forbidden_on_topic"
REJECTED = "rejected"
HANDLER_ERROR = "handler_error"

PUBLIC_REASONS = {
    CONTRACT_VIOLATION: "the message breaks the event contract",
    INBOUND_REFUSED: "the inbound policy refuses the message",
    FORBIDDEN_ON_TOPIC: "the event does not belong on the topic it came by",
    REJECTED: "the handler rejected the event for good",
    HANDLER_ERROR: "the handler kept failing",
}
"""What a dead letter's copy says of why, by kind: fixed words, never the refusal's own text,
which may quote the message (a contract violation names the input it refused, a library's
exception quotes what it could not parse). The full reason is sealed in ``dead_letters.error``
(read it at ``/ops/dead-letters``); the copy names its row in ``dlq.dead_letter_id``."""

DLQ_MAX_MESSAGE_BYTES = 1_000_000
"""What a dead letter's copy may weigh on the wire (key and value): under the producer's
1 MiB request limit with room for headers. A larger message goes out truncated, marked."""

DLQ_MAX_KEY_BYTES = 4096


@dataclass(frozen=True)
class Refusal:
    """Why a message is a dead letter: ``kind`` (contract_violation, inbound_refused,
    forbidden_on_topic) and a reason that never quotes the payload."""

    kind: str
    reason: str


def decode_record(
    value: bytes | None, topic_policy: TopicPolicy | None, inbound: InboundPolicy
) -> tuple[Envelope, BaseEvent] | Refusal:
    """Untrusted bytes to a valid event: size first, then the contract, then who sent it and
    whether it belongs on the topic it came by (``topic_policy``; ``None``: a topic with no
    known owner, where nothing is accepted)."""
    try:
        if reason := check_inbound(value, None, inbound):
            return Refusal(INBOUND_REFUSED, reason)
        if not value:
            return Refusal(CONTRACT_VIOLATION, "empty message (no value)")
        try:
            envelope, event = decode_event(value)
        except ContractViolation as exc:
            return Refusal(CONTRACT_VIOLATION, printable(str(exc)))
        if topic_policy is None:
            return Refusal(FORBIDDEN_ON_TOPIC, "the topic has no known owner")
        if reason := topic_policy.refusal(envelope.event_type, envelope.producer):
            return Refusal(FORBIDDEN_ON_TOPIC, printable(reason))
        if reason := check_inbound(value, envelope, inbound):
            return Refusal(INBOUND_REFUSED, printable(reason))
        return envelope, event
    except Exception as exc:
        # Whatever the parsers did not foresee: the message is unreadable, not the consumer.
        return Refusal(CONTRACT_VIOLATION, f"unreadable message ({type(exc).__name__})")


def printable(text: str, limit: int = 4000) -> str:
    """``text`` as PostgreSQL text and JSON can hold it: no NUL, no lone surrogate."""
    safe = text.encode("utf-8", errors="backslashreplace").decode("utf-8")
    return safe.replace("\x00", "\\x00")[:limit]


@dataclass(frozen=True)
class DeadLetterCopy:
    """What the dead-letter topic gets: the original key and value when they fit, else cut to
    fit with ``dlq.truncated`` and the original sizes in headers (the table keeps them whole)."""

    key: bytes
    value: bytes
    headers: list[tuple[str, str]]


def dead_letter_copy(
    *,
    key: bytes | None,
    value: bytes | None,
    kind: str,
    source_topic: str,
    source_partition: int,
    source_offset: int,
    consumer: str,
    dead_letter_id: int | None = None,
    error_type: str | None = None,
    max_bytes: int = DLQ_MAX_MESSAGE_BYTES,
) -> DeadLetterCopy:
    """``error_type``: the class name of a handler's exception (a name from the code, not from
    the input), added to the public reason."""
    raw_key, raw_value = key or b"", value or b""
    reason = PUBLIC_REASONS.get(kind, "refused")
    if error_type:
        reason = f"{reason} ({error_type})"
    headers: list[tuple[str, str]] = [
        ("dlq.error_kind", printable(kind, 100)),
        ("dlq.reason", printable(reason, 300)),
        ("dlq.source_topic", printable(source_topic, 300)),
        ("dlq.source_partition", str(source_partition)),
        ("dlq.source_offset", str(source_offset)),
        ("dlq.consumer", printable(consumer, 300)),
    ]
    if dead_letter_id is not None:
        headers.append(("dlq.dead_letter_id", str(dead_letter_id)))
    out_key = raw_key[:DLQ_MAX_KEY_BYTES]
    out_value = raw_value[: max(0, max_bytes - len(out_key))]
    if (out_key, out_value) != (raw_key, raw_value):
        headers += [
            ("dlq.truncated", "true"),
            ("dlq.original_key_bytes", str(len(raw_key))),
            ("dlq.original_value_bytes", str(len(raw_value))),
        ]
    return DeadLetterCopy(key=out_key, value=out_value, headers=headers)
