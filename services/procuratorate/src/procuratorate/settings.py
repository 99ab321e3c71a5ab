"""Settings of the procuratorate service, read from `PROCURATORATE_*` environment variables."""

from __future__ import annotations

from pydantic import PostgresDsn
from pydantic_settings import SettingsConfigDict

from service_runtime.settings import ServiceSettings


class ProcuratorateSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROCURATORATE_", extra="ignore")

    database_url: PostgresDsn = PostgresDsn(
        "postgresql+asyncpg://procuratorate:procuratorate@127.0.0.1:55432/procuratorate"
    )
    http_port: int = 8101
