"""E-mail over SMTP (aiosmtplib)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, parseaddr

import aiosmtplib

from notifier.channels import DeliveryError, OutgoingMessage


class SmtpChannel:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        start_tls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._username = username
        self._password = password
        self._start_tls = start_tls
        self._timeout = timeout

    async def send(self, message: OutgoingMessage) -> None:
        email = EmailMessage()
        email["From"] = self._sender
        email["To"] = (
            formataddr((message.recipient_name, message.address))
            if message.recipient_name
            else message.address
        )
        email["Subject"] = message.subject
        # Derived from the job alone, so a re-sent job carries the same Message-ID and mail
        # systems that de-duplicate on it (and every reader's client) see one message.
        email["Message-ID"] = message_id(message.idempotency_key, self._sender)
        for name, value in message.metadata.items():
            email[f"X-Defense-{name.replace('_', '-').title()}"] = value
        email.set_content(message.body)
        try:
            await aiosmtplib.send(
                email,
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                start_tls=self._start_tls,
                timeout=self._timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP {self._host}:{self._port}: {error}") from error


def message_id(key: str, sender: str) -> str:
    """``<key@sender's domain>``: the same for every attempt of one job."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "defense-coverage.local"
    return f"<{key}@{domain}>"
