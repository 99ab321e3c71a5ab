"""The envelope every event travels in, and the one way to encode and decode events.

Producing:  `Envelope.for_event(LawyerAssigned(...), case_id=..., producer="aid-center").to_bytes()`
Consuming:  `envelope, event = decode_event(raw)`; on `ContractViolation`, dead-letter the message.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID, uuid4

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    WithJsonSchema,
)

from defense_schemas.base import EVENT_REGISTRY, BaseEvent
from defense_schemas.errors import InvalidEnvelope, InvalidEvent, UnknownEventType
from defense_schemas.fields import EventTypeName, Instant, ShortText
from defense_schemas.topics import Producer

Payload = Annotated[dict[str, JsonValue], WithJsonSchema({"type": "object"})]


class Envelope(BaseModel):
    """An event as published: who, what, when, which case, and why (correlation and causation),
    around the event's payload. Immutable once published. Open to growth: a reader ignores an
    envelope field it does not know, and the published schema allows additional properties,
    so a field added later breaks no reader, ours or a partner's strict validator."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: UUID = Field(description="This event's unique id; consumers deduplicate on it.")
    event_type: EventTypeName = Field(description="The event's type, e.g. `CaseReceived`.")
    schema_version: int = Field(ge=1, description="The version of the payload's schema.")
    occurred_at: Instant = Field(
        description="When the fact happened, with its UTC offset (naive times are rejected)."
    )
    producer: ShortText = Field(
        description="Who published it: `procuratorate`, `aid-center`, `notifier`, or an "
        "agency system's id for events from other agencies."
    )
    case_id: UUID = Field(description="The case the event belongs to; the Kafka message key.")
    correlation_id: UUID = Field(
        description="The id shared by every event of one workflow thread; the first event's id."
    )
    causation_id: UUID | None = Field(
        default=None, description="The id of the event that caused this one, if any."
    )
    payload: Payload = Field(description="The event's own fields, per its schema version.")

    @classmethod
    def for_event(
        cls,
        event: BaseEvent,
        *,
        case_id: UUID,
        producer: str,
        correlation_id: UUID | None = None,
        causation_id: UUID | None = None,
        occurred_at: datetime | None = None,
    ) -> Envelope:
        """Wrap `event`: a new event id, `occurred_at` now (UTC) unless given, and the
        correlation id defaulting to the new event's own id (a new workflow thread)."""
        _check_producer(type(event), producer)
        event_id = uuid4()
        try:
            return cls(
                event_id=event_id,
                event_type=event.event_type,
                schema_version=event.schema_version,
                occurred_at=occurred_at if occurred_at is not None else datetime.now(UTC),
                producer=producer,
                case_id=case_id,
                correlation_id=correlation_id if correlation_id is not None else event_id,
                causation_id=causation_id,
                payload=event.model_dump(mode="json"),
            )
        except ValidationError as error:
            raise InvalidEvent.from_validation_error(
                error, event_type=event.event_type, schema_version=event.schema_version
            ) from error

    def caused(
        self, event: BaseEvent, *, producer: str, occurred_at: datetime | None = None
    ) -> Envelope:
        """Wrap `event` as a consequence of this one: same case and correlation, caused by it."""
        return Envelope.for_event(
            event,
            case_id=self.case_id,
            producer=producer,
            correlation_id=self.correlation_id,
            causation_id=self.event_id,
            occurred_at=occurred_at,
        )

    @property
    def key(self) -> bytes:
        """The Kafka message key: the case id, so one case's events stay in order."""
        return str(self.case_id).encode()

    def to_bytes(self) -> bytes:
        """Compact UTF-8 JSON, Chinese text unescaped."""
        return self.model_dump_json().encode()


def parse_envelope(raw: bytes) -> Envelope:
    """Read an envelope from bytes, without looking at the payload.

    Raises `InvalidEnvelope` (a `ContractViolation`) naming the field at fault."""
    try:
        return Envelope.model_validate_json(raw)
    except ValidationError as error:
        raise InvalidEnvelope.from_validation_error(error) from error


def decode_payload(envelope: Envelope) -> BaseEvent:
    """Validate the envelope's payload against the model registered for its type and version.

    Unknown payload fields are ignored (optional fields added later still read); raises
    `UnknownEventType` or `InvalidEvent`, both `ContractViolation`s."""
    model = EVENT_REGISTRY.get((envelope.event_type, envelope.schema_version))
    if model is None:
        known = sorted(v for (t, v) in EVENT_REGISTRY if t == envelope.event_type)
        field = "schema_version" if known else "event_type"
        reason = (
            f"version {envelope.schema_version} is not registered (known: {known})"
            if known
            else f"no event type {envelope.event_type!r} is registered"
        )
        raise UnknownEventType(
            [(field, reason)],
            event_type=envelope.event_type,
            schema_version=envelope.schema_version,
        )
    _check_producer(model, envelope.producer)
    try:
        return model.model_validate(envelope.payload, extra="ignore")
    except ValidationError as error:
        raise InvalidEvent.from_validation_error(
            error,
            prefix="payload",
            event_type=envelope.event_type,
            schema_version=envelope.schema_version,
        ) from error


def decode_event(raw: bytes) -> tuple[Envelope, BaseEvent]:
    """Read and validate a whole message: its envelope and its payload's registered model."""
    envelope = parse_envelope(raw)
    return envelope, decode_payload(envelope)


def _check_producer(model: type[BaseEvent], producer: str) -> None:
    """The services' events name their service as producer; only agency events carry a
    system's own id. A mismatch means an event was published by the wrong service."""
    if model.producer is not Producer.AGENCY and producer != model.producer.value:
        raise InvalidEvent(
            [("producer", f"{model.event_type} is published by {model.producer.value!r} only")],
            event_type=model.event_type,
            schema_version=model.schema_version,
        )
