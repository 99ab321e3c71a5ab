"""Every API request that can touch a case's personal data leaves an audit entry (issue 7).

A middleware, so no route can forget it: after the route answered it appends who (the
verified principal, or ``anonymous``), what (the route template, read or write, the case and
record ids from the path, the personal-data fields the route exposes) and the outcome (from the
status: ``ok``, ``unauthenticated``, ``denied``, ``not_found``, ``rejected``, ``error``) — so
refused and failed attempts are recorded too. The entry is committed before the response
leaves, in a transaction shared with the entries of concurrent requests (``GroupAppender``);
if it cannot be written the caller gets a 500, not the data. Entries are made storable before
they are queued (NUL and lone surrogates escaped); an entry the database still refuses is
retried alone and then stored in a reduced form (who, the outcome, the case), so one hostile
request never fails the others it was grouped with.

Not audited: ``/health``, ``/ready``, ``/metrics`` and the OpenAPI pages, which carry no case data.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from uuid import UUID

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service_runtime.request_guards import DOCS_ASSETS_PREFIX, clean_text
from service_runtime.route_match import route_of
from service_runtime.security.audit import Actor, AuditEntry, GroupAppender

log = logging.getLogger(__name__)

NOT_AUDITED = frozenset(
    {"/health", "/ready", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
)
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ANONYMOUS = Actor(subject="anonymous", role="none")


def outcome_of(status: int) -> str:
    if status < 400:
        return "ok"
    return {401: "unauthenticated", 403: "denied", 404: "not_found"}.get(
        status, "error" if status >= 500 else "rejected"
    )


def audit_middleware(
    service: str, personal_fields: Mapping[str, tuple[str, ...]]
) -> Callable[[ASGIApp], ASGIApp]:
    """The audit log around an app, for ``FastAPI.add_middleware``. ``personal_fields``: route
    template → names of the personal-data fields it exposes or changes (``/cases/{case_id}`` →
    id_number, contacts…), recorded with each entry."""
    return functools.partial(AuditMiddleware, service=service, personal_fields=personal_fields)


class AuditMiddleware:
    """Writes the entry when the route's response starts, and only then passes the start on:
    if the entry cannot be written, nothing of the response has left and the caller gets a
    500. Plain ASGI, not ``BaseHTTPMiddleware``: that one runs every request through a task
    group and memory streams, a cost paid on each request."""

    def __init__(
        self, app: ASGIApp, *, service: str, personal_fields: Mapping[str, tuple[str, ...]]
    ) -> None:
        self.app = app
        self.service = service
        self.personal_fields = personal_fields
        self._appender: GroupAppender | None = None  # needs the runtime: made at first use

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] in NOT_AUDITED
            or scope["path"].startswith(DOCS_ASSETS_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        recorded = False

        async def send_after_recording(message: Message) -> None:
            nonlocal recorded
            if message["type"] == "http.response.start" and not recorded:
                recorded = True  # first: a failed write raises through the app, not retried below
                await self._record(request, message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_after_recording)
        except Exception:
            if not recorded:
                await self._record(request, 500)
            raise

    async def _record(self, request: Request, status: int) -> None:
        # Refused by a guard before routing, the entry still names the route the path reaches.
        route, params = route_of(request.scope)
        principal = getattr(request.state, "principal", None)
        # Path parameters are the client's text before any validation: kept short and storable.
        record_ids = [
            clean_text(str(v)) for k, v in params.items() if k.endswith("_id") and k != "case_id"
        ]
        entry = AuditEntry(
            resource=route,
            action="write" if request.method in WRITES else "read",
            outcome=outcome_of(status),
            case_id=_uuid(params.get("case_id")),
            record_id=record_ids[-1] if record_ids else None,
            fields=self.personal_fields.get(route, ()),
        )
        runtime = request.app.state.runtime
        if self._appender is None or self._appender.sessions is not runtime.sessions:
            # One per runtime: an app restarted in the same process has a new engine.
            self._appender = GroupAppender(
                runtime.sessions,
                runtime.definition.tables.audit_log,
                service=self.service,
                key=runtime.settings.audit_key.get_secret_value().encode(),
            )
        await self._appender.append(principal or ANONYMOUS, entry)


def _uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value)) if value is not None else None
    except ValueError:
        return None
