"""Events other agencies' systems publish into the platform (topic `intake.case-transfers`).

The envelope's `producer` is the publishing system's id (e.g. `tj-psb-hedong`), and its `case_id`
is minted by that system; the procuratorate keeps it as the case's id.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from defense_schemas.base import BaseEvent
from defense_schemas.events.common import CaseParticulars, Officer
from defense_schemas.fields import Instant
from defense_schemas.topics import Producer
from defense_schemas.vocabulary import TransferKind


class AgencyEvent(BaseEvent):
    """An event published by a transferring agency's system (公安机关/监察机关 …)."""

    producer: ClassVar[Producer] = Producer.AGENCY


class CaseTransferred(AgencyEvent, CaseParticulars):
    """An agency transferred a case to a procuratorate for review for prosecution (移送审查起诉).
    The procuratorate turns it into `CaseReceived`."""

    event_type = "CaseTransferred"

    transfer_kind: TransferKind = Field(
        description="A first transfer, or a re-transfer after supplementary investigation."
    )
    transferred_at: Instant = Field(description="When the agency sent the transfer.")
    agency_officer: Officer | None = Field(
        default=None, description="The agency's officer in charge of the case, for questions."
    )
