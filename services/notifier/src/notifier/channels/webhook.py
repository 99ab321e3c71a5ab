"""A signed webhook to an agency system: JSON body, HMAC-SHA256 signature and timestamp."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx

from notifier.channels import IDEMPOTENCY_HEADER, DeliveryError, OutgoingMessage
from notifier.domain.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign


class WebhookChannel:
    def __init__(
        self,
        secret: str,
        *,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret
        self._timeout = timeout
        self._clock = clock

    async def send(self, message: OutgoingMessage) -> None:
        body = json.dumps(
            {"subject": message.subject, "text": message.body, **message.metadata},
            ensure_ascii=False,
            sort_keys=True,
        ).encode()
        timestamp = int(self._clock())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
            IDEMPOTENCY_HEADER: message.idempotency_key,
        }
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(message.address, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryError(f"webhook {message.address}: {error!r}") from error
        if not response.is_success:
            raise DeliveryError(f"webhook answered {response.status_code}: {response.text[:500]}")
