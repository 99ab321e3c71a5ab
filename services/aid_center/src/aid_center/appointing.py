"""Appointing, replacing and terminating: the service layer shared by handlers and routes.

Each function runs inside the caller's transaction (the consumer's, or a route's) and writes its
state change and its events (through the outbox) together. Work on one case is serialised by a
transaction-scoped advisory lock on the case id, so two co-suspects can never be given lawyers
of the same firm by concurrent transactions (Measures Art. 13); a partial unique index on
``assignments (case_id, firm_id) WHERE status = 'active'`` backs that up.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from aid_center.db.tables import (
    applications,
    assignments,
    conflict_reports,
    law_firms,
    lawyer_leaves,
    lawyers,
    notices,
    previous_stage_lawyers,
    suspects,
)
from aid_center.domain.assignment import (
    AssignmentDecision,
    AssignmentNeed,
    Candidate,
    Wishes,
    choose_lawyer,
    hard_rule_failures,
)
from aid_center.domain.book import LAW_RULES
from aid_center.settings import AidCenterSettings
from defense_schemas import Envelope
from defense_schemas.events.aid_center import (
    AidTerminated,
    AssignmentFailed,
    LawyerAssigned,
    LawyerReplaced,
)
from defense_schemas.events.common import Lawyer
from defense_schemas.vocabulary import (
    AppointmentBasis,
    Gender,
    Ground,
    ReplacementReason,
    SentenceBand,
    TerminationReason,
)
from legal_calendar import legal_date
from service_runtime.app import Runtime
from service_runtime.errors import Conflict

ACTIVE = "active"
ENDED = "ended"
REFUSAL_ALLOWED = "refusal_allowed"
"""``end_reason`` of an appointment whose refusal the procuratorate allowed (Measures Art. 5 ¶1):
the lawyer's place is free at once; another lawyer follows only on the written request."""


class NoticeStatus:
    """The state of the aid a notice asks for."""

    SUPPLEMENT_REQUESTED = "supplement_requested"
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    UNASSIGNABLE = "unassignable"
    CLOSED = "closed"


def now() -> datetime:
    return datetime.now(UTC)


# Built once (every appointment change runs it); the case's key is bound at execution.
_LOCK_CASE = sa.select(
    sa.func.pg_advisory_xact_lock(
        sa.func.hashtextextended(sa.bindparam("case_key", type_=sa.String), 0)
    )
)


async def lock_case(session: AsyncSession, case_id: UUID) -> None:
    """Serialise every appointment change of one case until the transaction ends."""
    await session.execute(_LOCK_CASE, {"case_key": str(case_id)})


@dataclass(frozen=True)
class Roster:
    """The roster as the engine sees it, and the rows it came from (for the chosen lawyer's
    reference in the event, without a second query)."""

    candidates: list[Candidate]
    rows: dict[UUID, Any]

    def lawyer(self, lawyer_id: UUID) -> Lawyer:
        row = self.rows[lawyer_id]
        return Lawyer(
            lawyer_id=row.lawyer_id,
            name=row.name,
            firm_id=row.firm_id,
            firm_name=row.firm_name,
            contact=row.contact,
        )


def _roster_query() -> sa.Subquery:
    """Every lawyer on the roster with caseload derived from live assignments (correlated
    counts over ``ix_assignments_lawyer_id``); the firm's name is joined in so the chosen lawyer
    needs no second look-up. Parameters: ``today``, ``recent_since``."""
    active_cases = (
        sa.select(sa.func.count())
        .where(assignments.c.lawyer_id == lawyers.c.lawyer_id, assignments.c.status == ACTIVE)
        .scalar_subquery()
    )
    recent = (
        sa.select(sa.func.count())
        .where(
            assignments.c.lawyer_id == lawyers.c.lawyer_id,
            assignments.c.assigned_at >= sa.bindparam("recent_since"),
        )
        .scalar_subquery()
    )
    on_leave = sa.exists().where(
        lawyer_leaves.c.lawyer_id == lawyers.c.lawyer_id,
        lawyer_leaves.c.starts_on <= sa.bindparam("today"),
        lawyer_leaves.c.ends_on >= sa.bindparam("today"),
    )
    return (
        sa.select(
            lawyers,
            law_firms.c.name.label("firm_name"),
            active_cases.label("active_cases"),
            recent.label("recent_assignments"),
            on_leave.label("on_leave"),
        )
        .join(law_firms, law_firms.c.firm_id == lawyers.c.firm_id)
        .subquery("roster")
    )


