"""SMS through a pluggable gateway (短信网关).

:class:`SmsGateway` is the interface; :class:`HttpSmsGateway` posts to a provider's HTTP API,
:class:`FileSmsGateway` appends each message to a JSON-lines file and logs it, for local use
where no provider is contracted.

Every message carries a ``reference``: the delivery job's id, the same on every attempt. It is
the idempotency key a gateway de-duplicates on (the file gateway does), since a job is sent again
when the notifier dies after the gateway accepted it and before the notifier's commit.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
from pathlib import Path
from typing import Protocol

import httpx

from notifier.channels import IDEMPOTENCY_HEADER, DeliveryError, OutgoingMessage

log = logging.getLogger(__name__)


class SmsGateway(Protocol):
    async def send_sms(self, phone: str, text: str, reference: str) -> None: ...


class HttpSmsGateway:
    """POSTs `{"phone", "text", "reference"}` as JSON with a bearer token and the reference as
    `Idempotency-Key`; any 2xx is accepted."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 10.0) -> None:
        self._url = url
        self._token = token
        self._timeout = timeout

    async def send_sms(self, phone: str, text: str, reference: str) -> None:
        headers = {IDEMPOTENCY_HEADER: reference}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
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
    """Writes each SMS as one JSON line; the local stand-in for a provider.

    Like a provider, it accepts a reference once: a message whose reference the file already
    holds is accepted and not written again. Several notifier replicas may share the file, so
    the check and the append happen under an exclusive lock on it; each gateway remembers the
    references it has read and reads only what was appended since.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._seen: set[str] = set()
        self._read_up_to = 0

    async def send_sms(self, phone: str, text: str, reference: str) -> None:
        line = json.dumps(
            {"phone": phone, "text": text, "reference": reference}, ensure_ascii=False
        )
        try:
            written = await asyncio.to_thread(self._append_once, reference, line)
        except OSError as error:
            raise DeliveryError(f"SMS file {self._path}: {error}") from error
        if written:
            # Never the number or the text: they are personal data (the file itself is the
            # stand-in provider's outbox).
            log.info("SMS %s written to the SMS file", reference)
        else:
            log.info("SMS %s was sent before; not sent again", reference)

    def _append_once(self, reference: str, line: str) -> bool:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._path.open("a+b") as file:
            fcntl.flock(file, fcntl.LOCK_EX)  # released when the file is closed
            if file.seek(0, 2) < self._read_up_to:  # emptied or replaced: read it anew
                self._seen.clear()
                self._read_up_to = 0
            file.seek(self._read_up_to)
            for raw in file.read().splitlines():
                try:
                    self._seen.add(str(json.loads(raw).get("reference", "")))
                except (ValueError, AttributeError):
                    continue  # a line cut short by a crash, or written by hand
            if reference and reference in self._seen:
                self._read_up_to = file.tell()
                return False
            file.write((line + "\n").encode())
            file.flush()
            self._read_up_to = file.tell()
            self._seen.add(reference)
            return True


class SmsChannel:
    """An SMS carries the body only (a subject has no place in a text message)."""

    def __init__(self, gateway: SmsGateway) -> None:
        self.gateway = gateway

    async def send(self, message: OutgoingMessage) -> None:
        await self.gateway.send_sms(message.address, message.body, message.idempotency_key)
