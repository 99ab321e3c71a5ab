"""A fake of the procuratorate's unit of work: the case repository in memory, the events
collected instead of written to the outbox, a fixed clock. The use cases run on it as they run
on the database (they reach storage only through ``uow.cases`` and ``uow.emit``), in
milliseconds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from defense_schemas import BaseEvent, Envelope
from defense_schemas.events.common import SuspectParticulars
from defense_schemas.events.procuratorate import LawyerRefusalRuled, ReappointmentRequested
from defense_schemas.vocabulary import (
    ClockKind,
    ClockOutcome,
    DefenseStatus,
    Ground,
    ReappointmentReason,
)
from legal_calendar import Deadline, LegalCalendar, Period, load_bundled_calendar
from procuratorate.db.repository import (
    LETTER_CLOCKS,
    DueDay,
    EarlierReceipts,
    clock_row,
    defense_from,
    review_values,
)
from procuratorate.domain.defense_path import SuspectDefense
from procuratorate.domain.statuses import OPEN_NOTICE_STATUSES, ReviewStatus
from procuratorate.settings import ProcuratorateSettings
from service_runtime.errors import NotFound

NOW = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
CALENDAR = load_bundled_calendar()


@dataclass
class Emitted:
    event: BaseEvent
    case_id: UUID
    suspect_id: UUID | None


class FakeCases:
    """The repository's methods over dictionaries of rows (``SimpleNamespace``)."""

    def __init__(self, calendar: LegalCalendar, emitted: list[Emitted]) -> None:
        self.calendar = calendar
        self.cases: dict[UUID, SimpleNamespace] = {}
        self.suspects: dict[UUID, SimpleNamespace] = {}
        self.facts_of: dict[UUID, SuspectParticulars] = {}
        self.defenders: list[SimpleNamespace] = []
        self.clocks: list[SimpleNamespace] = []
        self.notices: dict[UUID, SimpleNamespace] = {}
        self.discoveries: list[tuple[UUID, Ground, datetime]] = []
        self.counters: dict[tuple[str, int], int] = {}
        self.transfers: dict[tuple[str, str, str], UUID] = {}
        self.timeline: list[tuple[Envelope, UUID | None]] = []
        """Consumed events put on the case's timeline (the unit of work's list)."""
        self.decisions: list[SimpleNamespace] = []
        self.file_reviews: dict[UUID, SimpleNamespace] = {}
        self.opinions: list[SimpleNamespace] = []
        self.answered_requests: set[UUID] = set()
        """Reappointment requests the center answered (LawyerReplaced)."""
        self._emitted = emitted

    # -- setting up a case

    def add_case(self, **values: Any) -> SimpleNamespace:
        row = SimpleNamespace(
            **{
                "case_id": uuid.uuid4(),
                "district": "河东区",
                "procuratorate_unit": "天津市河东区人民检察院",
                "transferring_agency": "天津市公安局河东分局",
                "transfer_number": "津公河(刑)移诉字〔2026〕1号",
                "prosecutor_name": "李检察官",
                "prosecutor_contact": "022-87654321",
                "received_at": datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
                "review_status": ReviewStatus.UNDER_REVIEW.value,
                "review_deadline": date(2026, 4, 2),
                "review_deadline_provisional": False,
                "review_deadline_missing_years": [],
                "extended": False,
                "expedited": False,
                "supplementary_investigations": 0,
                "major_and_complex": False,
                "social_impact": False,
                "pilot_district": True,
                **values,
            }
        )
        self.cases[row.case_id] = row
        return row

    def add_suspect(
        self, case: SimpleNamespace, facts: SuspectParticulars, *, grounds: tuple[Ground, ...]
    ) -> SimpleNamespace:
        row = SimpleNamespace(
            suspect_id=facts.suspect_id,
            case_id=case.case_id,
            position=len([s for s in self.suspects.values() if s.case_id == case.case_id]),
            name=facts.name,
            grounds=[g.value for g in grounds],
            defense_status=DefenseStatus.NONE.value,
            decision=None,
            decided_at=None,
            rights_notified_at=NOW,
            self_defense_permitted_at=None,
            aid_terminated=False,
        )
        self.suspects[row.suspect_id] = row
        self.facts_of[row.suspect_id] = facts
        return row

    def appoint(self, suspect_id: UUID, assignment_id: UUID) -> None:
        self.defenders.append(
            self._defender(
                suspect_id,
                kind=DefenseStatus.APPOINTED_ON_NOTICE.value,
                name="王律师",
                assignment_id=assignment_id,
                started_at=NOW,
            )
        )
        self.suspects[suspect_id].defense_status = DefenseStatus.APPOINTED_ON_NOTICE.value

    # -- the repository: receipts

    async def lock_transfer(self, unit: str, agency: str, transfer_number: str) -> None:
        pass  # one transaction at a time here

    async def earlier_receipts(
        self,
        unit: str,
        agency: str,
        transfer_number: str,
        case_id: UUID,
        suspect_ids: list[UUID],
    ) -> EarlierReceipts:
        existing = self.cases.get(case_id)
        owner = {
            sid: self.cases[row.case_id].procuratorate_unit
            for sid, row in self.suspects.items()
            if sid in suspect_ids
        }
        return EarlierReceipts(
            known=self.transfers.get((unit, agency, transfer_number)),
            case_unit=existing.procuratorate_unit if existing is not None else None,
            taken_here=[sid for sid, of in owner.items() if of == unit],
            taken_elsewhere=[sid for sid, of in owner.items() if of != unit],
        )

    async def add_received_case(self, **values: Any) -> Any:
        defaults = {"extended": False, "expedited": False, "supplementary_investigations": 0}
        row = SimpleNamespace(**{**defaults, **values})
        self.cases[row.case_id] = row
        return row

    async def add_transfer(self, **values: Any) -> None:
        key = (
            values["procuratorate_unit"],
            values["transferring_agency"],
            values["transfer_number"],
        )
        self.transfers.setdefault(key, values["case_id"])

    async def add_suspects(self, case_id: UUID, people: Any) -> list[Any]:
        case = self.cases[case_id]
        rows = []
        for facts, grounds in people:
            row = self.add_suspect(case, facts, grounds=tuple(grounds))
            row.rights_notified_at = None
            rows.append(row)
        return rows

    # -- the repository: the case and its suspects

    def hand_over_locked(self, row: Any) -> None:
        pass

    async def case(self, case_id: UUID, *, lock: bool = False) -> Any:
        if case_id not in self.cases:
            raise NotFound("case", case_id)
        return self.cases[case_id]

    async def update_case(self, case_id: UUID, **values: Any) -> None:
        for key, value in values.items():
            setattr(self.cases[case_id], key, value)

    async def set_review_deadline(self, case_id: UUID, due: Deadline) -> None:
        await self.update_case(case_id, **review_values(due))
        for c in self.clocks:
            if c.case_id == case_id and c.kind == ClockKind.REVIEW_PERIOD.value and not c.outcome:
                c.due_on, c.closes_at = due.due_on, due.closes_at
                c.provisional, c.missing_years = due.provisional, list(due.missing_years)

    async def provisional_review_periods(self) -> list[Any]:
        return [
            row
            for row in sorted(self.cases.values(), key=lambda row: str(row.case_id))
            if row.review_status == ReviewStatus.UNDER_REVIEW.value
            and row.review_deadline_provisional
        ]

    async def suspect(self, case_id: UUID, suspect_id: UUID, *, lock: bool = False) -> Any:
        row = self.suspects.get(suspect_id)
        if row is None or row.case_id != case_id:
            raise NotFound("suspect", suspect_id)
        return row

    async def suspects_of(self, case_id: UUID) -> list[Any]:
        rows = [row for row in self.suspects.values() if row.case_id == case_id]
        return sorted(rows, key=lambda row: row.position)

    def facts(self, suspect: Any) -> SuspectParticulars:
        return self.facts_of[suspect.suspect_id]

    async def store_facts(self, suspect_id: UUID, facts: SuspectParticulars) -> None:
        self.facts_of[suspect_id] = facts
        self.suspects[suspect_id].name = facts.name

    async def record_discoveries(self, suspect_id: UUID, grounds: Any, *, at: datetime) -> None:
        self.discoveries.extend((suspect_id, ground, at) for ground in grounds)

    async def update_suspect(self, suspect_id: UUID, **values: Any) -> None:
        for key, value in values.items():
            setattr(self.suspects[suspect_id], key, value)

    async def mark_informed(self, suspect_id: UUID, at: datetime) -> None:
        row = self.suspects[suspect_id]
        row.rights_notified_at = row.rights_notified_at or at

    async def defense(self, case: Any, suspect: Any) -> SuspectDefense:
        sid = suspect.suspect_id
        return defense_from(
            case,
            suspect,
            active=await self.active_defenders(sid),
            open_clocks=[
                (c.kind, c.subject)
                for c in self.clocks
                if c.suspect_id == sid and c.outcome is None and c.kind in LETTER_CLOCKS
            ],
            letter_in_flight=any(
                n.suspect_id == sid and n.status in OPEN_NOTICE_STATUSES
                for n in self.notices.values()
            )
            or any(
                isinstance(e.event, ReappointmentRequested)
                and e.suspect_id == sid
                and e.event.reason is ReappointmentReason.REFUSAL_ALLOWED_NO_COUNSEL_RETAINED
                and e.event.request_id not in self.answered_requests
                for e in self._emitted
            ),
            counsel_dismissed=any(
                d.suspect_id == sid
                and d.kind == DefenseStatus.RETAINED.value
                and d.end_reason == "dismissed"
                for d in self.defenders
            ),
            ended_for={
                d.end_reason
                for d in self.defenders
                if d.suspect_id == sid and d.end_reason is not None
            },
            assignment_clock_open=bool(self.open_clocks(sid, ClockKind.ASSIGNMENT)),
        )

    async def active_defenders(self, suspect_id: UUID) -> list[Any]:
        return [d for d in self.defenders if d.suspect_id == suspect_id and d.ended_at is None]

    def _defender(self, suspect_id: UUID, **values: Any) -> SimpleNamespace:
        base = dict.fromkeys(
            (
                "name",
                "firm",
                "contact",
                "lawyer_id",
                "assignment_id",
                "retention_id",
                "reply_number",
            ),
            None,
        )
        base.update(retained_by=None, ended_at=None, end_reason=None)
        return SimpleNamespace(**{**base, "suspect_id": suspect_id, **values})

    async def add_defender(self, suspect_id: UUID, **values: Any) -> None:
        self.defenders.append(self._defender(suspect_id, **values))

    async def defender_kind(self, assignment_id: UUID) -> str | None:
        kinds = [d.kind for d in self.defenders if d.assignment_id == assignment_id]
        return kinds[0] if kinds else None

    async def end_defenders(
        self,
        suspect_id: UUID,
        *,
        at: datetime,
        reason: str,
        assignment_ids: Any = (),
        retention_id: UUID | None = None,
    ) -> None:
        ids = set(assignment_ids)
        for d in await self.active_defenders(suspect_id):
            if (retention_id is not None and d.retention_id == retention_id) or (
                retention_id is None and d.assignment_id in ids
            ):
                d.ended_at, d.end_reason = at, reason

    async def next_document_number(self, issuing_unit: str, year: int) -> int:
        key = (issuing_unit, year)
        self.counters[key] = self.counters.get(key, 0) + 1
        return self.counters[key]

    async def add_notice(self, notice_id: UUID, letter: dict[str, Any], **values: Any) -> None:
        self.notices[notice_id] = SimpleNamespace(notice_id=notice_id, letter=letter, **values)

    async def notice(self, case_id: UUID, notice_id: UUID) -> Any:
        row = self.notices.get(notice_id)
        if row is None or row.case_id != case_id:
            raise NotFound("notice", notice_id)
        return row

    async def update_notice(self, notice_id: UUID, **values: Any) -> None:
        for key, value in values.items():
            setattr(self.notices[notice_id], key, value)

    async def earlier_materials(self, suspect_id: UUID) -> tuple[str, ...]:
        mine = [n for n in self.notices.values() if n.suspect_id == suspect_id]
        return tuple(max(mine, key=lambda n: n.sent_at).materials) if mine else ()

    async def refusal_ruling(self, suspect_id: UUID, assignment_id: UUID) -> str | None:
        rulings = [
            e.event
            for e in self._emitted
            if isinstance(e.event, LawyerRefusalRuled)
            and e.suspect_id == suspect_id
            and e.event.assignment_id == assignment_id
        ]
        return rulings[-1].outcome.value if rulings else None

    async def start_clock(
        self,
        *,
        case_id: UUID,
        suspect_id: UUID | None,
        kind: ClockKind,
        started_at: datetime,
        period: Period,
        subject: str | None = None,
        in_custody: bool = False,
    ) -> Deadline:
        row, due = clock_row(
            self.calendar,
            case_id=case_id,
            suspect_id=suspect_id,
            kind=kind,
            started_at=started_at,
            period=period,
            subject=subject,
            in_custody=in_custody,
        )
        self.clocks.append(SimpleNamespace(**row, outcome=None, met_at=None))
        return due

    async def settle_clocks(
        self,
        *,
        kind: ClockKind,
        at: datetime,
        case_id: UUID | None = None,
        suspect_id: UUID | None = None,
        subject: str | None = None,
        cancel: bool = False,
    ) -> list[str]:
        outcomes = []
        for c in self.clocks:
            if c.kind != kind.value or c.outcome is not None:
                continue
            if any(
                wanted is not None and actual != wanted
                for wanted, actual in (
                    (case_id, c.case_id),
                    (suspect_id, c.suspect_id),
                    (subject, c.subject),
                )
            ):
                continue
            in_time, late = (
                (ClockOutcome.CANCELLED, ClockOutcome.LAPSED)
                if cancel
                else (ClockOutcome.MET, ClockOutcome.MET_LATE)
            )
            c.outcome = (in_time if c.closes_at > at else late).value
            c.met_at = at
            outcomes.append(c.outcome)
        return outcomes

    async def clock(
        self, kind: ClockKind, *, suspect_id: UUID | None = None, subject: str | None = None
    ) -> Any | None:
        mine = [
            c
            for c in self.clocks
            if c.kind == kind.value
            and (suspect_id is None or c.suspect_id == suspect_id)
            and (subject is None or c.subject == subject)
        ]
        return min(mine, key=lambda c: c.trigger_on) if mine else None

    async def add_clocks(self, rows: list[dict[str, Any]]) -> list[Any]:
        added = [SimpleNamespace(**{"outcome": None, "met_at": None, **row}) for row in rows]
        self.clocks.extend(added)
        return sorted(added, key=lambda c: (c.trigger_on, c.due_on))

    # -- procedural decisions and the lawyer's work

    async def add_procedural_decision(self, **values: Any) -> None:
        self.decisions.append(SimpleNamespace(**values))

    async def last_decided_at(self, case_id: UUID) -> datetime | None:
        times = [d.decided_at for d in self.decisions if d.case_id == case_id]
        return max(times) if times else None

    async def add_file_review(self, **values: Any) -> None:
        base = dict.fromkeys(
            ("scheduled_at", "review_starts_at", "location", "delay_explanation"), None
        )
        self.file_reviews[values["request_id"]] = SimpleNamespace(**{**base, **values})

    async def file_review(self, case_id: UUID, request_id: UUID) -> Any:
        row = self.file_reviews.get(request_id)
        if row is None or row.case_id != case_id:
            raise NotFound("file review request", request_id)
        return row

    async def update_file_review(self, request_id: UUID, **values: Any) -> None:
        for key, value in values.items():
            setattr(self.file_reviews[request_id], key, value)

    async def file_reviews_of(self, case_id: UUID, page: Any = None) -> list[dict[str, Any]]:
        rows = sorted(
            (r for r in self.file_reviews.values() if r.case_id == case_id),
            key=lambda r: r.requested_at,
        )
        result = []
        for row in rows:
            clock = await self.clock(ClockKind.FILE_REVIEW, subject=str(row.request_id))
            assert clock is not None
            due = DueDay(clock.due_on, tuple(clock.missing_years))
            result.append({**vars(row), "latest_review_date": due})
        if page is not None:
            return list(page.slice(result, key=lambda r: (r["requested_at"], r["request_id"])))
        return result

    async def add_written_opinion(self, **values: Any) -> None:
        self.opinions.append(SimpleNamespace(**values))

    # -- what the case view and the ledger show

    async def clocks_of(self, case_ids: Any) -> list[Any]:
        wanted = set(case_ids)
        mine = [c for c in self.clocks if c.case_id in wanted]
        return sorted(mine, key=lambda c: (c.trigger_on, c.due_on))

    async def defenders_of(self, suspect_ids: Any) -> list[Any]:
        wanted = set(suspect_ids)
        return [d for d in self.defenders if d.suspect_id in wanted]

    async def notices_of(self, case_id: UUID) -> list[Any]:
        mine = [n for n in self.notices.values() if n.case_id == case_id]
        return sorted(mine, key=lambda n: n.sent_at)

    async def timeline_of(self, case_id: UUID, page: Any = None) -> list[Any]:
        assert page is None  # paged by the real repository's keyset SQL only
        return [envelope for envelope, _ in self.timeline if envelope.case_id == case_id]

    async def terminations_of(self, suspect_ids: Any) -> list[tuple[UUID, str]]:
        wanted = set(suspect_ids)
        return [
            (suspect_id, str(envelope.payload["reason"]))
            for envelope, suspect_id in self.timeline
            if envelope.event_type == "AidTerminated" and suspect_id in wanted
        ]

    async def ledger_rows(
        self,
        *,
        procuratorate_unit: str | None = None,
        district: str | None = None,
        status: DefenseStatus | None = None,
        received_from: datetime | None = None,
        received_before: datetime | None = None,
        overdue: tuple[bool, datetime] | None = None,
        page: Any = None,
    ) -> list[Any]:
        # Paging is the real repository's (keyset SQL); the use cases read whole ledgers here.
        assert page is None
        rows = []
        for suspect in self.suspects.values():
            case = self.cases[suspect.case_id]
            if (
                (procuratorate_unit is not None and case.procuratorate_unit != procuratorate_unit)
                or (district is not None and case.district != district)
                or (status is not None and suspect.defense_status != status.value)
                or (received_from is not None and case.received_at < received_from)
                or (received_before is not None and case.received_at >= received_before)
                or (overdue is not None and self._overdue(suspect, *overdue) != overdue[0])
            ):
                continue
            rows.append(SimpleNamespace(**{**vars(case), **vars(suspect)}))
        return sorted(rows, key=lambda r: (r.received_at, str(r.case_id), r.position))

    def suspect_name(self, row: Any) -> str:
        return str(row.name)

    def _overdue(self, suspect: Any, _wanted: bool, now: datetime) -> bool:
        return any(
            c.met_at is None and c.outcome != "cancelled" and c.closes_at <= now
            for c in self.clocks
            if c.suspect_id == suspect.suspect_id
            or (c.suspect_id is None and c.case_id == suspect.case_id)
        )

    # -- the calendar recount

    async def lock_recount(self) -> None:
        pass

    async def provisional_clocks(self, kinds: Any) -> list[Any]:
        wanted = {kind.value for kind in kinds}
        mine = [c for c in self.clocks if c.outcome is None and c.provisional and c.kind in wanted]
        return sorted(mine, key=lambda c: str(c.clock_id))

    async def recount_clock(self, clock_id: UUID, due: Deadline) -> None:
        for c in self.clocks:
            if c.clock_id == clock_id:
                c.due_on, c.closes_at = due.due_on, due.closes_at
                c.provisional, c.missing_years = due.provisional, list(due.missing_years)

    def open_clocks(self, suspect_id: UUID, kind: ClockKind) -> list[Any]:
        return [
            c
            for c in self.clocks
            if c.suspect_id == suspect_id and c.kind == kind.value and c.outcome is None
        ]


