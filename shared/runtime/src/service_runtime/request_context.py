"""Each request's ids for its log lines, its ``X-Request-ID``, and the access log.

The request id is the caller's ``X-Request-ID`` when it is a plain token (letters, digits,
``.-_:``, at most 128), else a new one; it is echoed in the response's ``X-Request-ID``. The
case id is bound when the route names one (``/cases/{case_id}…``). One access line per request
(logger ``defense.access``): method, route template, status, milliseconds — not the raw path
or query string, which may carry what a client searched for.
"""

from __future__ import annotations

import functools
import logging
import re
import time
import uuid
from collections.abc import Callable

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from defense_messaging.log_context import bound
from defense_messaging.tracing import context_from_headers, span
from service_runtime.route_match import route_of

access_log = logging.getLogger("defense.access")

REQUEST_ID_HEADER = b"x-request-id"
_ACCEPTABLE_ID = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")


def request_context_middleware(
    service: str, tracer: trace.Tracer | None = None
) -> Callable[[ASGIApp], ASGIApp]:
    """For ``FastAPI.add_middleware``; add it last, so it is the outermost layer and every
    other layer (audit, metrics, guards) logs with the request's ids and runs in its span."""
    return functools.partial(RequestContext, service=service, tracer=tracer)


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER and _ACCEPTABLE_ID.fullmatch(value):
            return value.decode("ascii")
    return uuid.uuid4().hex


class RequestContext:
    """Also the request's server span (child of the caller's ``traceparent``), in which the
    route runs, so the events it writes to the outbox carry its trace."""

    def __init__(self, app: ASGIApp, *, service: str, tracer: trace.Tracer | None) -> None:
        self.app = app
        self.service = service
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_of(scope)
        _, params = route_of(scope)
        status = 500  # what the server answers when the app raises before it starts a response

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != REQUEST_ID_HEADER
                ]
                headers.append((REQUEST_ID_HEADER, request_id.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        parent = context_from_headers(
            (name.decode("latin-1"), value) for name, value in scope.get("headers", ())
        )
        with (
            bound(service=self.service, request_id=request_id, case_id=_case_id(params)),
            span(
                self.tracer,
                scope["method"],
                parent=parent,
                kind=SpanKind.SERVER,
                attributes={
                    "http.request.method": scope["method"],
                    "defense.request_id": request_id,
                },
            ) as server_span,
        ):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                route, _ = route_of(scope)
                if server_span is not None:
                    server_span.update_name(f"{scope['method']} {route}")
                    server_span.set_attribute("http.route", route)
                    server_span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        server_span.set_status(Status(StatusCode.ERROR))
                access_log.info(
                    "%s %s %d",
                    scope["method"],
                    route,
                    status,
                    extra={
                        "fields": {
                            "http": {
                                "method": scope["method"],
                                "route": route,
                                "status": status,
                                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                            }
                        }
                    },
                )


def _case_id(params: dict[str, object]) -> str | None:
    """Only a well-formed UUID: a path segment that is not one is not an id to log."""
    value = params.get("case_id")
    try:
        return str(uuid.UUID(str(value))) if value is not None else None
    except ValueError:
        return None
