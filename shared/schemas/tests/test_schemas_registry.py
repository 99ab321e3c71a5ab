"""The registry holds exactly the platform's events, each on its producer's topic, each
documented field by field."""

from __future__ import annotations

from enum import StrEnum

import pytest
from pydantic import BaseModel

from defense_schemas import EVENT_REGISTRY, BaseEvent, registered_events
from defense_schemas.events import aid_center, intake, notifier, procuratorate
from defense_schemas.examples import EXAMPLES
from defense_schemas.topics import (
    PRODUCER_TOPICS,
    TOPIC_CONSUMERS,
    Producer,
    dead_letter_topic,
    producer_of_topic,
)

# domain.md, "Events (the minimum vocabulary)", per producer
DOMAIN_MINIMUM = {
    Producer.PROCURATORATE: {
        "CaseReceived",
        "RightsNotified",
        "DefenseDecisionRecorded",
        "DefenseNoticeSent",
        "NoticeSupplemented",
        "LawyerRefusalRuled",
        "ReappointmentRequested",
        "SelfDefensePermitted",
        "PrivateCounselRetained",
        "ExpeditedProcedureApplied",
        "FileReviewRequested",
        "FileReviewScheduled",
        "ProceduralDecisionMade",
        "WrittenOpinionReceived",
        "SentencingConsultationHeld",
        "PleaAgreementWitnessed",
        "DutyLawyerRequested",
    },
    Producer.AID_CENTER: {
        "NoticeAccepted",
        "SupplementRequested",
        "LawyerAssigned",
        "LawyerReplaced",
        "ConflictReported",
        "AidTerminated",
        "LawyerActivityLogged",
        "QualityReviewRecorded",
    },
    Producer.NOTIFIER: {
        "NotificationDelivered",
        "NotificationFailed",
        "DeadlineApproaching",
        "DeadlineBreached",
    },
    Producer.AGENCY: {"CaseTransferred"},
}

# what the workflow needs beyond the minimum
ADDED = {
    Producer.PROCURATORATE: {
        "EligibilityAssessed",
        "LegalAidApplicationForwarded",
        "PrivateCounselDismissed",
        "DefenseStatusChanged",
        "StageHandedOver",
        "ProcuratorateAuditChainAnchored",
        "ReviewDeadlineRecounted",
        "LegalCalendarYearLoaded",
    },
    Producer.AID_CENTER: {
        "AssignmentFailed",
        "AssignmentEnded",
        "DutyLawyerAssigned",
        "AidCenterAuditChainAnchored",
        "ApplicationMaterialsRequested",
        "ApplicationMaterialsSupplied",
        "ApplicationDecided",
        "SubsidyClaimed",
        "SubsidyApproved",
        "SubsidyPaymentDueRecounted",
        "SubsidyPaid",
    },
    Producer.NOTIFIER: {"ClockScheduled", "ClockStopped", "NotifierAuditChainAnchored"},
    Producer.AGENCY: set(),
}

MODULE_PRODUCERS = {
    intake: (Producer.AGENCY, "intake.case-transfers"),
    procuratorate: (Producer.PROCURATORATE, "procuratorate.events"),
    aid_center: (Producer.AID_CENTER, "aid-center.events"),
    notifier: (Producer.NOTIFIER, "notifier.events"),
}


def test_every_domain_event_is_registered_under_its_producer():
    for producer, names in DOMAIN_MINIMUM.items():
        registered = {cls.event_type for cls in registered_events() if cls.producer is producer}
        assert names <= registered, f"{producer}: missing {names - registered}"


def test_registry_holds_exactly_the_listed_events_at_version_1():
    expected = {(name, 1) for names in DOMAIN_MINIMUM.values() for name in names}
    expected |= {(name, 1) for names in ADDED.values() for name in names}
    assert set(EVENT_REGISTRY) == expected


