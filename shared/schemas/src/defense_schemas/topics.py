"""Kafka topics: their default names, who writes each and who reads it.

Every event of one producer goes to that producer's topic, keyed by case id so that one case's
events stay in order. A poison event goes to the topic's dead-letter twin (`<topic>.dlq`).
"""

from __future__ import annotations

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
