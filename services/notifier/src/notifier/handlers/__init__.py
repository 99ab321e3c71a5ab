"""Event handlers: how the notifier's projection follows the events it consumes."""

from __future__ import annotations

from collections.abc import Mapping

from defense_messaging import Handler
from defense_schemas import BaseEvent
from service_runtime.app import Runtime


def event_handlers(runtime: Runtime) -> Mapping[type[BaseEvent], Handler]:
    return {}
