"""A fake of the aid center's unit of work: the repository in memory, the events collected
instead of written to the outbox, a fixed clock, the bundled calendar, a real field cipher. The
intake and appointment use cases run on it as they run on the database (they reach storage only
through ``uow.aid`` and ``uow.publish``), in milliseconds. The fake answers the engine's
questions (the need, the roster with its caseloads) from the same rows the use cases write, with
the repository's own pure translation (``_need_of``, ``_candidate``), so a lawyer's place freed
or taken, a leave, or a new ground shows at once.

Its lists page like the repository's: the same documented order (ending with a unique column)
and the same cursors, cut by ``PageRequest.slice`` from the sort keys the real query orders by.
:func:`page_request` and :func:`next_page` give a use case the pages a client would walk."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from aid_center.db.repository import AidRequest, Roster, _candidate, _need_of
from aid_center.domain.assignment import AssignmentNeed, Candidate
from aid_center.domain.commands import AssignmentsQuery
from aid_center.domain.status import (
    FINISHED,
    REFUSAL_ALLOWED,
    AssignmentStatus,
    DutyRequestStatus,
    NoticeStatus,
)
from aid_center.settings import AidCenterSettings
from defense_schemas import BaseEvent, Envelope
from defense_schemas.vocabulary import AppointmentBasis, SentenceBand
from legal_calendar import Deadline, LegalCalendar, legal_date, load_bundled_calendar
from service_runtime.paging import CursorSigner, PageRequest
from service_runtime.security.fields import FieldCipher, generate_key

NOW = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
CIPHER = FieldCipher({"k1": generate_key()}, "k1", generate_key())
SIGNER = CursorSigner(b"unit-test cursor key")


def page_request(path: str, limit: int, cursor: str | None = None) -> PageRequest:
    """The page a client asks for at ``path``: the first, or the one after ``cursor`` (decoded
    and checked as the route's dependency does)."""
    after = SIGNER.decode(path, cursor) if cursor is not None else None
    # No HTTP exchange: a use case never touches them (only ``Page``'s Link header does).
    return PageRequest(
        limit=limit,
        after=after,
        path=path,
        signer=SIGNER,
        request=None,
        response=None,  # type: ignore[arg-type]
    )


def next_page(page: PageRequest) -> PageRequest | None:
    """The page after ``page`` (already answered), or None when it was the last."""
    if page.next_cursor is None:
        return None
    return page_request(page.path, page.limit, page.next_cursor)


def _paged(rows: list[dict[str, Any]], key: Any, page: PageRequest | None) -> list[dict[str, Any]]:
    """``rows`` in the list's order, one page of them when ``page`` is given."""
    if page is None:
        return sorted(rows, key=key)
    return page.slice(rows, key=key)


class FakeAid:
    """``AidRepository``'s methods over dictionaries of rows."""

    def __init__(self) -> None:
        self.firms: dict[UUID, str] = {}
        self.lawyers: dict[UUID, dict[str, Any]] = {}
        self.notices: dict[UUID, dict[str, Any]] = {}
        self.applications: dict[UUID, dict[str, Any]] = {}
        self.termination_reports: dict[UUID, dict[str, Any]] = {}
        self.cases: dict[UUID, dict[str, Any]] = {}
        self.suspects: dict[UUID, dict[str, Any]] = {}
        self.assignments: dict[UUID, dict[str, Any]] = {}
        self.leaves: dict[UUID, dict[str, Any]] = {}
        self.previous_stage: dict[UUID, UUID] = {}
        self.locked_cases: list[UUID] = []
        self.document_counters: dict[tuple[str, int], int] = {}
        self.held_lawyers: list[UUID] = []
        self.firm_rows: dict[UUID, dict[str, Any]] = {}
        self.previous_stage_notes: dict[UUID, str | None] = {}
        self.activities: dict[UUID, dict[str, Any]] = {}
        self.quality_reviews: dict[UUID, dict[str, Any]] = {}
        self.subsidy_standards: dict[UUID, dict[str, Any]] = {}
        self.claims: dict[UUID, dict[str, Any]] = {}
        self.duty_requests: dict[UUID, dict[str, Any]] = {}
        self.stations: dict[UUID, dict[str, Any]] = {}
        self.shift_rows: dict[UUID, dict[str, Any]] = {}

    # -- setting up

    def add_lawyer(
        self,
        firm: str,
        name: str,
        *,
        places: int = 5,
        years: int = 5,
        juvenile: bool = False,
    ) -> UUID:
        firm_id = next((k for k, v in self.firms.items() if v == firm), None) or uuid.uuid4()
        self.firms[firm_id] = firm
        self.firm_rows.setdefault(
            firm_id,
            {
                "firm_id": firm_id,
                "name": firm,
                "district": None,
                "contact": "022-00000000",
                "created_at": NOW,
            },
        )
        lawyer_id = uuid.uuid4()
        self.lawyers[lawyer_id] = {
            "lawyer_id": lawyer_id,
            "name": name,
            "license_number": f"1120{len(self.lawyers):09d}",
            "firm_id": firm_id,
            "gender": "female",
            "max_concurrent_cases": places,
            "criminal_practice_years": years,
            "specialties": ["juvenile"] if juvenile else [],
            "languages": [],
            "districts": [],
            "active": True,
            "contact": "022-00000000",
            "created_at": NOW,
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
            "addressee_center": "天津市河东区法律援助中心",
            "received_at": NOW,
            **values,
        }
        self.notices[notice["notice_id"]] = notice
        return notice

    # -- the repository

    async def lock_case(self, case_id: UUID) -> None:
        self.locked_cases.append(case_id)

    def _requests(self, basis: AppointmentBasis) -> dict[UUID, dict[str, Any]]:
        return self.notices if basis is AppointmentBasis.NOTICE else self.applications

    def request_row(self, notice_id: UUID | None, application_id: UUID | None) -> dict[str, Any]:
        if notice_id is not None:
            return self.notices[notice_id]
        assert application_id is not None
        return self.applications[application_id]

    async def load_request(
        self, *, notice_id: UUID | None, application_id: UUID | None
    ) -> AidRequest:
        row = dict(self.request_row(notice_id, application_id))
        return AidRequest.of(row, notice_id=notice_id, application_id=application_id)

    async def find_request(
        self, *, notice_id: UUID | None, application_id: UUID | None
    ) -> AidRequest | None:
        if notice_id not in self.notices and application_id not in self.applications:
            return None
        return await self.load_request(notice_id=notice_id, application_id=application_id)

    async def mark_unassignable(
        self, request: AidRequest, *, failure: str, decision: dict[str, Any], at: datetime
    ) -> None:
        self._requests(request.basis)[request.request_id] |= {
            "status": NoticeStatus.UNASSIGNABLE,
            "unassignable_reason": failure,
            "last_decision": decision,
        }

    # -- intake

    async def receive_case(
        self, case_id: UUID, values: dict[str, Any], suspect_rows: list[dict[str, Any]]
    ) -> None:
        self.cases[case_id] = {"case_id": case_id, **values}
        for row in suspect_rows:
            known = self.suspects.get(row["suspect_id"])
            self.suspects[row["suspect_id"]] = {
                **row,
                "minor": row["minor"] or bool(known and known["minor"]),
            }

    async def notice(self, notice_id: UUID) -> dict[str, Any] | None:
        found = self.notices.get(notice_id)
        return dict(found) if found is not None else None

    async def store_notice(self, values: dict[str, Any]) -> dict[str, Any] | None:
        if values["notice_id"] in self.notices:
            return None
        case = self.cases.get(values["case_id"])
        row = {
            "district": case["district"] if case else None,
            "unassignable_reason": None,
            "last_decision": None,
            "closed_reason": None,
            **values,
        }
        self.notices[values["notice_id"]] = row
        return dict(row)

    async def update_notice(self, notice_id: UUID, values: dict[str, Any]) -> dict[str, Any]:
        self.notices[notice_id] |= values
        return dict(self.notices[notice_id])

    async def application(
        self, application_id: UUID, *, for_update: bool = False
    ) -> dict[str, Any] | None:
        found = self.applications.get(application_id)
        return dict(found) if found is not None else None

    async def store_report(self, values: dict[str, Any]) -> dict[str, Any]:
        self.termination_reports[values["report_id"]] = dict(
            values, decided_at=None, decision_reasons=None, decision_number=None
        )
        return dict(self.termination_reports[values["report_id"]])

    async def report(self, report_id: UUID, *, for_update: bool = False) -> dict[str, Any] | None:
        found = self.termination_reports.get(report_id)
        return dict(found) if found is not None else None

    async def update_report(self, report_id: UUID, values: dict[str, Any]) -> dict[str, Any]:
        self.termination_reports[report_id] |= values
        return dict(self.termination_reports[report_id])

    async def reports(
        self,
        *,
        center: str | None,
        lawyer_id: UUID | None,
        status: str | None = None,
        page: Any = None,
    ) -> list[dict[str, Any]]:
        rows = [
            dict(row)
            for row in self.termination_reports.values()
            if (row["lawyer_id"] == lawyer_id if lawyer_id else row["addressee_center"] == center)
            and (status is None or row["status"] == status)
        ]
        return sorted(rows, key=lambda row: (row["reported_at"], row["report_id"]))

    async def lapsed_material_requests(self, as_of: date, *, limit: int) -> list[UUID]:
        lapsed = sorted(
            (row["materials_due_on"], row["application_id"])
            for row in self.applications.values()
            if row["status"] == NoticeStatus.MATERIALS_REQUESTED and row["materials_due_on"] < as_of
        )
        return [application_id for _, application_id in lapsed[:limit]]

    async def update_application(
        self, application_id: UUID, values: dict[str, Any]
    ) -> dict[str, Any]:
        self.applications[application_id] |= values
        return dict(self.applications[application_id])

    async def store_application(self, values: dict[str, Any]) -> dict[str, Any] | None:
        if values["application_id"] in self.applications:
            return None
        case = self.cases.get(values["case_id"])
        row = {
            "district": case["district"] if case else None,
            "missing_materials": None,
            "materials_due_on": None,
            "decision": None,
            "decided_automatically": False,
            **values,
        }
        self.applications[values["application_id"]] = row
        return dict(row)

    async def mark_life_or_death(self, suspect_id: UUID) -> None:
        if suspect_id in self.suspects:
            self.suspects[suspect_id]["likely_sentence"] = SentenceBand.LIFE_OR_DEATH.value

    async def practice_years(self, lawyer_id: UUID) -> int | None:
        row = self.lawyers.get(lawyer_id)
        return row["criminal_practice_years"] if row else None

    async def next_document_number(self, issuing_unit: str, year: int) -> int:
        key = (issuing_unit, year)
        self.document_counters[key] = self.document_counters.get(key, 0) + 1
        return self.document_counters[key]

    async def record_assignment(self, request: AidRequest, assignment: dict[str, Any]) -> None:
        self.assignments[assignment["assignment_id"]] = {
            **assignment,
            "status": AssignmentStatus.ACTIVE,
            "ended_at": None,
            "end_reason": None,
            "end_detail": None,
        }
        self._requests(request.basis)[request.request_id] |= {
            "status": NoticeStatus.ASSIGNED,
            "unassignable_reason": None,
        }

    async def await_reappointment(
        self, *, notice_id: UUID | None, application_id: UUID | None, at: datetime
    ) -> None:
        notice = self.request_row(notice_id, application_id)
        if notice["status"] == NoticeStatus.ASSIGNED:
            notice["status"] = NoticeStatus.AWAITING_REAPPOINTMENT

    async def restart_assignment_period(
        self,
        *,
        notice_id: UUID | None,
        application_id: UUID | None,
        started_at: datetime,
        due: Deadline,
    ) -> None:
        if notice_id is not None:
            self.notices[notice_id] |= {
                "assignment_started_at": started_at,
                "assignment_due_on": due.due_on,
                "assignment_due_provisional": due.provisional,
            }
        elif application_id is not None:
            self.applications[application_id] |= {"assignment_due_on": due.due_on}

    async def close_requests(
        self, suspect_id: UUID, *, reason: str, detail: str | None, at: datetime
    ) -> None:
        for notice in (*self.notices.values(), *self.applications.values()):
            if notice["suspect_id"] == suspect_id and notice["status"] not in FINISHED:
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
        request: Mapping[str, Any],
        *,
        at: datetime,
        recent_window_days: int,
        excluded_lawyer_ids: frozenset[UUID] = frozenset(),
    ) -> tuple[AssignmentNeed, Roster]:
        firm_ids: list[UUID] = []
        suspect_ids: list[UUID] = []
        refused: list[UUID] = []
        for a in self.assignments.values():
            if (
                a["case_id"] == request["case_id"]
                and a["status"] == AssignmentStatus.ACTIVE
                and a["suspect_id"] != request["suspect_id"]
            ):
                firm_ids.append(a["firm_id"])
                suspect_ids.append(a["suspect_id"])
            if a["suspect_id"] == request["suspect_id"] and a["end_reason"] == REFUSAL_ALLOWED:
                refused.append(a["lawyer_id"])
        suspect = self.suspects.get(request["suspect_id"], {})
        today = legal_date(at)
        need = _need_of(
            SimpleNamespace(
                minor=suspect.get("minor", False),
                likely_sentence=suspect.get("likely_sentence"),
                firm_ids=firm_ids,
                suspect_ids=suspect_ids,
                conflicted=[],
                refused=refused,
                previous=self.previous_stage.get(request["suspect_id"]),
            ),
            request,
            excluded_lawyer_ids,
        )
        rows = {
            row["lawyer_id"]: SimpleNamespace(
                **row,
                firm_name=self.firms[row["firm_id"]],
                active_cases=self._active_cases(row["lawyer_id"]),
                recent_assignments=0,
                on_leave=any(
                    leave["lawyer_id"] == row["lawyer_id"]
                    and leave["starts_on"] <= today <= leave["ends_on"]
                    for leave in self.leaves.values()
                ),
            )
            for row in self.lawyers.values()
        }
        return need, Roster(candidates=[_candidate(r) for r in rows.values()], rows=rows)

    async def lawyer_exists(self, lawyer_id: UUID) -> bool:
        return lawyer_id in self.lawyers

    async def add_leave(self, leave: dict[str, Any]) -> None:
        self.leaves[leave["leave_id"]] = dict(leave)

    async def remove_leave(self, lawyer_id: UUID, leave_id: UUID) -> bool:
        leave = self.leaves.get(leave_id)
        if leave is None or leave["lawyer_id"] != lawyer_id:
            return False
        del self.leaves[leave_id]
        return True

    async def set_previous_stage_lawyer(
        self, suspect_id: UUID, *, lawyer_id: UUID, note: str | None
    ) -> None:
        self.previous_stage[suspect_id] = lawyer_id
        self.previous_stage_notes[suspect_id] = note

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

    async def add_activity(self, activity: dict[str, Any]) -> dict[str, Any]:
        # Logged in order: a microsecond apart, as the database's clock would have them.
        logged_at = NOW + timedelta(microseconds=len(self.activities))
        row = {**activity, "logged_at": logged_at}
        self.activities[activity["activity_id"]] = row
        return dict(row)

    async def activity_kinds(self, assignment_id: UUID) -> list[str]:
        return [a["kind"] for a in self.activities.values() if a["assignment_id"] == assignment_id]

    async def add_quality_review(self, review: dict[str, Any]) -> None:
        self.quality_reviews[review["review_id"]] = dict(review)

    async def latest_quality_rating(self, assignment_id: UUID) -> str | None:
        mine = [r for r in self.quality_reviews.values() if r["assignment_id"] == assignment_id]
        if not mine:
            return None
        rating: str = max(mine, key=lambda r: (r["reviewed_at"], str(r["review_id"])))["rating"]
        return rating

    # -- subsidies

    async def list_subsidy_standards(self, page: PageRequest | None = None) -> list[dict[str, Any]]:
        rows = [dict(r) for r in self.subsidy_standards.values()]
        key = lambda r: (r["region"], r["stage"], r["case_kind"], r["valid_from"], r["standard_id"])  # noqa: E731
        return _paged(rows, key, page)

    async def put_subsidy_standard(self, values: dict[str, Any]) -> None:
        self.subsidy_standards[values["standard_id"]] = dict(values)

    async def lock_subsidy_standards(self) -> None:
        pass

    async def claim_context(self, assignment_id: UUID) -> dict[str, Any] | None:
        a = self.assignments.get(assignment_id)
        if a is None:
            return None
        request = self.request_row(a["notice_id"], a["application_id"])
        case = self.cases.get(a["case_id"]) or {}
        suspect = self.suspects.get(a["suspect_id"]) or {}
        return {
            "assignment_id": assignment_id,
            "case_id": a["case_id"],
            "suspect_id": a["suspect_id"],
            "lawyer_id": a["lawyer_id"],
            "firm_id": a["firm_id"],
            "addressee_center": request["addressee_center"],
            "district": case.get("district", request.get("district")),
            "likely_sentence": suspect.get("likely_sentence"),
        }

    async def store_claim(self, values: dict[str, Any]) -> bool:
        if any(c["assignment_id"] == values["assignment_id"] for c in self.claims.values()):
            return False
        self.claims[values["claim_id"]] = {
            "materials": [],
            "approved_at": None,
            "payment_due_on": None,
            "paid_on": None,
            **values,
        }
        return True

    async def claim(self, claim_id: UUID, *, for_update: bool = False) -> dict[str, Any] | None:
        found = self.claims.get(claim_id)
        return dict(found) if found is not None else None

    async def update_claim(self, claim_id: UUID, values: dict[str, Any]) -> dict[str, Any]:
        self.claims[claim_id] |= values
        return dict(self.claims[claim_id])

    async def list_claims(
        self,
        *,
        center: str | None,
        lawyer_id: UUID | None = None,
        status: str | None = None,
        page: PageRequest | None = None,
    ) -> list[dict[str, Any]]:
        rows = [
            dict(c)
            for c in self.claims.values()
            if center in (None, c["addressee_center"])
            and lawyer_id in (None, c["lawyer_id"])
            and status in (None, c["status"])
        ]
        return _paged(rows, lambda c: (c["opened_at"], c["claim_id"]), page)

    async def duty_request(self, request_id: UUID) -> dict[str, Any] | None:
        found = self.duty_requests.get(request_id)
        return dict(found) if found is not None else None

    async def add_duty_request(self, request: dict[str, Any]) -> None:
        self.duty_requests[request["request_id"]] = {
            "requested_station": None,
            "note": None,
            "shift_id": None,
            "station_id": None,
            "lawyer_id": None,
            "mode": None,
            "assigned_at": None,
            "unassigned_reason": None,
            **request,
            "status": DutyRequestStatus.UNASSIGNED,
            "decision": {},
        }

    async def record_duty_outcome(self, request_id: UUID, values: dict[str, Any]) -> None:
        self.duty_requests[request_id] |= values

    # -- what the routes list and show (the repository's orders and paging)

    async def notices_of_center(
        self,
        center: str,
        *,
        status: NoticeStatus | None = None,
        case_id: UUID | None = None,
        page: PageRequest | None = None,
    ) -> list[dict[str, Any]]:
        rows = [
            dict(n)
            for n in self.notices.values()
            if n["addressee_center"] == center
            and status in (None, n["status"])
            and case_id in (None, n["case_id"])
        ]
        return _paged(rows, lambda n: (n["received_at"], n["notice_id"]), page)

    async def applications_of_center(
        self,
        center: str,
        *,
        status: NoticeStatus | None = None,
        case_id: UUID | None = None,
        page: PageRequest | None = None,
    ) -> list[dict[str, Any]]:
        rows = [
            dict(a)
            for a in self.applications.values()
            if a["addressee_center"] == center
            and status in (None, a["status"])
            and case_id in (None, a["case_id"])
        ]
        return _paged(rows, lambda a: (a["received_at"], a["application_id"]), page)

    async def store_firm(self, firm: dict[str, Any]) -> bool:
        if any(row["name"] == firm["name"] for row in self.firm_rows.values()):
            return False
        self.firm_rows[firm["firm_id"]] = {**firm, "created_at": NOW}
        self.firms[firm["firm_id"]] = firm["name"]
        return True

    async def firm(self, firm_id: UUID) -> dict[str, Any] | None:
        found = self.firm_rows.get(firm_id)
        return dict(found) if found is not None else None

    async def firms_by_name(self, page: PageRequest | None = None) -> list[dict[str, Any]]:
        rows = [dict(f) for f in self.firm_rows.values()]
        return _paged(rows, lambda f: (f["name"], f["firm_id"]), page)

    async def store_lawyer(self, lawyer: dict[str, Any]) -> bool:
        if any(r["license_number"] == lawyer["license_number"] for r in self.lawyers.values()):
            return False
        self.lawyers[lawyer["lawyer_id"]] = {**lawyer, "created_at": NOW}
        return True

    async def lock_lawyer(self, lawyer_id: UUID) -> None:
        self.held_lawyers.append(lawyer_id)

    async def update_lawyer(self, lawyer_id: UUID, values: dict[str, Any]) -> None:
        self.lawyers[lawyer_id] |= values

    async def lawyers_with_caseload(
        self,
        *,
        lawyer_ids: list[UUID] | None = None,
        firm_id: UUID | None = None,
        page: PageRequest | None = None,
    ) -> list[dict[str, Any]]:
        rows = [
            {
                **row,
                "firm_name": self.firms[row["firm_id"]],
                "active_cases": self._active_cases(row["lawyer_id"]),
            }
            for row in self.lawyers.values()
            if (lawyer_ids is None or row["lawyer_id"] in lawyer_ids)
            and firm_id in (None, row["firm_id"])
        ]
        found = _paged(rows, lambda r: (r["license_number"], r["lawyer_id"]), page)
        return [
            {
                **row,
                "leaves": sorted(
                    (dict(v) for v in self.leaves.values() if v["lawyer_id"] == row["lawyer_id"]),
                    key=lambda v: v["starts_on"],
                ),
            }
            for row in found
        ]

    async def previous_stage_lawyer(
        self, suspect_id: UUID, *, lock: bool = False
    ) -> dict[str, Any] | None:
        if suspect_id not in self.previous_stage:
            return None
        return {
            "lawyer_id": self.previous_stage[suspect_id],
            "note": self.previous_stage_notes.get(suspect_id),
        }

    def _in_center(self, assignment: dict[str, Any], center: str) -> bool:
        request = self.notices.get(assignment["notice_id"]) or self.applications.get(
            assignment.get("application_id")
        )
        return request is not None and request["addressee_center"] == center

    async def assignments_where(
        self, wanted: AssignmentsQuery, page: PageRequest | None = None
    ) -> list[dict[str, Any]]:
        rows = [
            dict(a)
            for a in self.assignments.values()
            if (
                a["lawyer_id"] == wanted.own_lawyer_id
                if wanted.own_lawyer_id is not None
                else self._in_center(a, wanted.center or "")
            )
            and wanted.suspect_id in (None, a["suspect_id"])
            and wanted.case_id in (None, a["case_id"])
            and wanted.lawyer_id in (None, a["lawyer_id"])
            and wanted.status in (None, a["status"])
        ]
        return _paged(rows, lambda a: (a["assigned_at"], a["assignment_id"]), page)

    async def active_assignments_of_center(self, center: str) -> list[dict[str, Any]]:
        return [
            {
                **a,
                "met": any(
                    v["assignment_id"] == a["assignment_id"] and v["kind"] == "meeting"
                    for v in self.activities.values()
                ),
            }
            for a in self.assignments.values()
            if a["status"] == AssignmentStatus.ACTIVE and self._in_center(a, center)
        ]

    async def activities_of(
        self, assignment_id: UUID, page: PageRequest | None = None
    ) -> list[dict[str, Any]]:
        rows = [dict(a) for a in self.activities.values() if a["assignment_id"] == assignment_id]
        return _paged(rows, lambda a: (a["performed_on"], a["logged_at"], a["activity_id"]), page)

    async def quality_reviews_of(
        self, assignment_id: UUID, page: PageRequest | None = None
    ) -> list[dict[str, Any]]:
        rows = [
            dict(r) for r in self.quality_reviews.values() if r["assignment_id"] == assignment_id
        ]
        return _paged(rows, lambda r: (r["reviewed_at"], r["review_id"]), page)

    async def duty_requests_where(
        self,
        *,
        status: DutyRequestStatus | None = None,
        case_id: UUID | None = None,
        page: PageRequest | None = None,
    ) -> list[dict[str, Any]]:
        rows = [
            dict(r)
            for r in self.duty_requests.values()
            if status in (None, r["status"]) and case_id in (None, r["case_id"])
        ]
        return _paged(rows, lambda r: (r["requested_at"], r["request_id"]), page)

    async def store_work_station(self, station: dict[str, Any]) -> bool:
        if any(s["name"] == station["name"] for s in self.stations.values()):
            return False
        self.stations[station["station_id"]] = {**station, "created_at": NOW}
        return True

    async def work_station(self, station_id: UUID) -> dict[str, Any] | None:
        found = self.stations.get(station_id)
        return dict(found) if found is not None else None

    async def work_stations(
        self, *, district: str | None = None, page: PageRequest | None = None
    ) -> list[dict[str, Any]]:
        rows = [dict(s) for s in self.stations.values() if district in (None, s["district"])]
        return _paged(rows, lambda s: (s["name"], s["station_id"]), page)

    async def store_shifts(self, shifts: list[dict[str, Any]]) -> bool:
        taken = {(s["station_id"], s["lawyer_id"], s["on_date"]) for s in self.shift_rows.values()}
        if any((s["station_id"], s["lawyer_id"], s["on_date"]) in taken for s in shifts):
            return False
        for shift in shifts:
            self.shift_rows[shift["shift_id"]] = dict(shift)
        return True

    async def shifts(
        self,
        *,
        shift_ids: list[UUID] | None = None,
        starts_on: date | None = None,
        ends_on: date | None = None,
        station_id: UUID | None = None,
        lawyer_id: UUID | None = None,
        page: PageRequest | None = None,
    ) -> list[dict[str, Any]]:
        rows = [
            {
                **s,
                "station_name": self.stations[s["station_id"]]["name"],
                "lawyer_name": self.lawyers[s["lawyer_id"]]["name"],
                "license_number": self.lawyers[s["lawyer_id"]]["license_number"],
            }
            for s in self.shift_rows.values()
            if (shift_ids is None or s["shift_id"] in shift_ids)
            and (starts_on is None or s["on_date"] >= starts_on)
            and (ends_on is None or s["on_date"] <= ends_on)
            and station_id in (None, s["station_id"])
            and lawyer_id in (None, s["lawyer_id"])
        ]
        return _paged(
            rows,
            lambda s: (s["on_date"], s["station_name"], s["license_number"], s["shift_id"]),
            page,
        )

    async def shift_served(self, shift_id: UUID) -> bool | None:
        if shift_id not in self.shift_rows:
            return None
        return any(r["shift_id"] == shift_id for r in self.duty_requests.values())

    async def remove_shift(self, shift_id: UUID) -> None:
        del self.shift_rows[shift_id]


@dataclass
class Published:
    event: BaseEvent
    case_id: UUID


@dataclass
class FakeUnitOfWork:
    """What the use cases read of ``AidCenterUnitOfWork``, without a database."""

    settings: AidCenterSettings = field(default_factory=AidCenterSettings)
    calendar: LegalCalendar = field(default_factory=load_bundled_calendar)
    cipher: FieldCipher = field(default_factory=lambda: CIPHER)
    now_is: datetime = NOW
    published: list[Published] = field(default_factory=list)
    aid: FakeAid = field(default_factory=FakeAid)
    assignments_made: list[Envelope | None] = field(default_factory=list)

    def now(self) -> datetime:
        return self.now_is

    async def publish(
        self, event: BaseEvent, *, case_id: Any, caused_by: Envelope | None = None
    ) -> Envelope:
        self.published.append(Published(event, case_id))
        return Envelope.for_event(event, case_id=case_id, producer="aid-center")

    def assignment_made(self, caused_by: Envelope | None) -> None:
        self.assignments_made.append(caused_by)

    def events(self, kind: type[BaseEvent]) -> list[Any]:
        return [p.event for p in self.published if isinstance(p.event, kind)]
