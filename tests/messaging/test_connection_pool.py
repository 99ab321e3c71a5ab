"""The services' connection pool keeps the connections a busy replica uses: a load of many
concurrent transactions opens its connections once, not again on every burst."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from service_runtime.database import POOL_SIZE, create_engine

IN_FLIGHT = 16  # the bench's requests in flight


async def test_bursts_of_concurrent_transactions_reuse_the_connections_they_opened(
    scratch_database: Any,
) -> None:
    engine = create_engine(await scratch_database("pool"))
    opened = 0

    @event.listens_for(engine.sync_engine, "connect")
    def count(*_: object) -> None:
        nonlocal opened
        opened += 1

    all_in = asyncio.Barrier(IN_FLIGHT)

    async def transaction() -> None:
        async with engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))
            await all_in.wait()  # every connection is checked out at once

    try:
        await asyncio.gather(*(transaction() for _ in range(IN_FLIGHT)))
        first_burst = opened
        for _ in range(3):
            await asyncio.gather(*(transaction() for _ in range(IN_FLIGHT)))
    finally:
        await engine.dispose()
    assert IN_FLIGHT <= POOL_SIZE
    assert first_burst == IN_FLIGHT
    assert opened == first_burst, f"{opened - first_burst} connections opened again"
