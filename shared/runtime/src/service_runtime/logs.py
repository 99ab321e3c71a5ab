"""One log format for every service: JSON lines on stdout.

Each line has ``ts``, ``level``, ``service``, ``replica``, ``logger``, ``message``, the ids bound
where it was logged (``request_id``, ``correlation_id``, ``causation_id``, ``event_id``,
``case_id``: ``defense_messaging.log_context``), the trace's ids when tracing is on, the fields
a line adds (the access log's ``http``), and ``exception`` with the traceback. Uvicorn's own
loggers go through the same handler; its access log is replaced by the runtime's
(``service_runtime.request_context``), which names the route template, never the raw path or
query, so no id or search term a client typed lands in the log.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from defense_messaging.log_context import current

UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str, replica: str) -> None:
        super().__init__()
        self.service = service
        self.replica = replica

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "replica": self.replica,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(current())
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        trace = _trace_ids()
        if trace:
            entry.update(trace)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _trace_ids() -> dict[str, str]:
    """The current span's trace and span ids, when OpenTelemetry is there and a span is on."""
    try:
        from opentelemetry import trace
    except ImportError:  # pragma: no cover - the runtime depends on it
        return {}
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {"trace_id": f"{context.trace_id:032x}", "span_id": f"{context.span_id:016x}"}


def replica_name(settings: object) -> str:
    """This process among the service's replicas: its setting when it has one, else the host
    name (a pod's name under Kubernetes, a container's id under Compose)."""
    return str(getattr(settings, "replica_id", None) or socket.gethostname())


def configure_logging(
    service: str, replica: str, level: str | int = "INFO", stream: TextIO | None = None
) -> logging.Handler:
    """JSON lines for everything the process logs, uvicorn included; returns the handler."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter(service, replica))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    return handler