def _need_query() -> sa.Subquery:
    """What constrains the choice for the suspect, as one row: the suspect's facts, co-suspects'
    firms, reported conflicts, the previous lawyer. Parameters: ``suspect_id``, ``case_id``."""
    suspect_id: sa.BindParameter[Any] = sa.bindparam("suspect_id")
    of_suspect = suspects.c.suspect_id == suspect_id
    # Both arrays come from one aggregate pass over the same rows, so they pair up by position.
    co_suspects = (
        sa.select(
            sa.func.array_agg(assignments.c.firm_id).label("firm_ids"),
            sa.func.array_agg(assignments.c.suspect_id).label("suspect_ids"),
        )
        .where(
            assignments.c.case_id == sa.bindparam("case_id"),
            assignments.c.status == ACTIVE,
            assignments.c.suspect_id != suspect_id,
        )
        .subquery("co_suspects")
    )
    return (
        sa.select(
            sa.select(suspects.c.minor).where(of_suspect).scalar_subquery().label("minor"),
            sa.select(suspects.c.likely_sentence)
            .where(of_suspect)
            .scalar_subquery()
            .label("likely_sentence"),
            co_suspects.c.firm_ids,
            co_suspects.c.suspect_ids,
            sa.select(sa.func.array_agg(conflict_reports.c.firm_id))
            .where(conflict_reports.c.suspect_id == suspect_id)
            .scalar_subquery()
            .label("conflicted"),
            # Measures Art. 5 ¶1: a lawyer the suspect refused with the procuratorate's leave
            # is never appointed to them again.
            sa.select(sa.func.array_agg(assignments.c.lawyer_id))
            .where(
                assignments.c.suspect_id == suspect_id,
                assignments.c.end_reason == REFUSAL_ALLOWED,
            )
            .scalar_subquery()
            .label("refused"),
            sa.select(previous_stage_lawyers.c.lawyer_id)
            .where(previous_stage_lawyers.c.suspect_id == suspect_id)
            .scalar_subquery()
            .label("previous"),
        )
        .select_from(co_suspects)
        .subquery("need")
    )


def _need_and_roster_query() -> sa.Select[Any]:
    """The need's single row outer-joined to every lawyer: an empty roster still yields the
    need's row, with no lawyer in it."""
    need = _need_query()
    roster = _roster_query()
    return sa.select(need, roster).select_from(need.outerjoin(roster, sa.true()))


# Built once: constructing this statement and its cache key cost more than its round trip, so
# every appointment executes the same object with its own parameters.
_NEED_AND_ROSTER = _need_and_roster_query()


def _uuids(values: list[Any] | None) -> list[UUID]:
    return [UUID(str(value)) for value in values or ()]


def _need_of(
    row: Any, notice: Mapping[str, Any], excluded_lawyer_ids: frozenset[UUID]
) -> AssignmentNeed:
    grounds = {Ground(g) for g in notice["grounds"]}
    minor = Ground.MINOR in grounds or bool(row.minor)
    life_or_death = Ground.POSSIBLE_LIFE_OR_DEATH_SENTENCE in grounds or (
        row.likely_sentence == SentenceBand.LIFE_OR_DEATH
    )
    co_suspect_firms: dict[UUID, tuple[UUID, ...]] = {}
    for firm_id, co_suspect_id in zip(_uuids(row.firm_ids), _uuids(row.suspect_ids), strict=True):
        co_suspect_firms[firm_id] = (*co_suspect_firms.get(firm_id, ()), co_suspect_id)
    wishes_data = notice["wishes"] or {}
    return AssignmentNeed(
        suspect_id=notice["suspect_id"],
        minor=minor,
        possible_life_or_death=life_or_death,
        district=notice["district"],
        wishes=Wishes(
            lawyer_license_number=wishes_data.get("lawyer_license_number"),
            lawyer_name=wishes_data.get("lawyer_name"),
            lawyer_gender=Gender(wishes_data["lawyer_gender"])
            if wishes_data.get("lawyer_gender")
            else None,
            language=wishes_data.get("language"),
        ),
        previous_stage_lawyer_id=row.previous,
        co_suspect_firms=co_suspect_firms,
        conflicted_firm_ids=frozenset(_uuids(row.conflicted)),
        excluded_lawyer_ids=excluded_lawyer_ids | frozenset(_uuids(row.refused)),
    )


