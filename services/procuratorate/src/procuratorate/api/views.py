"""Response models shared by the routes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from procuratorate.api import examples as x
from procuratorate.api.examples import examples
from procuratorate.db.personal import open_facts, open_name, open_notice
from procuratorate.db.repository import review_due
from procuratorate.unit_of_work import ProcuratorateUnitOfWork


class DeadlineView(BaseModel):
    """A statutory deadline, as every response that holds one shows it: the last day, and
    whether it was counted on a guessed calendar — a year it needs has no official calendar
    yet, so only weekends and the fixed-date holidays were known — with those years. A
    provisional day is counted again when the year is loaded (``PUT /ops/calendar/{year}``)."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(x.DEADLINE))

    due_on: date = Field(description="The last day (Asia/Shanghai).")
    provisional: bool = Field(description="Counted on a guessed calendar; recounted on loading.")
    missing_years: list[int] = Field(description="The years without an official calendar.")


def review_deadline_view(case: Any) -> DeadlineView | None:
    """The case's review period's last day; none while the period stops (returned for
    supplementary investigation)."""
    due = review_due(case)
    return DeadlineView.model_validate(due) if due is not None else None


class ClockView(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.CLOCK))

    kind: str
    subject: str | None
    trigger_on: date
    due_on: date
    closes_at: datetime
    provisional: bool
    missing_years: list[int]
    met_at: datetime | None
    outcome: str | None


class DefenderView(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.DEFENDER))

    kind: str
    name: str
    firm: str | None
    contact: str | None
    assignment_id: UUID | None
    retention_id: UUID | None
    reply_number: str | None = Field(
        None,
        description="For an appointed lawyer: the number of the center's reply that named them "
        "(函告, Measures Art. 4), e.g. 津河东援函〔2026〕3号.",
    )
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None


class NoticeView(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.NOTICE))

    notice_id: UUID
    suspect_id: UUID
    document_number: str
    sent_at: datetime
    status: str
    missing_items: list[str]
    supplement_detail: str | None
    letter: dict[str, Any]


class SuspectView(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.SUSPECT_VIEW))

    suspect_id: UUID
    name: str
    grounds: list[str]
    defense_status: str
    decision: str | None
    rights_notified_at: datetime | None
    self_defense_permitted_at: datetime | None
    current_defender: DefenderView | None
    defenders: list[DefenderView]
    clocks: list[ClockView]
    facts: dict[str, Any]


class CaseView(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.CASE_VIEW))

    case_id: UUID
    transfer_number: str
    transferring_agency: str
    procuratorate_unit: str
    district: str
    charges: list[str]
    pilot_district: bool
    received_at: datetime
    receipt_kind: str
    review_deadline: DeadlineView | None
    review_status: str
    extended: bool
    expedited: bool
    supplementary_investigations: int
    major_and_complex: bool
    social_impact: bool
    suspects: list[SuspectView]
    notices: list[NoticeView]
    case_clocks: list[ClockView]


def clock_view(row: Any) -> ClockView:
    return ClockView.model_validate(row, from_attributes=True)


async def case_view(
    uow: ProcuratorateUnitOfWork, case: Any, *, only: frozenset[UUID] | None = None
) -> CaseView:
    """The case as its unit's staff see it; with ``only``, as a defense lawyer does: those
    suspects and their notices, nothing of the co-suspects."""
    suspect_rows = await uow.cases.suspects_of(case.case_id)
    if only is not None:
        suspect_rows = [s for s in suspect_rows if s.suspect_id in only]
    clock_rows = await uow.cases.clocks_of([case.case_id])
    defender_rows = await uow.cases.defenders_of([s.suspect_id for s in suspect_rows])
    notice_rows = [
        n for n in await uow.cases.notices_of(case.case_id) if only is None or n.suspect_id in only
    ]
    return case_view_of(uow, case, suspect_rows, clock_rows, defender_rows, notice_rows)


def case_view_of(
    uow: ProcuratorateUnitOfWork,
    case: Any,
    suspect_rows: list[Any],
    clock_rows: list[Any],
    defender_rows: list[Any],
    notice_rows: list[Any],
) -> CaseView:
    """The case view of rows at hand: its suspects (in the transfer's order), its clocks (by
    trigger day and due day), their defenders (in the order they came) and letters (in the
    order sent), as :func:`case_view` reads them."""
    views = []
    for s in suspect_rows:
        mine = [
            DefenderView.model_validate(d, from_attributes=True)
            for d in defender_rows
            if d.suspect_id == s.suspect_id
        ]
        active = [d for d in mine if d.ended_at is None and d.kind != "duty_lawyer_only"]
        active = active or [d for d in mine if d.ended_at is None]
        views.append(
            SuspectView(
                suspect_id=s.suspect_id,
                name=open_name(uow.cipher, s),
                grounds=s.grounds,
                defense_status=s.defense_status,
                decision=s.decision,
                rights_notified_at=s.rights_notified_at,
                self_defense_permitted_at=s.self_defense_permitted_at,
                current_defender=active[-1] if active else None,
                defenders=mine,
                clocks=[clock_view(c) for c in clock_rows if c.suspect_id == s.suspect_id],
                facts=open_facts(uow.cipher, s),
            )
        )
    data = {name: getattr(case, name) for name in CaseView.model_fields if hasattr(case, name)}
    data["review_deadline"] = review_deadline_view(case)
    return CaseView(
        **data,
        suspects=views,
        notices=[NoticeView.model_validate(open_notice(uow.cipher, n)) for n in notice_rows],
        case_clocks=[clock_view(c) for c in clock_rows if c.suspect_id is None],
    )