def test_version_1_classes_are_named_after_their_event_type():
    for (event_type, version), cls in EVENT_REGISTRY.items():
        if version == 1:
            assert cls.__name__ == event_type


@pytest.mark.parametrize("module", list(MODULE_PRODUCERS), ids=lambda m: m.__name__)
def test_each_event_module_publishes_to_its_producers_topic(module):
    producer, topic = MODULE_PRODUCERS[module]
    events = [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, BaseEvent)
        and obj.__module__ == module.__name__
        and "event_type" in obj.__dict__
    ]
    assert events
    for event in events:
        assert event.producer is producer
        assert event.topic() == topic


def test_topics_and_their_readers():
    assert dict(PRODUCER_TOPICS) == {
        Producer.AGENCY: "intake.case-transfers",
        Producer.PROCURATORATE: "procuratorate.events",
        Producer.AID_CENTER: "aid-center.events",
        Producer.NOTIFIER: "notifier.events",
    }
    assert dict(TOPIC_CONSUMERS) == {
        "intake.case-transfers": (Producer.PROCURATORATE,),
        "procuratorate.events": (Producer.AID_CENTER, Producer.NOTIFIER),
        "aid-center.events": (Producer.PROCURATORATE, Producer.NOTIFIER),
        "notifier.events": (),
    }
    assert dead_letter_topic("procuratorate.events") == "procuratorate.events.dlq"
    assert producer_of_topic("aid-center.events") is Producer.AID_CENTER
    with pytest.raises(KeyError):
        producer_of_topic("unknown.events")


def test_every_event_has_an_example():
    assert {type(example) for example in EXAMPLES} == set(EVENT_REGISTRY.values())


def _models_and_enums(model: type[BaseModel], seen: set[type]) -> None:
    if model in seen:
        return
    seen.add(model)
    for field in model.model_fields.values():
        for arg in _flatten(field.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                _models_and_enums(arg, seen)
            elif isinstance(arg, type) and issubclass(arg, StrEnum):
                seen.add(arg)


def _flatten(annotation: object) -> list[object]:
    args = getattr(annotation, "__args__", None)
    if not args:
        return [annotation]
    return [annotation] + [a for arg in args for a in _flatten(arg)]


def test_every_field_model_and_enum_is_documented():
    seen: set[type] = set()
    for event in registered_events():
        _models_and_enums(event, seen)
    for kind in seen:
        assert (kind.__doc__ or "").strip(), f"{kind.__name__} has no docstring"
        if issubclass(kind, BaseModel):
            for name, field in kind.model_fields.items():
                assert field.description, f"{kind.__name__}.{name} has no description"


def test_a_second_event_with_the_same_type_and_version_is_refused():
    with pytest.raises(TypeError, match="registered twice"):

        class CaseReceivedAgain(procuratorate.ProcuratorateEvent):
            """A duplicate."""

            event_type = "CaseReceived"


def test_an_event_must_belong_to_a_producer():
    with pytest.raises(TypeError, match="producer"):

        class Orphan(BaseEvent):
            """No producer."""

            event_type = "OrphanHappened"


def test_a_topics_event_types_are_computed_once_and_again_when_an_event_registers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every consumed record asks its topic's policy for its owner's event types: sorting the
    registry for each one cost more than decoding the record."""
    from defense_schemas import base
    from defense_schemas.topics import TOPIC_POLICIES

    policy = TOPIC_POLICIES[PRODUCER_TOPICS[Producer.AID_CENTER]]
    assert registered_events() is registered_events()
    assert policy.event_types is policy.event_types
    assert "LawyerAssigned" in policy.event_types

    class LaterEvent:  # stands for a class registered after the first record was read
        event_type = "LaterEvent"
        producer = Producer.AID_CENTER

    monkeypatch.setattr(base, "_registry", {**base._registry, ("LaterEvent", 1): LaterEvent})
    assert LaterEvent in registered_events()
    assert "LaterEvent" in policy.event_types