def _candidate(row: Any) -> Candidate:
    return Candidate(
        lawyer_id=row.lawyer_id,
        name=row.name,
        license_number=row.license_number,
        firm_id=row.firm_id,
        gender=Gender(row.gender),
        criminal_practice_years=row.criminal_practice_years,
        max_concurrent_cases=row.max_concurrent_cases,
        active_cases=row.active_cases,
        recent_assignments=row.recent_assignments,
        specialties=frozenset(row.specialties),
        languages=frozenset(row.languages),
        districts=frozenset(row.districts),
        on_leave=row.on_leave,
        active=row.active,
    )


async def load_need_and_roster(
    session: AsyncSession,
    notice: Mapping[str, Any],
    *,
    at: datetime,
    recent_window_days: int,
    excluded_lawyer_ids: frozenset[UUID] = frozenset(),
) -> tuple[AssignmentNeed, Roster]:
    """What constrains the choice and whom it is made from, in one round trip. Both come from
    one snapshot, taken after the caller's case lock."""
    rows = (
        await session.execute(
            _NEED_AND_ROSTER,
            {
                "suspect_id": notice["suspect_id"],
                "case_id": notice["case_id"],
                "today": legal_date(at),
                "recent_since": at - timedelta(days=recent_window_days),
            },
        )
    ).all()
    on_roster = [row for row in rows if row.lawyer_id is not None]
    return _need_of(rows[0], notice, excluded_lawyer_ids), Roster(
        candidates=[_candidate(row) for row in on_roster],
        rows={row.lawyer_id: row for row in on_roster},
    )


def _manual_decision(
    lawyer_id: UUID, need: AssignmentNeed, roster: list[Candidate], reason: str
) -> AssignmentDecision:
    """Staff chose the lawyer. The law's rules still hold (409); roster limits may be waived."""
    chosen = next((c for c in roster if c.lawyer_id == lawyer_id), None)
    if chosen is None:
        raise Conflict(f"lawyer {lawyer_id} is not on the roster", field="lawyer_id")
    failures = hard_rule_failures(chosen, need)
    forbidden = [text for rule, text in failures if rule in LAW_RULES]
    if forbidden:
        raise Conflict(
            f"{chosen.name} cannot be assigned: " + "; ".join(forbidden), field="lawyer_id"
        )
    waived = [f"waived: {text}" for _, text in failures]
    return AssignmentDecision(
        chosen=chosen,
        reasons=(f"manual assignment by staff: {reason}", *waived),
        passed_over=(),
        continued_from_previous_stage=chosen.lawyer_id == need.previous_stage_lawyer_id,
    )


_HOLD_LAWYER = (
    sa.select(lawyers.c.max_concurrent_cases)
    .where(lawyers.c.lawyer_id == sa.bindparam("lawyer_id"))
    .with_for_update()
)
_ACTIVE_CASES = sa.select(sa.func.count()).where(
    assignments.c.lawyer_id == sa.bindparam("lawyer_id"), assignments.c.status == ACTIVE
)


async def _hold_lawyer(session: AsyncSession, lawyer_id: UUID) -> int | None:
    """Lock the lawyer's roster row until the transaction ends; returns their maximum.

    Every appointment holds the row of the lawyer it gives a place to, so appointments of one
    lawyer are serialised across cases and replicas, while different lawyers' go on in
    parallel."""
    return (await session.execute(_HOLD_LAWYER, {"lawyer_id": lawyer_id})).scalar_one_or_none()


async def _has_place(session: AsyncSession, chosen: Candidate) -> bool:
    """Whether the chosen lawyer still has a free place, counted under the lock on their row.

    The count is a statement of its own, after the lock is granted: under READ COMMITTED it
    then sees every appointment committed by whoever held the row before."""
    maximum = await _hold_lawyer(session, chosen.lawyer_id)
    if maximum is None:
        return False
    active = (await session.execute(_ACTIVE_CASES, {"lawyer_id": chosen.lawyer_id})).scalar_one()
    return int(active) < maximum


