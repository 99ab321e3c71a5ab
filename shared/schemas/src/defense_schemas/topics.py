"""Kafka topics: their default names, who writes each and who reads it.

Every event of one producer goes to that producer's topic, keyed by case id so that one case's
events stay in order. A poison event goes to the topic's dead-letter twin (`<topic>.dlq`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Producer(StrEnum):
    """Who publishes an event: one of the platform's services, or another agency's system.

    For the three services the envelope's `producer` is exactly this value. Agency events
    (`AGENCY`) carry the publishing system's own id in the envelope instead, e.g. `tj-psb-hedong`.
    """

    PROCURATORATE = "procuratorate"
    AID_CENTER = "aid-center"
    NOTIFIER = "notifier"
    AGENCY = "agency"


INTAKE_CASE_TRANSFERS: Final = "intake.case-transfers"
PROCURATORATE_EVENTS: Final = "procuratorate.events"
AID_CENTER_EVENTS: Final = "aid-center.events"
NOTIFIER_EVENTS: Final = "notifier.events"

PRODUCER_TOPICS: Final = MappingProxyType(
    {
        Producer.AGENCY: INTAKE_CASE_TRANSFERS,
        Producer.PROCURATORATE: PROCURATORATE_EVENTS,
        Producer.AID_CENTER: AID_CENTER_EVENTS,
        Producer.NOTIFIER: NOTIFIER_EVENTS,
    }
)
"""The one topic each producer writes."""

TOPIC_CONSUMERS: Final = MappingProxyType(
    {
        INTAKE_CASE_TRANSFERS: (Producer.PROCURATORATE,),
        PROCURATORATE_EVENTS: (Producer.AID_CENTER, Producer.NOTIFIER),
        AID_CENTER_EVENTS: (Producer.PROCURATORATE, Producer.NOTIFIER),
        NOTIFIER_EVENTS: (),  # read by operators' tools and statistics, no service consumes it
    }
)
"""The services that consume each topic."""

TOPICS: Final = tuple(PRODUCER_TOPICS.values())
"""Every topic, in a stable order."""


def topic_for_producer(producer: Producer) -> str:
    """The topic `producer` writes."""
    return PRODUCER_TOPICS[producer]


def producer_of_topic(topic: str) -> Producer:
    """The producer that writes `topic`; KeyError for a topic the platform does not know."""
    for producer, name in PRODUCER_TOPICS.items():
        if name == topic:
            return producer
    raise KeyError(topic)


def dead_letter_topic(topic: str) -> str:
    """Where poison events read from `topic` are parked, with headers saying why."""
    return f"{topic}.dlq"


SERVICE_PRODUCER_IDS: Final = frozenset(p.value for p in Producer if p is not Producer.AGENCY)
"""The envelope producers that only the platform's own services may claim."""


_EVENT_TYPES: dict[Producer, tuple[tuple[type, ...], frozenset[str]]] = {}
"""Owner → (the registry it was computed from, its event types): computed again only when the
registry grew (``registered_events`` returns the same tuple until then)."""


@dataclass(frozen=True)
class TopicPolicy:
    """What may be published on the topic an owner writes: that owner's event types, by that
    owner. Anyone who can write a topic can send any bytes, so a consumer holds each message to
    the policy of the topic it arrived on (an aid-center event on the intake topic is a forgery,
    whatever its envelope claims)."""

    owner: Producer

    @property
    def event_types(self) -> frozenset[str]:
        """Every registered event type the owner publishes."""
        from defense_schemas.base import registered_events  # the registry imports this module

        events = registered_events()
        known = _EVENT_TYPES.get(self.owner)
        if known is None or known[0] is not events:
            types = frozenset(model.event_type for model in events if model.producer is self.owner)
            known = _EVENT_TYPES[self.owner] = (events, types)
        return known[1]

    def allows_producer(self, producer: str) -> bool:
        if self.owner is Producer.AGENCY:
            # An agency system names itself; it may not pass for one of the platform's services.
            return producer not in SERVICE_PRODUCER_IDS
        return producer == self.owner.value

    def refusal(self, event_type: str, producer: str) -> str | None:
        """Why an event of ``event_type`` by ``producer`` does not belong here, or ``None``."""
        if event_type not in self.event_types:
            return f"{event_type} is not an event of {self.owner.value}: it does not belong here"
        if not self.allows_producer(producer):
            return f"producer {producer!r} may not publish on the topic of {self.owner.value}"
        return None


TOPIC_POLICIES: Final = MappingProxyType(
    {topic: TopicPolicy(owner) for owner, topic in PRODUCER_TOPICS.items()}
)
"""Topic (default name) → what it accepts. A deployment that renames topics maps its names to
owners (``TopicPolicy(owner)``) the same way."""
