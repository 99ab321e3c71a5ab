"""Wiring of the notifier service: the one place its parts are put together."""

from __future__ import annotations

from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from notifier.api import clocks, deliveries, ops, templates
from notifier.api.descriptions import DESCRIPTIONS
from notifier.api.operation_ids import OPERATION_IDS
from notifier.db.tables import metadata, platform
from notifier.handlers import event_handlers
from notifier.settings import NotifierSettings
from notifier.workers.calendar import recompute_provisional_clocks
from notifier.workers.deadlines import run_deadline_scanner
from notifier.workers.delivery import channels_from, run_delivery_worker
from service_runtime.app import Runtime, ServiceDefinition, build_app
from service_runtime.calendar_events import CalendarRole
from service_runtime.settings import ServiceSettings


def settings_from_env() -> NotifierSettings:
    return NotifierSettings()


def background(runtime: Runtime) -> list[Coroutine[Any, Any, None]]:
    """The delivery worker and the deadline scanner."""
    settings = runtime.settings
    assert isinstance(settings, NotifierSettings)
    return [
        run_delivery_worker(runtime, channels_from(settings)),
        run_deadline_scanner(runtime),
    ]


async def recompute_provisional(runtime: Runtime) -> None:
    await recompute_provisional_clocks(runtime)


def definition() -> ServiceDefinition:
    def consumed(settings: ServiceSettings) -> list[str]:
        # The agencies' intake is the procuratorate's to read: its CaseReceived carries all.
        return [settings.topic_procuratorate, settings.topic_aid_center]

    return ServiceDefinition(
        name="notifier",
        title="notifier",
        description="Deliveries to people (e-mail, SMS, signed webhooks) and the deadline watch",
        migrations_dir=Path(__file__).parent / "migrations",
        metadata=metadata,
        tables=platform,
        own_topic=lambda settings: settings.topic_notifier,
        consumed_topics=consumed,
        handlers=event_handlers,
        routers=[deliveries.router, templates.router, clocks.router, ops.router],
        operation_ids=OPERATION_IDS,
        operation_descriptions=DESCRIPTIONS,
        background=background,
        on_calendar_changed=recompute_provisional,
        calendar=CalendarRole.FOLLOWER,
        refresh_metrics=ops.refresh_metrics,
        audited=True,
        personal_fields={
            # Deliveries carry the recipient's address (phone, e-mail) and the message text.
            "/cases/{case_id}/deliveries": ("address", "body"),
            "/deliveries/{notification_id}": ("address", "body"),
        },
    )


def create_app(settings: NotifierSettings | None = None) -> FastAPI:
    return build_app(definition(), settings or settings_from_env())