@dataclass(frozen=True)
class Appointment:
    """What an appointment attempt produced."""

    decision: AssignmentDecision
    assignment_id: UUID | None


async def lawyer_ref(session: AsyncSession, lawyer_id: UUID) -> Lawyer:
    row = (
        await session.execute(
            sa.select(
                lawyers.c.lawyer_id,
                lawyers.c.name,
                lawyers.c.contact,
                law_firms.c.firm_id,
                law_firms.c.name.label("firm_name"),
            )
            .join(law_firms, law_firms.c.firm_id == lawyers.c.firm_id)
            .where(lawyers.c.lawyer_id == lawyer_id)
        )
    ).one()
    return Lawyer(
        lawyer_id=row.lawyer_id,
        name=row.name,
        firm_id=row.firm_id,
        firm_name=row.firm_name,
        contact=row.contact,
    )


async def end_assignment(
    session: AsyncSession, assignment_id: UUID, *, reason: str, detail: str | None, at: datetime
) -> None:
    await session.execute(
        sa.update(assignments)
        .where(assignments.c.assignment_id == assignment_id)
        .values(status=ENDED, ended_at=at, end_reason=reason, end_detail=detail)
    )


@dataclass(frozen=True)
class AidRequest:
    """What an appointment answers: the procuratorate's notice (通知辩护) or the suspect's
    application forwarded by the procuratorate (申请指派). Both share the aid state."""

    basis: AppointmentBasis
    request_id: UUID
    row: Mapping[str, Any]

    @property
    def table(self) -> sa.Table:
        return notices if self.basis is AppointmentBasis.NOTICE else applications

    @property
    def key(self) -> sa.ColumnElement[bool]:
        column = "notice_id" if self.basis is AppointmentBasis.NOTICE else "application_id"
        return self.table.c[column] == self.request_id

    @property
    def need_source(self) -> Mapping[str, Any]:
        """The fields the need is built from; an application carries no grounds or wishes (the
        suspect's facts come from the case as received)."""
        if self.basis is AppointmentBasis.NOTICE:
            return self.row
        return {**self.row, "grounds": [], "wishes": None}

    @classmethod
    def of(
        cls, row: Mapping[Any, Any], *, notice_id: UUID | None, application_id: UUID | None
    ) -> AidRequest:
        """The request whose row the caller holds (read, or just written with RETURNING)."""
        if notice_id is not None:
            return cls(AppointmentBasis.NOTICE, notice_id, dict(row))
        assert application_id is not None, "an appointment answers a notice or an application"
        return cls(AppointmentBasis.APPLICATION, application_id, dict(row))


async def load_request(
    session: AsyncSession, *, notice_id: UUID | None, application_id: UUID | None
) -> AidRequest:
    if notice_id is not None:
        query = sa.select(notices).where(notices.c.notice_id == notice_id)
    else:
        assert application_id is not None, "an appointment answers a notice or an application"
        query = sa.select(applications).where(applications.c.application_id == application_id)
    row = (await session.execute(query)).mappings().one()
    return AidRequest.of(row, notice_id=notice_id, application_id=application_id)


