"""Delivery channels: how a rendered message leaves the notifier (e-mail, SMS, webhook)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from defense_schemas.vocabulary import DeliveryChannel


@dataclass(frozen=True)
class OutgoingMessage:
    """A rendered message and where it goes; `metadata` is what an agency system receives
    besides the text (ids to match it with its own records).

    `idempotency_key` is the delivery job's id: the same on every attempt of the job, so a
    gateway or receiver can drop a message it already has. A job is sent again when the
    notifier dies between the channel's acceptance and its own commit (at least once)."""

    address: str
    recipient_name: str | None
    subject: str
    body: str
    metadata: dict[str, str]
    idempotency_key: str


class DeliveryError(Exception):
    """The channel did not accept the message; the text says what it answered."""


IDEMPOTENCY_HEADER = "Idempotency-Key"
"""The HTTP header that carries `OutgoingMessage.idempotency_key` (webhooks, the HTTP SMS
gateway)."""


class Channel(Protocol):
    """Sends one message; returns when the channel accepted it, raises otherwise. Every
    channel hands `message.idempotency_key` on in the form its receiver understands."""

    async def send(self, message: OutgoingMessage) -> None: ...


Channels = dict[DeliveryChannel, Channel]
