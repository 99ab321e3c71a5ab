"""A fake of the aid center's unit of work: the repository in memory, the events collected
instead of written to the outbox, a fixed clock. The appointment use cases run on it as they run
on the database (they reach storage only through ``uow.aid`` and ``uow.publish``), in
milliseconds. The fake answers the engine's questions (the need, the roster with its caseloads)
from the same rows the use cases write, so a lawyer's place freed or taken shows at once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from aid_center.db.repository import AidRequest, Roster
from aid_center.domain.assignment import AssignmentNeed, Candidate
from aid_center.domain.status import REFUSAL_ALLOWED, AssignmentStatus, NoticeStatus
from aid_center.settings import AidCenterSettings
from defense_schemas import BaseEvent, Envelope
from defense_schemas.vocabulary import AppointmentBasis, Gender
from legal_calendar import Deadline

NOW = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


class FakeAid:
    """``AidRepository``'s methods over dictionaries of rows."""

    def __init__(self) -> None:
        self.firms: dict[UUID, str] = {}
        self.lawyers: dict[UUID, dict[str, Any]] = {}
        self.notices: dict[UUID, dict[str, Any]] = {}
        self.assignments: dict[UUID, dict[str, Any]] = {}
        self.locked_cases: list[UUID] = []
        self.held_lawyers: list[UUID] = []

    # -- setting up

    def add_lawyer(self, firm: str, name: str, *, places: int = 5, years: int = 5) -> UUID:
        firm_id = next((k for k, v in self.firms.items() if v == firm), None) or uuid.uuid4()
        self.firms[firm_id] = firm
        lawyer_id = uuid.uuid4()
        self.lawyers[lawyer_id] = {
            "lawyer_id": lawyer_id,
            "name": name,
            "license_number": f"1120{len(self.lawyers):09d}",
            "firm_id": firm_id,
            "max_concurrent_cases": places,
            "criminal_practice_years": years,
        }
        return lawyer_id

    def add_notice(self, case_id: UUID, **values: Any) -> dict[str, Any]:
        notice = {
            "notice_id": uuid.uuid4(),
            "case_id": case_id,
            "suspect_id": uuid.uuid4(),
            "status": NoticeStatus.ACCEPTED,
            "grounds": [],
            "wishes": None,
            "district": None,
            **values,
        }
        self.notices[notice["notice_id"]] = notice
        return notice

    # -- the repository

    async def lock_case(self, case_id: UUID) -> None:
        self.locked_cases.append(case_id)

    async def load_request(
        self, *, notice_id: UUID | None, application_id: UUID | None
    ) -> AidRequest:
        assert notice_id is not None, "the fake holds notices only"
        return AidRequest(AppointmentBasis.NOTICE, notice_id, dict(self.notices[notice_id]))

    async def find_request(
        self, *, notice_id: UUID | None, application_id: UUID | None
    ) -> AidRequest | None:
        if notice_id not in self.notices:
            return None
        return await self.load_request(notice_id=notice_id, application_id=application_id)

    async def mark_unassignable(
        self, request: AidRequest, *, failure: str, decision: dict[str, Any], at: datetime
    ) -> None:
        self.notices[request.request_id] |= {
            "status": NoticeStatus.UNASSIGNABLE,
            "unassignable_reason": failure,
            "last_decision": decision,
        }

    async def record_assignment(self, request: AidRequest, assignment: dict[str, Any]) -> None:
        self.assignments[assignment["assignment_id"]] = {
            **assignment,
            "status": AssignmentStatus.ACTIVE,
            "ended_at": None,
            "end_reason": None,
            "end_detail": None,
        }
        self.notices[request.request_id] |= {"status": NoticeStatus.ASSIGNED}

    async def await_reappointment(
        self, *, notice_id: UUID | None, application_id: UUID | None, at: datetime
    ) -> None:
        assert notice_id is not None, "the fake holds notices only"
        notice = self.notices[notice_id]
        if notice["status"] == NoticeStatus.ASSIGNED:
            notice["status"] = NoticeStatus.AWAITING_REAPPOINTMENT

    async def restart_assignment_period(
        self, notice_id: UUID, *, started_at: datetime, due: Deadline
    ) -> None:
        self.notices[notice_id] |= {
            "assignment_started_at": started_at,
            "assignment_due_on": due.due_on,
            "assignment_due_provisional": due.provisional,
        }

    async def close_requests(
        self, suspect_id: UUID, *, reason: str, detail: str | None, at: datetime
    ) -> None:
        for notice in self.notices.values():
            if notice["suspect_id"] == suspect_id and notice["status"] != NoticeStatus.CLOSED:
                notice |= {
                    "status": NoticeStatus.CLOSED,
                    "closed_reason": reason,
                    "closed_detail": detail,
                    "closed_at": at,
                }

    def _active_cases(self, lawyer_id: UUID) -> int:
        return sum(
            1
            for a in self.assignments.values()
            if a["lawyer_id"] == lawyer_id and a["status"] == AssignmentStatus.ACTIVE
        )

    async def need_and_roster(
        self,
        request: dict[str, Any],
        *,
        at: datetime,
        recent_window_days: int,
        excluded_lawyer_ids: frozenset[UUID] = frozenset(),
    ) -> tuple[AssignmentNeed, Roster]:
        co_suspect_firms: dict[UUID, tuple[UUID, ...]] = {}
        refused: set[UUID] = set()
        for a in self.assignments.values():
            if (
                a["case_id"] == request["case_id"]
                and a["status"] == AssignmentStatus.ACTIVE
                and a["suspect_id"] != request["suspect_id"]
            ):
                co_suspect_firms[a["firm_id"]] = (
                    *co_suspect_firms.get(a["firm_id"], ()),
                    a["suspect_id"],
                )
            if a["suspect_id"] == request["suspect_id"] and a["end_reason"] == REFUSAL_ALLOWED:
                refused.add(a["lawyer_id"])
        need = AssignmentNeed(
            suspect_id=request["suspect_id"],
            minor="minor" in request["grounds"],
            possible_life_or_death=False,
            district=request["district"],
            co_suspect_firms=co_suspect_firms,
            excluded_lawyer_ids=excluded_lawyer_ids | frozenset(refused),
        )
        candidates = [
            Candidate(
                lawyer_id=row["lawyer_id"],
                name=row["name"],
                license_number=row["license_number"],
                firm_id=row["firm_id"],
                gender=Gender.FEMALE,
                criminal_practice_years=row["criminal_practice_years"],
                max_concurrent_cases=row["max_concurrent_cases"],
                active_cases=self._active_cases(row["lawyer_id"]),
            )
            for row in self.lawyers.values()
        ]
        rows = {
            row["lawyer_id"]: SimpleNamespace(
                **row, firm_name=self.firms[row["firm_id"]], contact="022-00000000"
            )
            for row in self.lawyers.values()
        }
        return need, Roster(candidates=candidates, rows=rows)

    async def hold_lawyer(self, lawyer_id: UUID) -> int | None:
        self.held_lawyers.append(lawyer_id)
        row = self.lawyers.get(lawyer_id)
        return row["max_concurrent_cases"] if row else None

    async def has_place(self, chosen: Candidate) -> bool:
        maximum = await self.hold_lawyer(chosen.lawyer_id)
        return maximum is not None and self._active_cases(chosen.lawyer_id) < maximum

    async def assignment(self, assignment_id: UUID) -> dict[str, Any] | None:
        found = self.assignments.get(assignment_id)
        return dict(found) if found else None

    async def active_assignment(
        self, *, suspect_id: UUID, assignment_id: UUID | None = None
    ) -> dict[str, Any] | None:
        for a in self.assignments.values():
            if (
                a["suspect_id"] == suspect_id
                and a["status"] == AssignmentStatus.ACTIVE
                and assignment_id in (None, a["assignment_id"])
            ):
                return dict(a)
        return None

    async def refused_awaiting_reappointment(
        self, *, suspect_id: UUID, assignment_id: UUID
    ) -> dict[str, Any] | None:
        found = self.assignments.get(assignment_id)
        if (
            found is None
            or found["suspect_id"] != suspect_id
            or found["status"] != AssignmentStatus.ENDED
            or found["end_reason"] != REFUSAL_ALLOWED
        ):
            return None
        if any(
            a["suspect_id"] == suspect_id
            and (
                a["previous_assignment_id"] == assignment_id
                or a["status"] == AssignmentStatus.ACTIVE
            )
            for a in self.assignments.values()
        ):
            return None
        return dict(found)

    async def end_assignment(
        self, assignment_id: UUID, *, reason: str, detail: str | None, at: datetime
    ) -> None:
        self.assignments[assignment_id] |= {
            "status": AssignmentStatus.ENDED,
            "ended_at": at,
            "end_reason": reason,
            "end_detail": detail,
        }


@dataclass
class Published:
    event: BaseEvent
    case_id: UUID


@dataclass
class FakeUnitOfWork:
    """What the use cases read of ``AidCenterUnitOfWork``, without a database."""

    settings: AidCenterSettings = field(default_factory=AidCenterSettings)
    now_is: datetime = NOW
    published: list[Published] = field(default_factory=list)
    aid: FakeAid = field(default_factory=FakeAid)

    def now(self) -> datetime:
        return self.now_is

    async def publish(
        self, event: BaseEvent, *, case_id: Any, caused_by: Envelope | None = None
    ) -> Envelope:
        self.published.append(Published(event, case_id))
        return Envelope.for_event(event, case_id=case_id, producer="aid-center")

    def events(self, kind: type[BaseEvent]) -> list[Any]:
        return [p.event for p in self.published if isinstance(p.event, kind)]
