"""The settings every service has; each service subclasses this with its own env prefix."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, PostgresDsn, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
)

from defense_messaging import KafkaConnection
from defense_messaging.inbound import InboundPolicy
from defense_schemas import topics
from service_runtime.security.defaults import (
    LOCAL_AUDIENCE,
    LOCAL_AUDIT_KEY,
    LOCAL_FIELD_KEY,
    LOCAL_FIELD_KEY_ID,
    LOCAL_ISSUER,
    LOCAL_JWT_SECRET,
    LOCAL_LOOKUP_KEY,
    LOCAL_TRUSTED_AGENCY_PRODUCERS,
)

SECRETS_DIR_VARIABLE = "DEFENSE_SECRETS_DIR"


class FileEnvSettingsSource(EnvSettingsSource):
    """``<PREFIX>_<FIELD>_FILE=/run/secrets/x``: the setting's value is that file's content (its
    trailing newline dropped), the way orchestrators mount secrets. Read like the variable
    itself, so JSON-valued settings (``FIELD_KEYS``) work from a file as well."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        prefix = self.env_prefix.lower()
        fields = {prefix + name.lower() for name in self.settings_cls.model_fields}
        values: dict[str, str | None] = {}
        for name, path in os.environ.items():
            # Only this service's own settings: other programs' *_FILE variables are not ours.
            key = name[: -len("_FILE")].lower()
            if not name.upper().endswith("_FILE") or key not in fields or not path:
                continue
            values[key] = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        return values


