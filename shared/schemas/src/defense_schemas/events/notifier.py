"""Events the notifier publishes (topic `notifier.events`).

It delivers messages to people and watches every deadline: the clocks are built from the other
services' events and each one's start, warnings, breach and end are published here, so the
ledger can count on-time rates per clock.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field, ValidationInfo, field_validator

from defense_schemas.base import BaseEvent, ContractModel
from defense_schemas.events.common import AuditChainAnchor
from defense_schemas.fields import ContactInfo, Day, EventTypeName, Instant, Note, PersonName
from defense_schemas.topics import Producer
from defense_schemas.vocabulary import (
    ClockKind,
    ClockOutcome,
    DeliveryChannel,
    RecipientRole,
    ResponsibleParty,
)


class NotifierEvent(BaseEvent):
    """An event published by the notifier."""

    producer: ClassVar[Producer] = Producer.NOTIFIER


# --- deliveries ---------------------------------------------------------------------------


class _Delivery(ContractModel):
    """What every delivery attempt names: the message, its recipient and why it was sent."""

    notification_id: UUID = Field(description="The notification's id, the same on every attempt.")
    suspect_id: UUID | None = Field(
        default=None, description="The suspect concerned; absent for case-wide messages."
    )
    about_event_id: UUID = Field(description="The event the notification reports.")
    about_event_type: EventTypeName = Field(description="That event's type.")
    recipient_role: RecipientRole = Field(description="Who the recipient is in the case.")
    recipient_name: PersonName | None = Field(
        default=None, description="The recipient's name, when a person."
    )
    channel: DeliveryChannel = Field(description="How it was sent.")
    address: ContactInfo = Field(description="The e-mail address, phone number or webhook URL.")
    attempt: int = Field(ge=1, le=1000, description="Which attempt this was, from 1.")


class NotificationDelivered(NotifierEvent, _Delivery):
    """A notification reached its recipient's channel."""

    event_type = "NotificationDelivered"

    delivered_at: Instant = Field(description="When the channel accepted it.")


class NotificationFailed(NotifierEvent, _Delivery):
    """A notification attempt failed."""

    event_type = "NotificationFailed"

    failed_at: Instant = Field(description="When the attempt failed.")
    error: Note = Field(description="What the channel answered.")
    will_retry: bool = Field(description="Another attempt is scheduled.")


# --- clocks -------------------------------------------------------------------------------


class _Clock(ContractModel):
    """Which clock an event is about. Every clock is a suspect's, except the case's review
    period."""

    clock_id: UUID = Field(description="The clock's id, the same in all its events.")
    kind: ClockKind = Field(description="Which deadline.")
    suspect_id: UUID | None = Field(
        default=None,
        validate_default=True,
        description="The suspect the clock runs for; absent only for the review period.",
    )
    due_on: Day = Field(description="The last day to act, Asia/Shanghai (ends at midnight).")
    provisional: bool = Field(
        default=False,
        description="The due day was counted on a guessed calendar (a year without official "
        "data): it is recounted, and announced again, when that year is loaded.",
    )
    missing_years: list[Annotated[int, Field(ge=1900, le=2200)]] = Field(
        default_factory=list,
        max_length=10,
        description="The calendar years the due day was guessed for; empty unless provisional.",
    )

    @field_validator("suspect_id")
    @classmethod
    def _suspect_unless_review_period(
        cls, suspect_id: UUID | None, info: ValidationInfo
    ) -> UUID | None:
        if suspect_id is None and info.data.get("kind") not in (None, ClockKind.REVIEW_PERIOD):
            raise ValueError("required for every clock except the review period")
        return suspect_id


class ClockScheduled(NotifierEvent, _Clock):
    """A clock started, or its due day moved (an extension, a restart, a ground discovered)."""

    event_type = "ClockScheduled"

    responsible: ResponsibleParty = Field(description="Who must act before the due day.")
    started_on: Day = Field(description="The triggering day (not counted in the period).")
    trigger_event_id: UUID = Field(description="The event that started or moved the clock.")
    reason: Note | None = Field(default=None, description="Why the due day is what it is.")

    @field_validator("started_on")
    @classmethod
    def _starts_before_due(cls, started_on: date, info: ValidationInfo) -> date:
        due_on = info.data.get("due_on")
        if due_on is not None and started_on > due_on:
            raise ValueError("a clock cannot start after its due day")
        return started_on


class DeadlineApproaching(NotifierEvent, _Clock):
    """A reminder: a clock's due day is near and the duty is not yet done."""

    event_type = "DeadlineApproaching"

    responsible: ResponsibleParty = Field(description="Who must act.")
    days_left: int = Field(ge=0, description="Whole days left after today.")
    warned_at: Instant = Field(description="When the reminder was issued.")


class DeadlineBreached(NotifierEvent, _Clock):
    """A clock's due day passed without the duty done: a visible breach."""

    event_type = "DeadlineBreached"

    responsible: ResponsibleParty = Field(description="Who missed the deadline.")
    breached_at: Instant = Field(description="When the breach was detected.")


class ClockStopped(NotifierEvent, _Clock):
    """A clock ended: the duty was done (on time or late) or fell away."""

    event_type = "ClockStopped"

    outcome: ClockOutcome = Field(description="Met, met late, or cancelled.")
    stopped_at: Instant = Field(description="When the clock stopped.")
    stop_event_id: UUID | None = Field(
        default=None, description="The event that did the duty or made it moot."
    )


class NotifierAuditChainAnchored(NotifierEvent, AuditChainAnchor):
    """The notifier's audit log head, anchored outside its database."""

    event_type = "NotifierAuditChainAnchored"
