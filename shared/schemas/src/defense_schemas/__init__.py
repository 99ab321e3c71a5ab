"""defense_schemas: the event contracts of the defense-coverage platform.

The envelope, every event model (one module per producer under `defense_schemas.events`), the
topics, and the generated JSON Schema / AsyncAPI documents. Importing this package registers
every event in `EVENT_REGISTRY`.
"""

from defense_schemas.base import (
    EVENT_REGISTRY,
    BaseEvent,
    ContractModel,
    event_class,
    registered_events,
)
from defense_schemas.envelope import (
    Envelope,
    decode_event,
    decode_payload,
    parse_envelope,
)
from defense_schemas.errors import (
    ContractViolation,
    InvalidEnvelope,
    InvalidEvent,
    UnknownEventType,
)
from defense_schemas.events import EVENT_MODULES
from defense_schemas.topics import (
    AID_CENTER_EVENTS,
    INTAKE_CASE_TRANSFERS,
    NOTIFIER_EVENTS,
    PROCURATORATE_EVENTS,
    PRODUCER_TOPICS,
    TOPIC_CONSUMERS,
    TOPICS,
    Producer,
    dead_letter_topic,
    producer_of_topic,
    topic_for_producer,
)

__all__ = [
    "AID_CENTER_EVENTS",
    "EVENT_MODULES",
    "EVENT_REGISTRY",
    "INTAKE_CASE_TRANSFERS",
    "NOTIFIER_EVENTS",
    "PROCURATORATE_EVENTS",
    "PRODUCER_TOPICS",
    "TOPICS",
    "TOPIC_CONSUMERS",
    "BaseEvent",
    "ContractModel",
    "ContractViolation",
    "Envelope",
    "InvalidEnvelope",
    "InvalidEvent",
    "Producer",
    "UnknownEventType",
    "dead_letter_topic",
    "decode_event",
    "decode_payload",
    "event_class",
    "parse_envelope",
    "producer_of_topic",
    "registered_events",
    "topic_for_producer",
]
