"""Settings of the notifier service, read from `NOTIFIER_*` environment variables."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, PostgresDsn, SecretStr
from pydantic_settings import SettingsConfigDict

from notifier.replay import ReplayBoundary
from service_runtime.security.defaults import LOCAL_WEBHOOK_SECRET
from service_runtime.settings import ServiceSettings

CHECKOUT = Path(__file__).resolve().parents[4]
"""Where the notifier runs from (a checkout or the image's /app); its ``.local/`` is the
git-ignored data folder the local scripts keep everything in."""


class NotifierSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore")

    database_url: PostgresDsn = PostgresDsn(
        "postgresql+asyncpg://notifier:notifier@127.0.0.1:55432/notifier"
    )
    http_port: int = 8103
    # Messages and the deadline watch are not a hot path: waiting up to 100 ms for 64 KiB of
    # events lets a busy notifier apply them in batches of dozens (handlers/batch.py).
    consumer_fetch_min_bytes: int = Field(65_536, ge=1)
    consumer_fetch_max_wait_ms: int = Field(100, ge=0, le=10_000)

    # --- e-mail ---
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_sender: str = "通知服务 <notifier@defense-coverage.local>"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_start_tls: bool = False

    # --- replaying history ---
    deliver_events_since: datetime | None = Field(
        None,
        description="jobs for events that occurred earlier are recorded as `skipped`, not sent: "
        "set it to the moment a rebuild of the projection starts, so that replaying old events "
        "does not message everyone again",
    )

    replay_until: dict[str, list[int]] | None = Field(
        None,
        description="a rebuild's end offsets of the consumed topics (topic → end offset of each "
        "partition, JSON), taken when it starts: events before them were applied by the original "
        "run, so their messages are recorded as `skipped` and their clock events not published "
        "again (notifier.replay; `python -m notifier.replay_until` prints them)",
    )

    def replay_boundary(self) -> ReplayBoundary | None:
        return ReplayBoundary(self.replay_until) if self.replay_until else None

    # --- SMS ---
    sms_gateway: Literal["file", "http"] = Field(
        "file", description="`http` posts to sms_gateway_url; `file` writes sms_file_path"
    )
    sms_gateway_url: str | None = None
    sms_gateway_token: SecretStr | None = None
    # Under the checkout, never a temporary folder shared by every checkout and user on the
    # machine: two instances would write into each other's file.
    sms_file_path: Path = CHECKOUT / ".local" / "notifier" / "sms.jsonl"

    # --- webhooks to agency systems ---
    webhook_secret: SecretStr = Field(
        SecretStr(LOCAL_WEBHOOK_SECRET),
        description="HMAC-SHA256 key shared with the agency systems (local default)",
    )
    procuratorate_webhook_url: str | None = Field(
        None, description="The procuratorate's system, for messages addressed to the agency"
    )
    aid_center_webhook_url: str | None = Field(
        None, description="The legal aid center's system, for messages addressed to the agency"
    )

    # --- the delivery worker ---
    delivery_poll_interval_seconds: float = Field(1.0, gt=0)
    delivery_max_attempts: int = Field(6, ge=1, le=1000)
    delivery_backoff_base_seconds: float = Field(30.0, gt=0)
    delivery_backoff_max_seconds: float = Field(3600.0, gt=0)
    delivery_batch_size: int = Field(20, ge=1)
    delivery_claim_size: int = Field(
        10,
        ge=1,
        description="jobs claimed in one transaction, sent at once and committed together "
        "(1: a transaction per job; a crash before the commit sends the claimed jobs again)",
    )
    delivery_shutdown_grace_seconds: float = Field(
        10.0,
        ge=0,
        description="on shutdown, how long a job being sent may take to finish and commit "
        "(cutting it off after the channel accepted it would send it again)",
    )

    # --- the deadline watch ---
    deadline_lead_days: int = Field(
        1, ge=0, description="DeadlineApproaching this many days before the due day"
    )
    deadline_scan_interval_seconds: float = Field(60.0, gt=0)
