"""Alembic, run the same way by every service: at start, and from each service's env.py."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from service_runtime.security.fields import FieldCipher
from service_runtime.settings import ServiceSettings

# Two replicas starting together must not both run the same migration.
MIGRATION_ADVISORY_LOCK = 0x0DC_A1E


# ``config.attributes`` key of the service's FieldCipher: a revision that encrypts existing
# rows reads it (``field_cipher_of(context.config)``).
FIELD_CIPHER = "field_cipher"


def alembic_config(
    migrations_dir: Path, database_url: str, *, field_cipher: FieldCipher | None = None
) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url)
    if field_cipher is not None:
        config.attributes[FIELD_CIPHER] = field_cipher
    return config


def field_cipher_of(config: Config, settings_class: type[ServiceSettings]) -> FieldCipher:
    """The cipher the service passed to its migrations, or (alembic run by hand) the one its
    settings in the environment describe."""
    cipher = config.attributes.get(FIELD_CIPHER)
    if cipher is None:
        cipher = FieldCipher.from_settings(settings_class.model_validate({}))
    return cipher  # type: ignore[no-any-return]


async def upgrade_to_head(
    migrations_dir: Path, database_url: str, *, field_cipher: FieldCipher | None = None
) -> None:
    """Apply every pending migration; safe to call from inside a running event loop."""
    config = alembic_config(migrations_dir, database_url, field_cipher=field_cipher)
    # env.py runs its own event loop, which cannot nest in ours: give it a thread.
    await asyncio.to_thread(command.upgrade, config, "head")


def run_env(target_metadata: sa.MetaData) -> None:
    """The body of every service's ``migrations/env.py``."""
    url = context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def migrate(connection: Connection) -> None:
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_ADVISORY_LOCK)))
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(url or "", poolclass=sa.pool.NullPool)
        async with engine.begin() as connection:
            await connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(main())
