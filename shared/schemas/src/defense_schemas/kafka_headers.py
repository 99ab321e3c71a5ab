"""The Kafka headers every event of the services is published with: its own three, and the
envelope mapped to CloudEvents 1.0 attributes in the Kafka protocol binding's binary content
mode, so a partner agency can read our topics with any CloudEvents SDK.

In binary mode the message value is the event's ``data``: here the whole envelope, as JSON
(``content-type: application/json``); the attributes are ``ce_``-prefixed headers:

==================== =============================================== ======================
header               value                                           envelope field
==================== =============================================== ======================
``ce_specversion``   ``1.0``
``ce_id``            the event id                                    ``event_id``
``ce_source``        ``/defense-coverage/<producer>``                ``producer``
``ce_type``          ``<EventType>.v<N>``: the JSON Schema's name    ``event_type``,
                                                                     ``schema_version``
``ce_time``          RFC 3339 with the offset                        ``occurred_at``
``ce_subject``       the case id (also the message key)              ``case_id``
``ce_correlationid`` an extension attribute                          ``correlation_id``
``ce_causationid``   an extension attribute, absent when null        ``causation_id``
``content-type``     ``application/json`` (the ``datacontenttype``)
==================== =============================================== ======================

``event_type``, ``schema_version`` and ``producer`` stay as they were, for the readers that
use them. None carries personal data: the outbox keeps them in clear.
"""

from __future__ import annotations

from urllib.parse import quote

from defense_schemas.envelope import Envelope

SPEC_VERSION = "1.0"
SOURCE_PREFIX = "/defense-coverage/"
CONTENT_TYPE = "application/json"

EVENT_HEADERS = ("event_type", "schema_version", "producer")
CLOUDEVENTS_HEADERS = (
    "ce_specversion",
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_time",
    "ce_subject",
    "ce_correlationid",
    "ce_causationid",
    "content-type",
)
HEADER_NAMES = frozenset(EVENT_HEADERS + CLOUDEVENTS_HEADERS)


def ce_type(event_type: str, schema_version: int) -> str:
    return f"{event_type}.v{schema_version}"


def kafka_headers(envelope: Envelope) -> list[tuple[str, str]]:
    """The headers of ``envelope``'s message, in a fixed order (text; the client encodes)."""
    headers = [
        ("event_type", envelope.event_type),
        ("schema_version", str(envelope.schema_version)),
        ("producer", envelope.producer),
        ("ce_specversion", SPEC_VERSION),
        ("ce_id", str(envelope.event_id)),
        # Agency producers are systems' own ids: any text, so made a URI path segment.
        ("ce_source", SOURCE_PREFIX + quote(envelope.producer, safe="")),
        ("ce_type", ce_type(envelope.event_type, envelope.schema_version)),
        ("ce_time", envelope.occurred_at.isoformat()),
        ("ce_subject", str(envelope.case_id)),
        ("ce_correlationid", str(envelope.correlation_id)),
    ]
    if envelope.causation_id is not None:
        headers.append(("ce_causationid", str(envelope.causation_id)))
    headers.append(("content-type", CONTENT_TYPE))
    return headers


HEADER_DESCRIPTIONS: dict[str, str] = {
    "event_type": "The envelope's `event_type`.",
    "schema_version": "The envelope's `schema_version`, as decimal text.",
    "producer": "The envelope's `producer`.",
    "ce_specversion": "CloudEvents `specversion`: `1.0`.",
    "ce_id": "CloudEvents `id`: the envelope's `event_id`.",
    "ce_source": "CloudEvents `source`: `/defense-coverage/<producer>` (percent-encoded).",
    "ce_type": "CloudEvents `type`: `<EventType>.v<schema_version>`, the payload schema's name.",
    "ce_time": "CloudEvents `time`: the envelope's `occurred_at` (RFC 3339).",
    "ce_subject": "CloudEvents `subject`: the envelope's `case_id` (also the message key).",
    "ce_correlationid": "CloudEvents extension `correlationid`: the envelope's `correlation_id`.",
    "ce_causationid": "CloudEvents extension `causationid`: the envelope's `causation_id`; "
    "absent when it is null.",
    "content-type": "CloudEvents `datacontenttype`: `application/json` (binary content mode: "
    "the message value, the envelope, is the event's data).",
}
