"""Whether a service's Alembic history builds the schema its ``tables.py`` describes: the
migrations are applied to a fresh database and Alembic's autogenerate compares the result with
the service's metadata. Any difference is a migration someone forgot (or a table edited without
one). Every service's tests call :func:`schema_drift` on its own definition."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from service_runtime.app import ServiceDefinition
from service_runtime.migrations import upgrade_to_head
from service_runtime.security.fields import FieldCipher
from service_runtime.settings import ServiceSettings


async def schema_drift(definition: ServiceDefinition, settings: ServiceSettings) -> list[Any]:
    """Alembic's differences between the migrated database and the definition's metadata
    (tables, columns, types, nullability, indexes, unique and foreign keys); empty when none."""
    url = str(settings.database_url)
    await upgrade_to_head(
        definition.migrations_dir, url, field_cipher=FieldCipher.from_settings(settings)
    )
    engine = create_async_engine(url, poolclass=sa.pool.NullPool)
    try:
        async with engine.connect() as connection:

            def compare(sync: sa.Connection) -> list[Any]:
                context = MigrationContext.configure(
                    sync, opts={"compare_type": True, "include_schemas": True}
                )
                return _without_comments(compare_metadata(context, definition.metadata))

            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


def _without_comments(diffs: list[Any]) -> list[Any]:
    """Table and column comments document ``tables.py`` for its readers; they constrain no data,
    so a comment a migration did not copy is not drift."""
    kept: list[Any] = []
    for diff in diffs:
        if isinstance(diff, list):  # one column's modifications, each a tuple
            changes = [change for change in diff if "comment" not in change[0]]
            if changes:
                kept.append(changes)
        elif "comment" not in diff[0]:
            kept.append(diff)
    return kept
