"""Wiring of the notifier service: the one place its parts are put together."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from notifier.db.tables import metadata, platform
from notifier.handlers import event_handlers
from notifier.settings import NotifierSettings
from service_runtime.app import ServiceDefinition, build_app
from service_runtime.settings import ServiceSettings


def settings_from_env() -> NotifierSettings:
    return NotifierSettings()


def definition() -> ServiceDefinition:
    def consumed(settings: ServiceSettings) -> list[str]:
        return [settings.topic_intake, settings.topic_procuratorate, settings.topic_aid_center]

    return ServiceDefinition(
        name="notifier",
        title="notifier",
        description="Deliveries to people and the deadline watch",
        migrations_dir=Path(__file__).parent / "migrations",
        metadata=metadata,
        tables=platform,
        own_topic=lambda settings: settings.topic_notifier,
        consumed_topics=consumed,
        handlers=event_handlers,
        routers=[],
    )


def create_app(settings: NotifierSettings | None = None) -> FastAPI:
    return build_app(definition(), settings or settings_from_env())