async def appoint(
    session: AsyncSession,
    runtime: Runtime,
    notice_id: UUID | None,
    *,
    application_id: UUID | None = None,
    caused_by: Envelope | None,
    replacing: Mapping[str, Any] | None = None,
    replacing_ended: bool = False,
    replacement_reason: ReplacementReason | None = None,
    reappointment_request_id: UUID | None = None,
    detail: str | None = None,
    manual_lawyer_id: UUID | None = None,
    manual_reason: str | None = None,
    request_row: Mapping[Any, Any] | None = None,
) -> Appointment:
    """Choose and record a lawyer for the suspect of the notice (or of the application, when
    ``notice_id`` is None and ``application_id`` is given) and emit the outcome.

    A first appointment emits ``LawyerAssigned``; a replacement (``replacing`` the active
    assignment) ends the old one and emits ``LawyerReplaced``. When nobody qualifies the notice
    becomes ``unassignable`` with the reasons, and ``AssignmentFailed`` is emitted: the clock's
    watcher and staff see it at once rather than a silent wait.

    ``replacing_ended``: the assignment replaced already ended on an allowed refusal (Art. 5
    ¶1) and this answers the written request for another lawyer; it must not have been
    answered yet.

    ``request_row`` is the notice's (or application's) row when the caller has just written it
    in this transaction: it is not read again.
    """
    settings = runtime.settings
    assert isinstance(settings, AidCenterSettings)
    if request_row is not None:
        request = AidRequest.of(request_row, notice_id=notice_id, application_id=application_id)
    else:
        request = await load_request(session, notice_id=notice_id, application_id=application_id)
    notice = request.row
    await lock_case(session, notice["case_id"])
    # What the caller read before the lock may be stale: another replica, or a concurrent
    # request, may have appointed or replaced in between. Judge the state as it is now.
    if replacing is not None and replacing_ended:
        if (
            await refused_awaiting_reappointment(
                session, suspect_id=notice["suspect_id"], assignment_id=replacing["assignment_id"]
            )
            is None
        ):
            raise Conflict(
                f"assignment {replacing['assignment_id']} was not refused, or another lawyer "
                "was already appointed",
                field="status",
            )
    elif replacing is not None:
        if (
            await active_assignment(
                session,
                suspect_id=notice["suspect_id"],
                assignment_id=replacing["assignment_id"],
            )
            is None
        ):
            raise Conflict(
                f"assignment {replacing['assignment_id']} is no longer active", field="status"
            )
    elif request_row is None:
        request = await load_request(session, notice_id=notice_id, application_id=application_id)
        notice = request.row
        if notice["status"] not in (NoticeStatus.ACCEPTED, NoticeStatus.UNASSIGNABLE):
            raise Conflict(
                f"the request is {notice['status']}; only an accepted or unassignable one "
                "gets a first assignment",
                field="status",
            )
    at = now()
    excluded: frozenset[UUID] = frozenset()
    if replacing is not None and replacing_ended:
        excluded = frozenset({replacing["lawyer_id"]})
    elif replacing is not None:
        await end_assignment(
            session,
            replacing["assignment_id"],
            reason=(replacement_reason or ReplacementReason.CHANGE_OF_LAWYER).value,
            detail=detail,
            at=at,
        )
        excluded = frozenset({replacing["lawyer_id"]})
    need, loaded = await load_need_and_roster(
        session,
        request.need_source,
        at=at,
        recent_window_days=settings.recent_assignment_window_days,
        excluded_lawyer_ids=excluded,
    )
    if manual_lawyer_id is not None:
        # Staff may waive capacity, but the lawyer's row is still held so that concurrent
        # engine choices count this appointment.
        await _hold_lawyer(session, manual_lawyer_id)
        decision = _manual_decision(
            manual_lawyer_id, need, loaded.candidates, manual_reason or "no reason"
        )
    else:
        decision = choose_lawyer(need, loaded.candidates)
        # The roster was read before any lock on the lawyers: another case's transaction (in
        # this replica or another) may have taken the chosen lawyer's last place meanwhile.
        # Hold the chosen lawyer's row, count again, and choose again from a fresh roster if
        # the place is gone. A lawyer found full stays locked by this transaction, so no
        # later pass can find them free yet chosen by someone else: each pass rules out one
        # more lawyer, and the loop ends.
        while decision.chosen is not None and not await _has_place(session, decision.chosen):
            need, loaded = await load_need_and_roster(
                session,
                request.need_source,
                at=at,
                recent_window_days=settings.recent_assignment_window_days,
                excluded_lawyer_ids=excluded,
            )
            decision = choose_lawyer(need, loaded.candidates)
    explanation = decision.explanation()

    if decision.chosen is None:
        assert decision.failure is not None
        reason_text = "; ".join((*decision.reasons, *decision.unmet_wishes))
        await session.execute(
            sa.update(request.table)
            .where(request.key)
            .values(
                status=NoticeStatus.UNASSIGNABLE,
                unassignable_reason=decision.failure.value,
                last_decision=explanation,
                updated_at=at,
            )
        )
        await runtime.publisher.publish(
            session,
            AssignmentFailed(
                suspect_id=notice["suspect_id"],
                notice_id=notice_id,
                application_id=application_id if notice_id is None else None,
                reason=decision.failure,
                failed_at=at,
                detail=reason_text[:4000],
            ),
            case_id=notice["case_id"],
            caused_by=caused_by,
        )
        return Appointment(decision, None)

    chosen = decision.chosen
    assignment_id = uuid.uuid4()
    new_assignment = (
        sa.insert(assignments)
        .values(
            assignment_id=assignment_id,
            case_id=notice["case_id"],
            suspect_id=notice["suspect_id"],
            notice_id=notice_id,
            application_id=application_id if notice_id is None else None,
            lawyer_id=chosen.lawyer_id,
            firm_id=chosen.firm_id,
            status=ACTIVE,
            manual=manual_lawyer_id is not None,
            continued_from_previous_stage=decision.continued_from_previous_stage,
            previous_assignment_id=replacing["assignment_id"] if replacing else None,
            decision=explanation,
            assigned_at=at,
        )
        .cte("new_assignment")
    )
    # The assignment and the request's new state in one statement (the insert runs as a
    # data-modifying WITH, to completion, even though the update does not read it); the
    # partial unique index behind Art. 13 still refuses it as before.
    await session.execute(
        sa.update(request.table)
        .where(request.key)
        .values(
            status=NoticeStatus.ASSIGNED,
            unassignable_reason=None,
            last_decision=explanation,
            updated_at=at,
        )
        .add_cte(new_assignment)
    )
    lawyer = loaded.lawyer(chosen.lawyer_id)
    if replacing is None:
        event: LawyerAssigned | LawyerReplaced = LawyerAssigned(
            assignment_id=assignment_id,
            suspect_id=notice["suspect_id"],
            basis=request.basis,
            notice_id=notice_id,
            application_id=application_id if notice_id is None else None,
            lawyer=lawyer,
            assigned_at=at,
            continued_from_previous_stage=decision.continued_from_previous_stage,
        )
    else:
        event = LawyerReplaced(
            suspect_id=notice["suspect_id"],
            previous_assignment_id=replacing["assignment_id"],
            assignment_id=assignment_id,
            lawyer=lawyer,
            reason=replacement_reason or ReplacementReason.CHANGE_OF_LAWYER,
            replaced_at=at,
            reappointment_request_id=reappointment_request_id,
            detail=detail,
        )
    await runtime.publisher.publish(session, event, case_id=notice["case_id"], caused_by=caused_by)
    return Appointment(decision, assignment_id)


