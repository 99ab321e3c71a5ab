"""Inbound events are untrusted: size limits and allowed producers per event type."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from defense_messaging.inbound import InboundPolicy, check_inbound
from defense_schemas import Envelope
from service_runtime.settings import ServiceSettings

POLICY = InboundPolicy(
    max_message_bytes=4096,
    allowed_producers={"CaseTransferred": frozenset({"tj-psb-hedong"})},
)


def _envelope(event_type: str, producer: str) -> Envelope:
    return Envelope(
        event_id=uuid.uuid4(),
        event_type=event_type,
        schema_version=1,
        occurred_at=datetime.now(UTC),
        producer=producer,
        case_id=uuid.uuid4(),
        correlation_id=uuid.uuid4(),
        payload={},
    )


def test_an_oversized_message_is_refused_before_it_is_parsed() -> None:
    reason = check_inbound(b"x" * 4097, None, POLICY)
    assert reason is not None and "4097 bytes" in reason
    assert check_inbound(b"x" * 4096, None, POLICY) is None


def test_a_listed_agency_system_may_transfer_a_case() -> None:
    assert check_inbound(b"{}", _envelope("CaseTransferred", "tj-psb-hedong"), POLICY) is None


def test_an_agency_system_not_listed_may_not() -> None:
    reason = check_inbound(b"{}", _envelope("CaseTransferred", "tj-psb-rogue"), POLICY)
    assert reason == "producer 'tj-psb-rogue' is not allowed to publish CaseTransferred"


def test_agency_events_nobody_configured_are_refused() -> None:
    reason = check_inbound(b"{}", _envelope("CaseTransferred", "tj-psb-hedong"), InboundPolicy())
    assert reason is not None and "no producer is allowed" in reason


def test_a_star_allows_any_producer() -> None:
    policy = InboundPolicy(allowed_producers={"CaseTransferred": frozenset({"*"})})
    assert check_inbound(b"{}", _envelope("CaseTransferred", "anyone"), policy) is None


def test_the_services_own_events_pass_on_their_contract() -> None:
    assert check_inbound(b"{}", _envelope("LawyerAssigned", "aid-center"), POLICY) is None


def test_a_listed_service_event_is_held_to_the_list() -> None:
    policy = InboundPolicy(allowed_producers={"LawyerAssigned": frozenset({"aid-center"})})
    assert check_inbound(b"{}", _envelope("LawyerAssigned", "aid-center"), policy) is None
    assert check_inbound(b"{}", _envelope("LawyerAssigned", "notifier"), policy) is not None


def test_the_default_settings_trust_the_local_demo_agencies_only() -> None:
    settings = ServiceSettings(database_url="postgresql+asyncpg://u:p@127.0.0.1:1/db")
    policy = settings.inbound_policy
    assert policy.max_message_bytes == 1_048_576
    assert check_inbound(b"{}", _envelope("CaseTransferred", "tj-psb-hedong"), policy) is None
    assert check_inbound(b"{}", _envelope("CaseTransferred", "evil"), policy) is not None