class ServiceSettings(BaseSettings):
    """Read from the environment (``<PREFIX>_DATABASE_URL`` …), from files named by
    ``<PREFIX>_<FIELD>_FILE`` and from the directory ``$DEFENSE_SECRETS_DIR`` (one file per
    setting, named like its variable); defaults suit the local setup, and the published local
    security defaults are refused outside development mode (``DEFENSE_ENV=development``)."""

    model_config = SettingsConfigDict(extra="ignore", env_file=None)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        files = FileEnvSettingsSource(settings_cls)
        sources = [init_settings, env_settings, files, dotenv_settings]
        if secrets_dir := os.environ.get(SECRETS_DIR_VARIABLE):
            sources.append(SecretsSettingsSource(settings_cls, secrets_dir=secrets_dir))
        return tuple(sources)

    deployment_mode: Literal["development", "production"] = Field(
        "production",
        validation_alias=AliasChoices("DEFENSE_ENV", "deployment_mode"),
        description="`development` (set by ./devctl, the tests and docker-compose) is the only "
        "mode in which a service starts with the published local security defaults",
    )

    replica_id: str = Field(
        default_factory=socket.gethostname,
        validation_alias=AliasChoices("DEFENSE_REPLICA_ID", "replica_id"),
        min_length=1,
        max_length=100,
        description="this process among the service's replicas (default: the host name, a pod's "
        "name under Kubernetes); in its Kafka client ids, `<service>-<replica>-<role>`",
    )

    database_url: PostgresDsn = Field(description="SQLAlchemy URL, postgresql+asyncpg://…")
    kafka_bootstrap_servers: str = "127.0.0.1:59092"
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = None
    kafka_ssl_cafile: str | None = None

    topic_intake: str = topics.INTAKE_CASE_TRANSFERS
    topic_procuratorate: str = topics.PROCURATORATE_EVENTS
    topic_aid_center: str = topics.AID_CENTER_EVENTS
    topic_notifier: str = topics.NOTIFIER_EVENTS
    topic_partitions: int = Field(6, ge=1, description="partitions for topics this service creates")
    topic_replication_factor: int = Field(1, ge=1)

    consumer_group: str | None = Field(
        None, description="Kafka consumer group; defaults to the service name"
    )
    # A fetch returns as soon as one byte is there: lowest latency, but under load a consumer
    # then applies its events a handful at a time, paying a transaction's fixed cost for each
    # handful. A service off the critical path may wait a little to apply larger batches.
    consumer_fetch_min_bytes: int = Field(
        1, ge=1, description="the broker holds a fetch until this much is there…"
    )
    consumer_fetch_max_wait_ms: int = Field(
        500, ge=0, le=10_000, description="…or until this long has passed"
    )
    # A member that does not poll for this long (a batch stuck on a lock, a paused process) is
    # taken out of its group and its partitions go to others; it re-joins on its next poll.
    consumer_max_poll_interval_ms: int = Field(
        300_000,
        ge=1000,
        description="the longest a consumer may go between polls before it leaves its group",
    )

    http_host: str = "127.0.0.1"
    http_port: int = 8000
    http_max_body_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="larger request bodies are refused with 413 while they arrive",
    )
    outbox_poll_interval_seconds: float = Field(1.0, gt=0)
    liveness_stall_seconds: float = Field(
        120.0,
        gt=0,
        description="/health fails when the relay or consumer loop has not gone round for this "
        "long (longer than any bounded wait inside it: client timeouts, retry backoff)",
    )
    lag_refresh_interval_seconds: float = Field(
        15.0,
        gt=0,
        description="how often the consumer lag metrics are read from Kafka (in the background, "
        "on clients kept open: a /metrics scrape never waits for Kafka)",
    )
    # Graceful shutdown (service_runtime.shutdown): the three add up to less than the
    # orchestrator's grace period (Kubernetes: 30 s by default, then SIGKILL).
    shutdown_drain_seconds: float = Field(
        0.0,
        ge=0,
        le=60,
        description="after SIGTERM, /ready fails but the API serves this long before it stops "
        "accepting connections (Kubernetes: a few seconds, so endpoints drop the replica first)",
    )
    shutdown_http_seconds: int = Field(
        5, ge=1, le=60, description="then requests in flight get this long to finish"
    )
    shutdown_timeout_seconds: float = Field(
        15.0,
        gt=0,
        le=120,
        description="then the consumer's batch, its commit and the relay's publish get this "
        "long; what is cut short is rolled back and done again by the next replica",
    )
    log_level: str = "INFO"
    tracing_otlp_endpoint: str | None = Field(
        None,
        description="OpenTelemetry tracing, off when unset: the OTLP/HTTP collector spans go to "
        "(e.g. http://otel-collector:4318; /v1/traces is appended)",
    )
    idempotency_key_ttl_hours: float = Field(
        24.0,
        gt=0,
        le=24 * 30,
        description="how long an Idempotency-Key and its stored response are kept: a retry "
        "after this runs again",
    )

    # Authentication (issue 7). The defaults are for a developer's machine only: a deployment
    # sets a secret of its own, or an OIDC provider's JWKS URL (then only RS256 is accepted).
    auth_jwt_secret: SecretStr = Field(
        SecretStr(LOCAL_JWT_SECRET), description="HS256 key for bearer tokens (local default)"
    )
    auth_issuer: str = Field(LOCAL_ISSUER, description="required `iss` of bearer tokens")
    auth_audience: str = Field(LOCAL_AUDIENCE, description="required `aud` of bearer tokens")
    auth_jwks_url: str | None = Field(
        None, description="an OIDC provider's JWKS URL; when set, tokens are RS256 only"
    )
    auth_leeway_seconds: int = Field(30, ge=0, le=300, description="clock skew allowed on exp")
    auth_max_token_lifetime_seconds: int = Field(
        12 * 3600,
        ge=60,
        description="tokens valid for longer (exp - iat, or exp - now) are refused",
    )

    # Personal data at rest: AES-256-GCM keys by id (base64 of 32 bytes, JSON object in the
    # environment); new values are encrypted with `field_key_id`, old ids still decrypt.
    field_keys: dict[str, SecretStr] = Field(
        default_factory=lambda: {LOCAL_FIELD_KEY_ID: SecretStr(LOCAL_FIELD_KEY)},
        description="key id → base64 32-byte AES key (local default)",
    )
    field_key_id: str = Field(LOCAL_FIELD_KEY_ID, description="the key new values use")
    lookup_key: SecretStr = Field(
        SecretStr(LOCAL_LOOKUP_KEY),
        description="HMAC-SHA256 key (base64) of the keyed hashes used to find encrypted values",
    )
    # The audit log's chain is keyed with this; the database never holds it.
    audit_key: SecretStr = Field(
        SecretStr(LOCAL_AUDIT_KEY), description="HMAC-SHA256 key of the audit log's chain"
    )
    audit_anchor_interval_seconds: float = Field(
        300.0, gt=0, description="how often the audit chain's head is published (if it moved)"
    )

    # Inbound events from other agencies are untrusted (issue 7, item 6).
    inbound_max_message_bytes: int = Field(
        1_048_576, ge=1024, description="larger messages are dead-lettered unread"
    )
    inbound_allowed_producers: dict[str, list[str]] = Field(
        default_factory=lambda: {
            event: list(ids) for event, ids in LOCAL_TRUSTED_AGENCY_PRODUCERS.items()
        },
        description="event type → producer ids allowed to publish it (`*` = any); an agency "
        "event type not listed is refused (JSON object)",
    )

    @field_validator("database_url", mode="before")
    @classmethod
    def _asyncpg_driver(cls, value: object) -> object:
        """A plain ``postgresql://`` URL (what a database operator's secret holds, e.g.
        CloudNativePG's ``uri``) is used through asyncpg, the driver the services have."""
        if isinstance(value, str):
            for scheme in ("postgresql://", "postgres://"):
                if value.startswith(scheme):
                    return "postgresql+asyncpg://" + value.removeprefix(scheme)
        return value

    @property
    def kafka(self) -> KafkaConnection:
        return KafkaConnection(
            bootstrap_servers=self.kafka_bootstrap_servers,
            security_protocol=self.kafka_security_protocol,
            sasl_mechanism=self.kafka_sasl_mechanism,
            sasl_username=self.kafka_sasl_username,
            sasl_password=self.kafka_sasl_password,
            ssl_cafile=self.kafka_ssl_cafile,
        )

    @property
    def inbound_policy(self) -> InboundPolicy:
        return InboundPolicy(
            max_message_bytes=self.inbound_max_message_bytes,
            allowed_producers={
                event: frozenset(ids) for event, ids in self.inbound_allowed_producers.items()
            },
        )

    @property
    def all_topics(self) -> list[str]:
        base = [
            self.topic_intake,
            self.topic_procuratorate,
            self.topic_aid_center,
            self.topic_notifier,
        ]
        return base + [topics.dead_letter_topic(name) for name in base]
