"""The settings every service has; each service subclasses this with its own env prefix."""

from __future__ import annotations

from pydantic import Field, PostgresDsn
from pydantic_settings import BaseSettings, SettingsConfigDict

from defense_messaging import KafkaConnection
from defense_schemas import topics


class ServiceSettings(BaseSettings):
    """Read from the environment (``<PREFIX>_DATABASE_URL`` …); defaults suit the local setup."""

    model_config = SettingsConfigDict(extra="ignore", env_file=None)

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

    http_host: str = "127.0.0.1"
    http_port: int = 8000
    outbox_poll_interval_seconds: float = Field(1.0, gt=0)
    log_level: str = "INFO"

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
    def all_topics(self) -> list[str]:
        base = [
            self.topic_intake,
            self.topic_procuratorate,
            self.topic_aid_center,
            self.topic_notifier,
        ]
        return base + [topics.dead_letter_topic(name) for name in base]
