"""Delivery channels: how a rendered message leaves the notifier (e-mail, SMS, webhook)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from defense_schemas.vocabulary import DeliveryChannel


@dataclass(frozen=True)
class OutgoingMessage:
    """A rendered message and where it goes; `metadata` is what an agency system receives
    besides the text (ids to match it with its own records)."""

    address: str
    recipient_name: str | None
    subject: str
    body: str
    metadata: dict[str, str]


class DeliveryError(Exception):
    """The channel did not accept the message; the text says what it answered."""


class Channel(Protocol):
    """Sends one message; returns when the channel accepted it, raises otherwise."""

    async def send(self, message: OutgoingMessage) -> None: ...


Channels = dict[DeliveryChannel, Channel]
