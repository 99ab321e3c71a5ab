"""SMS through a pluggable gateway (短信网关).

:class:`SmsGateway` is the interface; :class:`HttpSmsGateway` posts to a provider's HTTP API,
:class:`FileSmsGateway` appends each message to a JSON-lines file and logs it, for local use
where no provider is contracted.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Protocol

import httpx

from notifier.channels import DeliveryError, OutgoingMessage

log = logging.getLogger(__name__)


class SmsGateway(Protocol):
    async def send_sms(self, phone: str, text: str, reference: str) -> None: ...


class HttpSmsGateway:
    """POSTs `{"phone", "text", "reference"}` as JSON with a bearer token; any 2xx is accepted."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 10.0) -> None:
        self._url = url
        self._token = token
        self._timeout = timeout

    async def send_sms(self, phone: str, text: str, reference: str) -> None:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(
                    self._url,
                    json={"phone": phone, "text": text, "reference": reference},
                    headers=headers,
                )
        except httpx.HTTPError as error:
            raise DeliveryError(f"SMS gateway {self._url}: {error!r}") from error
        if not response.is_success:
            raise DeliveryError(f"SMS gateway answered {response.status_code}: {response.text}")


class FileSmsGateway:
    """Writes each SMS as one JSON line; the local stand-in for a provider."""

    def __init__(self, path: Path) -> None:
        self._path = path

    async def send_sms(self, phone: str, text: str, reference: str) -> None:
        line = json.dumps(
            {"phone": phone, "text": text, "reference": reference}, ensure_ascii=False
        )
        log.info("SMS to %s: %s", phone, text)
        try:
            await asyncio.to_thread(self._append, line)
        except OSError as error:
            raise DeliveryError(f"SMS file {self._path}: {error}") from error

    def _append(self, line: str) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._path.open("a", encoding="utf-8") as file:
            file.write(line + "\n")


class SmsChannel:
    """An SMS carries the body only (a subject has no place in a text message)."""

    def __init__(self, gateway: SmsGateway) -> None:
        self.gateway = gateway

    async def send(self, message: OutgoingMessage) -> None:
        await self.gateway.send_sms(
            message.address, message.body, message.metadata.get("notification_id", "")
        )
