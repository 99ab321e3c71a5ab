"""The audit chain's head, published outside the database (an anchor).

A keyed chain shows any rewritten, inserted or removed entry, but not a tail cut off: the
chain up to the cut still verifies. So every ``AUDIT_ANCHOR_INTERVAL_SECONDS`` each service
publishes its head (the newest entry's id and MAC) through its outbox, as
``<Service>AuditChainAnchored`` on its own topic, where the database's users cannot take it
back; ``verify --anchor ENTRIES:MAC`` then checks the chain still holds it. Nothing is
published while the head has not moved.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from defense_schemas.events.aid_center import AidCenterAuditChainAnchored
from defense_schemas.events.notifier import NotifierAuditChainAnchored
from defense_schemas.events.procuratorate import ProcuratorateAuditChainAnchored
from service_runtime.security.audit import chain_head

if TYPE_CHECKING:
    from service_runtime.app import Runtime

log = logging.getLogger(__name__)

ANCHOR_EVENTS: dict[str, Any] = {
    cls.producer.value: cls
    for cls in (
        ProcuratorateAuditChainAnchored,
        AidCenterAuditChainAnchored,
        NotifierAuditChainAnchored,
    )
}


def anchor_key(producer: str) -> uuid.UUID:
    """The Kafka key (envelope ``case_id``) of a service's anchors: one per service, so its
    anchors stay in order on one partition."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"defense-coverage:audit-chain:{producer}")


async def anchor_once(runtime: Runtime, last: tuple[int, str] | None) -> tuple[int, str] | None:
    """Publish the head if it moved since ``last``; returns the head now anchored."""
    event_class = ANCHOR_EVENTS[runtime.publisher.producer]
    async with runtime.sessions() as session, session.begin():
        head = await chain_head(session, runtime.definition.tables.audit_log)
        if head is None or head == last:
            return last
        await runtime.publisher.publish(
            session,
            event_class(entries=head[0], head_mac=head[1], anchored_at=datetime.now(UTC)),
            case_id=anchor_key(runtime.publisher.producer),
        )
    log.info("audit chain anchored: %s entries, head %s", head[0], head[1])
    return head


async def anchor_periodically(runtime: Runtime) -> None:
    last: tuple[int, str] | None = None
    while True:
        await asyncio.sleep(runtime.settings.audit_anchor_interval_seconds)
        try:
            last = await anchor_once(runtime, last)
        except Exception:
            # The next round tries again; an unanchored interval only widens what a cut could
            # hide, it loses nothing.
            log.exception("anchoring the audit chain failed")