async def active_assignment(
    session: AsyncSession, *, suspect_id: UUID, assignment_id: UUID | None = None
) -> Mapping[str, Any] | None:
    """The suspect's active assignment (the given one, if it is still active)."""
    query = sa.select(assignments).where(
        assignments.c.suspect_id == suspect_id, assignments.c.status == ACTIVE
    )
    if assignment_id is not None:
        query = query.where(assignments.c.assignment_id == assignment_id)
    row = (await session.execute(query)).mappings().first()
    return dict(row) if row is not None else None


async def refused_awaiting_reappointment(
    session: AsyncSession, *, suspect_id: UUID, assignment_id: UUID
) -> Mapping[str, Any] | None:
    """The assignment, if it ended on an allowed refusal and no later assignment replaced it
    (and the suspect has no active one): the written request for another lawyer answers it."""
    later = assignments.alias("later")
    query = sa.select(assignments).where(
        assignments.c.assignment_id == assignment_id,
        assignments.c.suspect_id == suspect_id,
        assignments.c.status == ENDED,
        assignments.c.end_reason == REFUSAL_ALLOWED,
        ~sa.exists().where(
            later.c.suspect_id == suspect_id,
            sa.or_(
                later.c.previous_assignment_id == assignment_id,
                later.c.status == ACTIVE,
            ),
        ),
    )
    row = (await session.execute(query)).mappings().first()
    return dict(row) if row is not None else None


