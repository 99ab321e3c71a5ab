"""Delivery guarantees shared by every service: outbox, relay, inbox consumer, dead letters.

Topic provisioning is imported from ``defense_messaging.topics`` itself: it is also a command
(``python -m defense_messaging.topics``), and a package that imported it would load it twice."""

from defense_messaging.consumer import (
    Applied,
    EventApplier,
    EventConsumer,
    Handler,
    PerEventHandlers,
    as_applier,
)
from defense_messaging.errors import PermanentEventError
from defense_messaging.kafka_client import KafkaConnection
from defense_messaging.outbox import EventPublisher, Outbox
from defense_messaging.relay import OutboxRelay
from defense_messaging.tables import MessagingTables, add_messaging_tables

__all__ = [
    "Applied",
    "EventApplier",
    "EventConsumer",
    "EventPublisher",
    "Handler",
    "KafkaConnection",
    "MessagingTables",
    "Outbox",
    "OutboxRelay",
    "PerEventHandlers",
    "PermanentEventError",
    "add_messaging_tables",
    "as_applier",
]
