"""Real counterparts for the notifier's tests: an SMTP server, an agency system's webhook
receiver, and the broker (publish incoming events, read the notifier's own)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, TypeVar
from uuid import UUID

import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiosmtpd.controller import Controller

from defense_schemas import BaseEvent, Envelope
from notifier.domain.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def eventually(
    probe: Callable[[], Awaitable[T]], check: Callable[[T], bool], timeout: float = 20.0
) -> T:
    """Poll `probe` until `check` holds; fail with the last value after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if check(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout}s; last value: {value!r}")
        await asyncio.sleep(0.1)


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"


class SmtpServer:
    """aiosmtpd on a free local port; `.messages` holds what it accepted."""

    def __init__(self) -> None:
        self.port = free_port()
        self._mailbox = _Mailbox()
        self._controller = Controller(self._mailbox, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[EmailMessage]:
        return self._mailbox.messages

    def __enter__(self) -> SmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


@dataclass
class WebhookReceiver:
    """An agency system's endpoint on a free local port: checks each request's HMAC signature
    and answers 401 when it is wrong."""

    secret: str
    port: int = field(default_factory=free_port)
    received: list[dict[str, Any]] = field(default_factory=list)
    rejected: int = 0
    hold: float = 0.0
    """Seconds each request is held before the answer: a send that is in flight that long."""
    idempotency_keys: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/notifications"

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        timestamp = headers.get(TIMESTAMP_HEADER.lower(), "0")
        signature = headers.get(SIGNATURE_HEADER.lower(), "")
        ok = verify(self.secret, int(timestamp), body, signature)
        if ok:
            self.received.append(json.loads(body))
            self.idempotency_keys.append(headers.get("idempotency-key", ""))
        else:
            self.rejected += 1
        await asyncio.sleep(self.hold)
        status = 204 if ok else 401
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def __aenter__(self) -> WebhookReceiver:
        config = uvicorn.Config(
            self._app, host="127.0.0.1", port=self.port, log_level="warning", interface="asgi3"
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        await eventually(lambda: asyncio.sleep(0, self._server.started), bool, timeout=10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.should_exit = True
        await self._task


async def publish(bootstrap: str, topic: str, envelopes: list[Envelope]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for envelope in envelopes:
            await producer.send_and_wait(topic, envelope.to_bytes(), key=envelope.key)
    finally:
        await producer.stop()


def wrap(event: BaseEvent, case_id: UUID, producer: str) -> Envelope:
    return Envelope.for_event(event, case_id=case_id, producer=producer)


class TopicReader:
    """Reads a topic from the beginning, keeping the events of one case (envelope dicts)."""

    def __init__(self, bootstrap: str, topic: str, case_id: UUID, partitions: int) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self._topic = topic
        self._key = str(case_id).encode()
        self.events: list[dict[str, Any]] = []
        self._partitions = [TopicPartition(topic, p) for p in range(partitions)]

    async def __aenter__(self) -> TopicReader:
        await self._consumer.start()
        self._consumer.assign(self._partitions)
        await self._consumer.seek_to_beginning(*self._partitions)
        return self

    async def __aexit__(self, *exc: object) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await self._consumer.stop()

    async def read(self) -> list[dict[str, Any]]:
        """Whatever arrived since the last call, added to `events`; returns all so far."""
        batch = await self._consumer.getmany(*self._partitions, timeout_ms=200)
        for records in batch.values():
            for record in records:
                if record.key == self._key:
                    self.events.append(json.loads(record.value))
        return self.events

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event_type"] == event_type]