async def end_on_allowed_refusal(
    session: AsyncSession, *, case_id: UUID, suspect_id: UUID, assignment_id: UUID, detail: str
) -> UUID | None:
    """Measures Art. 5 ¶1: the procuratorate allowed the suspect's refusal of this lawyer. The
    appointment ends now, so the lawyer's place and the firm's line under Art. 13 are free at
    once; the suspect's own counsel or the procuratorate's written request (另行指派) decides
    what follows. Not a termination of aid: no ``AidTerminated``. Returns the assignment
    ended, or None when it was no longer active."""
    await lock_case(session, case_id)
    current = await active_assignment(session, suspect_id=suspect_id, assignment_id=assignment_id)
    if current is None:
        return None
    await end_assignment(session, assignment_id, reason=REFUSAL_ALLOWED, detail=detail, at=now())
    return assignment_id


async def terminate(
    session: AsyncSession,
    runtime: Runtime,
    *,
    case_id: UUID,
    suspect_id: UUID,
    assignment_id: UUID | None,
    reason: TerminationReason,
    detail: str | None,
    caused_by: Envelope | None,
    decision_number: str | None = None,
) -> UUID | None:
    """End legal aid for the suspect (终止法律援助): the active assignment ends, which releases
    the lawyer's caseload, and ``AidTerminated`` is emitted. An open notice or application
    without a lawyer yet is closed too, with the reason and detail kept on it (visible over
    REST as ``closed_reason``): ``AidTerminated`` names an assignment, so none is emitted when
    no lawyer was ever assigned. Returns the assignment ended."""
    await lock_case(session, case_id)
    at = now()
    current = await active_assignment(session, suspect_id=suspect_id)
    for table in (notices, applications):
        await session.execute(
            sa.update(table)
            .where(table.c.suspect_id == suspect_id, table.c.status != NoticeStatus.CLOSED)
            .values(
                status=NoticeStatus.CLOSED,
                closed_reason=reason.value,
                closed_detail=detail
                if current is not None
                else f"{detail + '; ' if detail else ''}closed before any lawyer was assigned",
                closed_at=at,
                updated_at=at,
            )
        )
    if current is None:
        return None
    if assignment_id is not None and current["assignment_id"] != assignment_id:
        detail = (
            f"{detail + '; ' if detail else ''}the event named assignment {assignment_id}, "
            f"the active one is {current['assignment_id']}"
        )
    await end_assignment(
        session, current["assignment_id"], reason=reason.value, detail=detail, at=at
    )
    await runtime.publisher.publish(
        session,
        AidTerminated(
            assignment_id=current["assignment_id"],
            suspect_id=suspect_id,
            reason=reason,
            terminated_at=at,
            decision_number=decision_number,
            detail=detail,
        ),
        case_id=case_id,
        caused_by=caused_by,
    )
    return current["assignment_id"]


class StageOutcome:
    """What became of an assignment when the case left the review stage (Measures Art. 13 ¶1:
    the same lawyer may go on defending in the trial stage)."""

    CONTINUES_TO_TRIAL = "continues_to_trial"
    ENDED_AT_INDICTMENT = "ended_at_indictment"


async def record_handover(
    session: AsyncSession,
    runtime: Runtime,
    *,
    case_id: UUID,
    suspect_id: UUID,
    continues: bool,
    court: str,
    handed_over_at: datetime,
    detail: str,
    caused_by: Envelope | None,
) -> UUID | None:
    """Indicted and handed over: the active assignment either continues into the trial stage
    (stays active, so it still counts in the lawyer's caseload) or ends with ``AidTerminated``
    (``stage_ended``). Returns the assignment concerned, if any."""
    await lock_case(session, case_id)
    current = await active_assignment(session, suspect_id=suspect_id)
    if current is None:
        return None
    values = {"trial_court": court, "handed_over_at": handed_over_at}
    if continues:
        await session.execute(
            sa.update(assignments)
            .where(assignments.c.assignment_id == current["assignment_id"])
            .values(stage_outcome=StageOutcome.CONTINUES_TO_TRIAL, **values)
        )
        return UUID(str(current["assignment_id"]))
    await session.execute(
        sa.update(assignments)
        .where(assignments.c.assignment_id == current["assignment_id"])
        .values(stage_outcome=StageOutcome.ENDED_AT_INDICTMENT, **values)
    )
    return await terminate(
        session,
        runtime,
        case_id=case_id,
        suspect_id=suspect_id,
        assignment_id=current["assignment_id"],
        reason=TerminationReason.STAGE_ENDED,
        detail=detail,
        caused_by=caused_by,
    )
