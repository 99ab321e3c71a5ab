"""Inbound events are untrusted: the checks a message passes before any handler sees it.

Other agencies' systems write to ``intake.case-transfers``; anyone holding a producer's Kafka
credentials could write anything. ``decode_event`` already validates the envelope and payload
against their schemas and refuses a service event naming the wrong service as producer; what it
cannot know is deployment policy, which lives here:

- a size limit, checked on the raw bytes before anything parses them;
- per event type, the producer ids allowed to publish it (from settings). Agency events
  (``CaseTransferred`` …) are deny-by-default: a type nobody configured is refused.

The envelope's producer is self-declared; Kafka ACLs (only an agency's principal may write the
intake topic) are what make it true. This check is the second line, and names what it refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from defense_schemas import Envelope
from defense_schemas.base import EVENT_REGISTRY
from defense_schemas.topics import Producer

ANY_PRODUCER = "*"


@dataclass(frozen=True)
class InboundPolicy:
    max_message_bytes: int = 1_048_576
    allowed_producers: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Event type → producer ids allowed to publish it; ``"*"`` allows any."""


def check_inbound(
    value: bytes | None, envelope: Envelope | None, policy: InboundPolicy
) -> str | None:
    """Why this message must not be applied, or ``None`` when it may be.

    Call it twice around ``decode_event``: with ``envelope=None`` on the raw bytes first (an
    oversized message is refused without being parsed), then with the decoded envelope. Pure:
    no I/O, no clock; the reason never quotes the payload (it may hold personal data).
    """
    size = len(value or b"")
    if size > policy.max_message_bytes:
        return f"message of {size} bytes exceeds the inbound limit of {policy.max_message_bytes}"
    if envelope is None:
        return None
    allowed = policy.allowed_producers.get(envelope.event_type)
    if allowed is None:
        if _is_agency_event(envelope):
            return (
                f"no producer is allowed to publish {envelope.event_type}: "
                "list the agency systems in the inbound allowed-producers setting"
            )
        # A service's own event: decode_event has checked it names that service.
        return None
    if ANY_PRODUCER in allowed or envelope.producer in allowed:
        return None
    return f"producer {envelope.producer!r} is not allowed to publish {envelope.event_type}"


def _is_agency_event(envelope: Envelope) -> bool:
    models = [model for (name, _), model in EVENT_REGISTRY.items() if name == envelope.event_type]
    # An unregistered type is treated as untrusted too (decode_event refuses it anyway).
    return not models or any(model.producer is Producer.AGENCY for model in models)
