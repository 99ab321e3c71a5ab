"""Every API request that can touch a case's personal data leaves an audit entry (issue 7).

A middleware, so no route can forget it: after the route answered it appends who (the
verified principal, or ``anonymous``), what (the route template, read or write, the case and
record ids from the path, the personal-data fields the route exposes) and the outcome (from the
status: ``ok``, ``unauthenticated``, ``denied``, ``not_found``, ``rejected``, ``error``) — so
refused and failed attempts are recorded too. The entry is written in a transaction of its own,
before the response leaves; if it cannot be written the caller gets a 500, not the data.

Not audited: ``/health``, ``/ready``, ``/metrics`` and the OpenAPI pages, which carry no case data.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from uuid import UUID

from fastapi import Request, Response

from service_runtime.security.audit import Actor, AuditEntry, append_audit

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
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """``personal_fields``: route template → names of the personal-data fields it exposes or
    changes (``/cases/{case_id}`` → id_number, contacts…), recorded with each entry."""

    async def middleware(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.url.path in NOT_AUDITED:
            return await call_next(request)
        try:
            response = await call_next(request)
            status = response.status_code
        except Exception:
            await _record(request, 500)
            raise
        await _record(request, status)
        return response

    async def _record(request: Request, status: int) -> None:
        route = getattr(request.scope.get("route"), "path", None) or "unmatched"
        params = request.scope.get("path_params") or {}
        principal = getattr(request.state, "principal", None)
        record_ids = [str(v) for k, v in params.items() if k.endswith("_id") and k != "case_id"]
        entry = AuditEntry(
            resource=route,
            action="write" if request.method in WRITES else "read",
            outcome=outcome_of(status),
            case_id=_uuid(params.get("case_id")),
            record_id=record_ids[-1] if record_ids else None,
            fields=personal_fields.get(route, ()),
        )
        runtime = request.app.state.runtime
        async with runtime.sessions() as session, session.begin():
            await append_audit(
                session,
                runtime.definition.tables.audit_log,
                principal or ANONYMOUS,
                entry,
                service=service,
            )

    return middleware


def _uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value)) if value is not None else None
    except ValueError:
        return None