@dataclass
class FakeUnitOfWork:
    """What the use cases read of ``ProcuratorateUnitOfWork``, without a database."""

    settings: ProcuratorateSettings = field(default_factory=ProcuratorateSettings)
    calendar: LegalCalendar = CALENDAR
    now_is: datetime = NOW
    emitted: list[Emitted] = field(default_factory=list)
    timeline: list[tuple[Envelope, UUID | None]] = field(default_factory=list)
    """Consumed events put on the case's timeline (``record_on_timeline``)."""

    def __post_init__(self) -> None:
        self.cases = FakeCases(self.calendar, self.emitted)
        self.cases.timeline = self.timeline

    def now(self) -> datetime:
        return self.now_is

    def clock(self) -> datetime:
        return self.now_is

    async def emit(
        self,
        event: BaseEvent,
        *,
        case_id: UUID,
        suspect_id: UUID | None = None,
        caused_by: Envelope | None = None,
    ) -> Envelope:
        self.emitted.append(Emitted(event, case_id, suspect_id))
        return Envelope.for_event(event, case_id=case_id, producer="procuratorate")

    def record_on_timeline(self, envelope: Envelope, suspect_id: UUID | None) -> None:
        self.timeline.append((envelope, suspect_id))
        answered = envelope.payload.get("reappointment_request_id")
        if envelope.event_type == "LawyerReplaced" and answered is not None:
            self.cases.answered_requests.add(UUID(str(answered)))

    def events(self, kind: type[BaseEvent]) -> list[Any]:
        return [e.event for e in self.emitted if isinstance(e.event, kind)]
