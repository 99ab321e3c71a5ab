"""Settings of the aid_center service, read from `AID_CENTER_*` environment variables."""

from __future__ import annotations

from pydantic import PostgresDsn
from pydantic_settings import SettingsConfigDict

from service_runtime.settings import ServiceSettings


class AidCenterSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AID_CENTER_", extra="ignore")

    database_url: PostgresDsn = PostgresDsn(
        "postgresql+asyncpg://aid_center:aid_center@127.0.0.1:55432/aid_center"
    )
    http_port: int = 8102
