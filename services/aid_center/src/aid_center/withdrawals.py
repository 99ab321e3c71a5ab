"""The center's own check for applications deemed withdrawn (视为撤回申请, LAL Art. 43).

    申请人未按要求补充材料或者作出说明的，视为撤回申请。

The law deems the application withdrawn once the day given for the material passes without
it; nobody decides. Every replica runs this check on an interval, at its runtime's clock (a
test injects one): each pass takes the lapsed applications in batches, each batch one
transaction on rows locked ``FOR UPDATE SKIP LOCKED`` (``use_cases/applications.py:
withdraw_lapsed``), so replicas share the work and no application is withdrawn twice. A
cancelled or failed pass rolls back its batch, which the next pass takes again.
"""

from __future__ import annotations

import asyncio
import logging
from uuid import UUID

from aid_center.settings import AidCenterSettings
from aid_center.use_cases.applications import WITHDRAWAL_BATCH, withdraw_lapsed
from service_runtime.app import Runtime

log = logging.getLogger(__name__)


async def check_withdrawals(runtime: Runtime, *, batch: int = WITHDRAWAL_BATCH) -> list[UUID]:
    """One pass: every application lapsed at the runtime's clock, recorded withdrawn."""
    withdrawn: list[UUID] = []
    while True:
        async with runtime.unit_of_work() as uow:  # committed when the block ends
            done = await withdraw_lapsed(uow, limit=batch)
        withdrawn += done
        if len(done) < batch:
            return withdrawn


async def run_withdrawal_check(runtime: Runtime) -> None:
    """Forever: wait the interval, then one pass."""
    settings = runtime.settings
    assert isinstance(settings, AidCenterSettings)
    while True:
        await asyncio.sleep(settings.withdrawal_check_interval_seconds)
        try:
            withdrawn = await check_withdrawals(runtime)
            if withdrawn:
                log.info("%d applications deemed withdrawn (LAL Art. 43)", len(withdrawn))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the check for applications deemed withdrawn failed")
