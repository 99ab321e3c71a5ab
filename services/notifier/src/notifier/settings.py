"""Settings of the notifier service, read from `NOTIFIER_*` environment variables."""

from __future__ import annotations

from pydantic import PostgresDsn
from pydantic_settings import SettingsConfigDict

from service_runtime.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore")

    database_url: PostgresDsn = PostgresDsn(
        "postgresql+asyncpg://notifier:notifier@127.0.0.1:55432/notifier"
    )
    http_port: int = 8103
