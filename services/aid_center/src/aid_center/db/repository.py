"""The aid center's storage as its use cases see it: requests (notices and applications), the
roster, assignments and duty requests, behind one repository on the unit of work's session.

Work on one case is serialised by a transaction-scoped advisory lock on the case id
(:meth:`AidRepository.lock_case`), so two co-suspects can never be given lawyers of the same firm
by concurrent transactions (Measures Art. 13); a partial unique index on
``assignments (case_id, firm_id) WHERE status = 'active'`` backs that up. An appointment holds
the chosen lawyer's roster row (:meth:`AidRepository.hold_lawyer`) and counts their places again
under it (:meth:`AidRepository.has_place`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from aid_center.db.tables import (
    activities,
    applications,
    assignments,
    cases,
    conflict_reports,
    document_counters,
    duty_requests,
    duty_shifts,
    law_firms,
    lawyer_leaves,
    lawyers,
    notices,
    previous_stage_lawyers,
    quality_reviews,
    subsidy_claims,
    subsidy_standards,
    suspects,
    termination_reports,
    work_stations,
)
from aid_center.domain.assignment import AssignmentNeed, Candidate, Wishes
from aid_center.domain.commands import AssignmentsQuery
from aid_center.domain.duty import DutyShiftView
from aid_center.domain.status import (
    FINISHED,
    REFUSAL_ALLOWED,
    AssignmentStatus,
    DutyRequestStatus,
    NoticeStatus,
)
from defense_schemas.events.common import Lawyer
from defense_schemas.vocabulary import (
    ActivityKind,
    AppointmentBasis,
    Gender,
    Ground,
    SentenceBand,
    ServiceMode,
)
from legal_calendar import Deadline, legal_date
from service_runtime.paging import PageRequest

# Built once (every appointment change runs it); the case's key is bound at execution.
_LOCK_CASE = sa.select(
    sa.func.pg_advisory_xact_lock(
        sa.func.hashtextextended(sa.bindparam("case_key", type_=sa.String), 0)
    )
)


def _request_key(
    notice_id: UUID | None, application_id: UUID | None
) -> tuple[sa.Table, sa.ColumnElement[bool]]:
    if notice_id is not None:
        return notices, notices.c.notice_id == notice_id
    assert application_id is not None, "an assignment answers a notice or an application"
    return applications, applications.c.application_id == application_id


# One statement stores the letter with its check's outcome and the case's district, and hands
# the row back; a letter already stored (the same one again under another event id) inserts
# nothing and returns no row. Built once: the columns' values are bound at execution.
_CASE_INSERT = pg_insert(cases)
_UPSERT_CASE = _CASE_INSERT.on_conflict_do_update(
    index_elements=[cases.c.case_id],
    set_={
        column: _CASE_INSERT.excluded[column]
        for column in ("district", "procuratorate_unit", "transferring_agency", "received_at")
    },
)
_SUSPECT_INSERT = pg_insert(suspects)
_UPSERT_SUSPECTS = _SUSPECT_INSERT.on_conflict_do_update(
    index_elements=[suspects.c.suspect_id],
    set_={
        **{
            column.name: _SUSPECT_INSERT.excluded[column.name]
            for column in suspects.c
            if column.name not in ("suspect_id", "minor")
        },
        "minor": suspects.c.minor | _SUSPECT_INSERT.excluded.minor,
    },
)

_STORE_NOTICE = (
    pg_insert(notices)
    .values(
        district=sa.select(cases.c.district)
        .where(cases.c.case_id == sa.bindparam("district_of_case"))
        .scalar_subquery()
    )
    .on_conflict_do_nothing(index_elements=[notices.c.notice_id])
    .returning(*notices.c)
)


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
        .where(
            assignments.c.lawyer_id == lawyers.c.lawyer_id,
            assignments.c.status == AssignmentStatus.ACTIVE,
        )
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
            assignments.c.status == AssignmentStatus.ACTIVE,
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


@dataclass(frozen=True)
class AidRequest:
    """What an appointment answers: the procuratorate's notice (通知辩护) or the suspect's
    application forwarded by the procuratorate (申请指派). Both share the aid state."""

    basis: AppointmentBasis
    request_id: UUID
    row: Mapping[str, Any]

    @property
    def notice_id(self) -> UUID | None:
        return self.request_id if self.basis is AppointmentBasis.NOTICE else None

    @property
    def application_id(self) -> UUID | None:
        return self.request_id if self.basis is AppointmentBasis.APPLICATION else None

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


def _needs_query() -> sa.Select[Any]:
    """:func:`_need_query` for several suspects at once (``suspect_ids``, ``case_ids``: arrays
    paired by position), one row per suspect. The co-suspects' firms and ids are aggregated in
    one lateral pass, so they pair up by position as in the single need."""
    # Two unnests in one select list run in step: the n-th suspect with the n-th case.
    wanted = sa.select(
        sa.func.unnest(
            sa.bindparam("suspect_ids", type_=postgresql.ARRAY(sa.Uuid)), type_=sa.Uuid
        ).label("suspect_id"),
        sa.func.unnest(
            sa.bindparam("case_ids", type_=postgresql.ARRAY(sa.Uuid)), type_=sa.Uuid
        ).label("case_id"),
    ).subquery("wanted")
    suspect_id = wanted.c.suspect_id
    co_suspects = (
        sa.select(
            sa.func.array_agg(assignments.c.firm_id).label("firm_ids"),
            sa.func.array_agg(assignments.c.suspect_id).label("suspect_ids"),
        )
        .where(
            assignments.c.case_id == wanted.c.case_id,
            assignments.c.status == AssignmentStatus.ACTIVE,
            assignments.c.suspect_id != suspect_id,
        )
        .lateral("co_suspects")
    )
    return sa.select(
        suspect_id,
        sa.select(suspects.c.minor)
        .where(suspects.c.suspect_id == suspect_id)
        .scalar_subquery()
        .label("minor"),
        sa.select(suspects.c.likely_sentence)
        .where(suspects.c.suspect_id == suspect_id)
        .scalar_subquery()
        .label("likely_sentence"),
        co_suspects.c.firm_ids,
        co_suspects.c.suspect_ids,
        sa.select(sa.func.array_agg(conflict_reports.c.firm_id))
        .where(conflict_reports.c.suspect_id == suspect_id)
        .scalar_subquery()
        .label("conflicted"),
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
    ).select_from(wanted.join(co_suspects, sa.true()))


_NEEDS = _needs_query()
_ROSTER = sa.select(_roster_query())
_CASE_KEYS = sa.select(
    sa.func.unnest(
        sa.bindparam("case_keys", type_=postgresql.ARRAY(sa.String)), type_=sa.String
    ).label("case_key")
).subquery("case_keys")
_LOCK_CASES = sa.select(
    sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(_CASE_KEYS.c.case_key, 0))
).select_from(_CASE_KEYS)
_HOLD_LAWYERS = (
    sa.select(lawyers.c.lawyer_id, lawyers.c.max_concurrent_cases)
    .where(lawyers.c.lawyer_id.in_(sa.bindparam("lawyer_ids", expanding=True)))
    .order_by(lawyers.c.lawyer_id)
    .with_for_update()
)
_ACTIVE_CASES_OF = (
    sa.select(assignments.c.lawyer_id, sa.func.count())
    .where(
        assignments.c.lawyer_id.in_(sa.bindparam("lawyer_ids", expanding=True)),
        assignments.c.status == AssignmentStatus.ACTIVE,
    )
    .group_by(assignments.c.lawyer_id)
)
_MARK_ASSIGNED = (
    sa.update(notices)
    .where(notices.c.notice_id == sa.bindparam("b_notice_id"))
    .values(
        status=NoticeStatus.ASSIGNED,
        unassignable_reason=None,
        last_decision=sa.bindparam("b_decision"),
        updated_at=sa.bindparam("b_at"),
    )
)


_HOLD_LAWYER = (
    sa.select(lawyers.c.max_concurrent_cases)
    .where(lawyers.c.lawyer_id == sa.bindparam("lawyer_id"))
    .with_for_update()
)
_ACTIVE_CASES = sa.select(sa.func.count()).where(
    assignments.c.lawyer_id == sa.bindparam("lawyer_id"),
    assignments.c.status == AssignmentStatus.ACTIVE,
)


class AidRepository:
    """The center's rows, read and written in the unit of work's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_case(self, case_id: UUID) -> None:
        """Serialise every appointment change of one case until the transaction ends."""
        await self.session.execute(_LOCK_CASE, {"case_key": str(case_id)})

    # --- requests ---------------------------------------------------------------------

    async def load_request(
        self, *, notice_id: UUID | None, application_id: UUID | None
    ) -> AidRequest:
        if notice_id is not None:
            query = sa.select(notices).where(notices.c.notice_id == notice_id)
        else:
            assert application_id is not None, "an appointment answers a notice or an application"
            query = sa.select(applications).where(applications.c.application_id == application_id)
        row = (await self.session.execute(query)).mappings().one()
        return AidRequest.of(row, notice_id=notice_id, application_id=application_id)

    async def find_request(
        self, *, notice_id: UUID | None, application_id: UUID | None
    ) -> AidRequest | None:
        if notice_id is not None:
            query = sa.select(notices).where(notices.c.notice_id == notice_id)
        else:
            query = sa.select(applications).where(applications.c.application_id == application_id)
        row = (await self.session.execute(query)).mappings().first()
        if row is None:
            return None
        return AidRequest.of(row, notice_id=notice_id, application_id=application_id)

    async def receive_case(
        self, case_id: UUID, values: dict[str, Any], suspect_rows: list[dict[str, Any]]
    ) -> None:
        """Upsert the case, then all its suspects (one executemany). Both statements are built
        once: a multi-row ``VALUES`` built per call, as this was, is compiled again on every
        call (SQLAlchemy caches no multi-values insert), which cost more than the round trip
        it saved. A suspect once a minor stays one."""
        await self.session.execute(_UPSERT_CASE, {"case_id": case_id, **values})
        if suspect_rows:
            await self.session.execute(_UPSERT_SUSPECTS, suspect_rows)

    async def notice(self, notice_id: UUID) -> Mapping[Any, Any] | None:
        row: Mapping[Any, Any] | None = (
            (await self.session.execute(sa.select(notices).where(notices.c.notice_id == notice_id)))
            .mappings()
            .first()
        )
        return row

    async def store_notice(self, values: dict[str, Any]) -> Mapping[Any, Any] | None:
        """The letter with its check's outcome and the case's district, in one statement that
        hands the row back; a letter already stored inserts nothing and returns None."""
        row: Mapping[Any, Any] | None = (
            (
                await self.session.execute(
                    _STORE_NOTICE, {**values, "district_of_case": values["case_id"]}
                )
            )
            .mappings()
            .first()
        )
        return row

    async def _row(
        self, key: sa.Column[Any], value: UUID, *, for_update: bool = False
    ) -> Mapping[Any, Any] | None:
        """The row of ``key``'s table whose ``key`` is ``value``; ``for_update`` holds it until
        the transaction ends."""
        query = sa.select(key.table).where(key == value)
        if for_update:
            query = query.with_for_update()
        row: Mapping[Any, Any] | None = (await self.session.execute(query)).mappings().first()
        return row

    async def _update_row(
        self, key: sa.Column[Any], value: UUID, values: dict[str, Any]
    ) -> Mapping[Any, Any]:
        """The columns of the row whose ``key`` is ``value`` changed; the row as written."""
        table = key.table
        assert isinstance(table, sa.Table)
        statement = sa.update(table).where(key == value).values(**values).returning(*table.c)
        row: Mapping[Any, Any] = (await self.session.execute(statement)).mappings().one()
        return row

    async def update_notice(self, notice_id: UUID, values: dict[str, Any]) -> Mapping[Any, Any]:
        """The notice's columns changed; the row as written."""
        return await self._update_row(notices.c.notice_id, notice_id, values)

    async def application(
        self, application_id: UUID, *, for_update: bool = False
    ) -> Mapping[Any, Any] | None:
        """One application; ``for_update`` holds its row until the transaction ends, so two
        staff members deciding at once are judged one after the other."""
        return await self._row(applications.c.application_id, application_id, for_update=for_update)

    async def store_report(self, values: dict[str, Any]) -> dict[str, Any]:
        row = (
            (
                await self.session.execute(
                    sa.insert(termination_reports)
                    .values(**values)
                    .returning(*termination_reports.c)
                )
            )
            .mappings()
            .one()
        )
        return dict(row)

    async def report(self, report_id: UUID, *, for_update: bool = False) -> dict[str, Any] | None:
        """One lawyer's report; ``for_update`` holds it, so two staff members deciding at once
        are judged one after the other."""
        row = await self._row(termination_reports.c.report_id, report_id, for_update=for_update)
        return dict(row) if row is not None else None

    async def update_report(self, report_id: UUID, values: dict[str, Any]) -> dict[str, Any]:
        return dict(await self._update_row(termination_reports.c.report_id, report_id, values))

    async def reports(
        self,
        *,
        center: str | None,
        lawyer_id: UUID | None,
        status: str | None = None,
        page: PageRequest | None = None,
    ) -> list[dict[str, Any]]:
        """Lawyers' reports by (reported_at, report_id): a lawyer's own, or a center's."""
        query = sa.select(termination_reports)
        if lawyer_id is not None:
            query = query.where(termination_reports.c.lawyer_id == lawyer_id)
        else:
            query = query.where(termination_reports.c.addressee_center == (center or ""))
        if status is not None:
            query = query.where(termination_reports.c.status == status)
        order = [termination_reports.c.reported_at, termination_reports.c.report_id]
        return await self._rows(query, order, page)

    async def lapsed_material_requests(self, as_of: date, *, limit: int) -> list[UUID]:
        """Applications whose day to supply the material asked for ended before ``as_of``
        without it, oldest day first, each row locked until the transaction ends. ``SKIP
        LOCKED``: a row another replica's check (or a staff member's decision) holds is that
        transaction's to finish, never taken twice nor waited for."""
        ids = await self.session.scalars(
            sa.select(applications.c.application_id)
            .where(
                applications.c.status == NoticeStatus.MATERIALS_REQUESTED,
                applications.c.materials_due_on < as_of,
            )
            .order_by(applications.c.materials_due_on, applications.c.application_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(ids)

    async def update_application(
        self, application_id: UUID, values: dict[str, Any]
    ) -> Mapping[Any, Any]:
        """The application's columns changed; the row as written."""
        return await self._update_row(applications.c.application_id, application_id, values)

    async def store_application(self, values: dict[str, Any]) -> Mapping[Any, Any] | None:
        """The application with the case's district, in one statement that hands the row back;
        an application already stored inserts nothing and returns None."""
        row: Mapping[Any, Any] | None = (
            (
                await self.session.execute(
                    pg_insert(applications)
                    .values(
                        **values,
                        district=sa.select(cases.c.district)
                        .where(cases.c.case_id == values["case_id"])
                        .scalar_subquery(),
                    )
                    .on_conflict_do_nothing(index_elements=[applications.c.application_id])
                    .returning(*applications.c)
                )
            )
            .mappings()
            .first()
        )
        return row

    async def mark_unassignable(
        self, request: AidRequest, *, failure: str, decision: dict[str, Any], at: datetime
    ) -> None:
        await self.session.execute(
            sa.update(request.table)
            .where(request.key)
            .values(
                status=NoticeStatus.UNASSIGNABLE,
                unassignable_reason=failure,
                last_decision=decision,
                updated_at=at,
            )
        )

    async def next_document_number(self, issuing_unit: str, year: int) -> int:
        """Draw the center's next document number in `year`. The upsert locks the counter row
        until the transaction ends, so concurrent appointments wait, and a rolled-back one
        gives its number back: unique and gap-free."""
        return int(
            await self.session.scalar(
                pg_insert(document_counters)
                .values(issuing_unit=issuing_unit, year=year, last_sequence=1)
                .on_conflict_do_update(
                    index_elements=["issuing_unit", "year"],
                    set_={"last_sequence": document_counters.c.last_sequence + 1},
                )
                .returning(document_counters.c.last_sequence)
            )
            or 0
        )

    async def reply_of(self, assignment_id: UUID) -> Mapping[Any, Any] | None:
        """What the reply (函告) prints: the assignment, its lawyer and firm, the case and the
        suspect, and the notice it answers (absent for an application)."""
        query = (
            sa.select(
                assignments.c.assignment_id,
                assignments.c.notice_id,
                assignments.c.application_id,
                assignments.c.assigned_at,
                assignments.c.document_number,
                assignments.c.previous_assignment_id,
                lawyers.c.name.label("lawyer_name"),
                lawyers.c.contact.label("lawyer_contact"),
                law_firms.c.name.label("firm_name"),
                cases.c.procuratorate_unit,
                suspects.c.suspect_id,
                suspects.c.name.label("suspect_name"),
                suspects.c.charges,
                notices.c.document_number.label("notice_number"),
                sa.func.coalesce(notices.c.addressee_center, applications.c.addressee_center).label(
                    "center"
                ),
            )
            .join(lawyers, lawyers.c.lawyer_id == assignments.c.lawyer_id)
            .join(law_firms, law_firms.c.firm_id == assignments.c.firm_id)
            .join(suspects, suspects.c.suspect_id == assignments.c.suspect_id)
            .join(cases, cases.c.case_id == suspects.c.case_id)
            .outerjoin(notices, notices.c.notice_id == assignments.c.notice_id)
            .outerjoin(applications, applications.c.application_id == assignments.c.application_id)
            .where(assignments.c.assignment_id == assignment_id)
        )
        return (await self.session.execute(query)).mappings().first()

    async def record_assignment(self, request: AidRequest, assignment: dict[str, Any]) -> None:
        """The new active assignment and the request's new state (assigned), together."""
        new_assignment = (
            sa.insert(assignments)
            .values(status=AssignmentStatus.ACTIVE, **assignment)
            .cte("new_assignment")
        )
        # The assignment and the request's new state in one statement (the insert runs as a
        # data-modifying WITH, to completion, even though the update does not read it); the
        # partial unique index behind Art. 13 still refuses it as before.
        await self.session.execute(
            sa.update(request.table)
            .where(request.key)
            .values(
                status=NoticeStatus.ASSIGNED,
                unassignable_reason=None,
                last_decision=assignment["decision"],
                updated_at=assignment["assigned_at"],
            )
            .add_cte(new_assignment)
        )

    async def await_reappointment(
        self, *, notice_id: UUID | None, application_id: UUID | None, at: datetime
    ) -> None:
        """The request's lawyer was refused with leave (Measures Art. 5 ¶1): it no longer says
        "assigned" while no lawyer is active."""
        table, key = _request_key(notice_id, application_id)
        await self.session.execute(
            sa.update(table)
            .where(key, table.c.status == NoticeStatus.ASSIGNED)
            .values(status=NoticeStatus.AWAITING_REAPPOINTMENT, updated_at=at)
        )

    async def restart_assignment_period(
        self,
        *,
        notice_id: UUID | None,
        application_id: UUID | None,
        started_at: datetime,
        due: Deadline,
    ) -> None:
        """A written request for another lawyer (Measures Art. 5) starts a new assignment
        period (``legal_calendar.deadlines.ASSIGNMENT``) from the request, on the notice or the
        granted application the aid came on (an application keeps only its due day)."""
        if notice_id is not None:
            await self.session.execute(
                sa.update(notices)
                .where(notices.c.notice_id == notice_id)
                .values(
                    assignment_started_at=started_at,
                    assignment_due_on=due.due_on,
                    assignment_due_provisional=due.provisional,
                    assignment_missing_years=list(due.missing_years),
                )
            )
        elif application_id is not None:
            await self.session.execute(
                sa.update(applications)
                .where(applications.c.application_id == application_id)
                .values(assignment_due_on=due.due_on)
            )

    async def close_requests(
        self, suspect_id: UUID, *, reason: str, detail: str | None, at: datetime
    ) -> None:
        """Every open notice and application of the suspect closed, with the reason kept (a
        refused or withdrawn application stays as decided)."""
        for table in (notices, applications):
            await self.session.execute(
                sa.update(table)
                .where(table.c.suspect_id == suspect_id, table.c.status.not_in(FINISHED))
                .values(
                    status=NoticeStatus.CLOSED,
                    closed_reason=reason,
                    closed_detail=detail,
                    closed_at=at,
                    updated_at=at,
                )
            )

    # --- the roster -------------------------------------------------------------------

    async def need_and_roster(
        self,
        request: Mapping[str, Any],
        *,
        at: datetime,
        recent_window_days: int,
        excluded_lawyer_ids: frozenset[UUID] = frozenset(),
    ) -> tuple[AssignmentNeed, Roster]:
        """What constrains the choice and whom it is made from, in one round trip. Both come
        from one snapshot, taken after the caller's case lock."""
        rows = (
            await self.session.execute(
                _NEED_AND_ROSTER,
                {
                    "suspect_id": request["suspect_id"],
                    "case_id": request["case_id"],
                    "today": legal_date(at),
                    "recent_since": at - timedelta(days=recent_window_days),
                },
            )
        ).all()
        on_roster = [row for row in rows if row.lawyer_id is not None]
        return _need_of(rows[0], request, excluded_lawyer_ids), Roster(
            candidates=[_candidate(row) for row in on_roster],
            rows={row.lawyer_id: row for row in on_roster},
        )

    # --- a consumer transaction's letters, together (use_cases/notice_batch.py) ----------

    async def store_notices(self, rows: list[dict[str, Any]]) -> dict[UUID, Mapping[Any, Any]]:
        """:meth:`store_notice` for several letters in one statement; the rows written, by
        notice id (a letter already stored is absent)."""
        result = await self.session.execute(
            _STORE_NOTICE, [{**values, "district_of_case": values["case_id"]} for values in rows]
        )
        return {row["notice_id"]: row for row in result.mappings()}

    async def lock_cases(self, case_ids: list[UUID]) -> None:
        """:meth:`lock_case` for several cases in one statement, in one order (the cases'
        keys sorted), so two transactions locking overlapping sets cannot deadlock on them."""
        keys = sorted({str(case_id) for case_id in case_ids})
        await self.session.execute(_LOCK_CASES, {"case_keys": keys})

    async def needs_and_roster(
        self, requests: list[Mapping[str, Any]], *, at: datetime, recent_window_days: int
    ) -> tuple[dict[UUID, AssignmentNeed], Roster]:
        """:meth:`need_and_roster` for several suspects of distinct cases: their needs in one
        statement, the roster (as at ``at``) in another."""
        needs = {
            row.suspect_id: row
            for row in await self.session.execute(
                _NEEDS,
                {
                    "suspect_ids": [request["suspect_id"] for request in requests],
                    "case_ids": [request["case_id"] for request in requests],
                },
            )
        }
        on_roster = (
            await self.session.execute(
                _ROSTER,
                {"today": legal_date(at), "recent_since": at - timedelta(days=recent_window_days)},
            )
        ).all()
        return {
            request["suspect_id"]: _need_of(needs[request["suspect_id"]], request, frozenset())
            for request in requests
        }, Roster(
            candidates=[_candidate(row) for row in on_roster],
            rows={row.lawyer_id: row for row in on_roster},
        )

    async def places_left(self, lawyer_ids: list[UUID]) -> dict[UUID, int]:
        """Hold the lawyers' roster rows (in id order) and count their free places under the
        locks, as :meth:`has_place` does for one (the count is a statement of its own, so it
        sees every appointment committed by whoever held a row before)."""
        maxima = dict(
            (await self.session.execute(_HOLD_LAWYERS, {"lawyer_ids": sorted(lawyer_ids)})).all()
        )
        active: dict[UUID, int] = dict(
            (await self.session.execute(_ACTIVE_CASES_OF, {"lawyer_ids": list(maxima)})).all()
        )
        return {
            lawyer_id: maximum - active.get(lawyer_id, 0) for lawyer_id, maximum in maxima.items()
        }

    async def next_document_numbers(self, issuing_unit: str, year: int, count: int) -> list[int]:
        """:meth:`next_document_number` drawn ``count`` times in one statement: the counter
        moves by ``count`` under the same row lock, so the numbers stay gap-free."""
        last = int(
            await self.session.scalar(
                pg_insert(document_counters)
                .values(issuing_unit=issuing_unit, year=year, last_sequence=count)
                .on_conflict_do_update(
                    index_elements=["issuing_unit", "year"],
                    set_={"last_sequence": document_counters.c.last_sequence + count},
                )
                .returning(document_counters.c.last_sequence)
            )
            or 0
        )
        return list(range(last - count + 1, last + 1))

    async def record_notice_assignments(self, rows: list[dict[str, Any]]) -> None:
        """:meth:`record_assignment` for several notices: the assignments in one insert, the
        notices marked assigned in one update (executemany: compiled once)."""
        await self.session.execute(
            sa.insert(assignments), [{"status": AssignmentStatus.ACTIVE, **row} for row in rows]
        )
        await self.session.execute(
            _MARK_ASSIGNED,
            [
                {
                    "b_notice_id": row["notice_id"],
                    "b_decision": row["decision"],
                    "b_at": row["assigned_at"],
                }
                for row in rows
            ],
        )

    async def hold_lawyer(self, lawyer_id: UUID) -> int | None:
        """Lock the lawyer's roster row until the transaction ends; returns their maximum.

        Every appointment holds the row of the lawyer it gives a place to, so appointments of
        one lawyer are serialised across cases and replicas, while different lawyers' go on in
        parallel."""
        return (
            await self.session.execute(_HOLD_LAWYER, {"lawyer_id": lawyer_id})
        ).scalar_one_or_none()

    async def has_place(self, chosen: Candidate) -> bool:
        """Whether the chosen lawyer still has a free place, counted under the lock on their
        row.

        The count is a statement of its own, after the lock is granted: under READ COMMITTED
        it then sees every appointment committed by whoever held the row before."""
        maximum = await self.hold_lawyer(chosen.lawyer_id)
        if maximum is None:
            return False
        active = (
            await self.session.execute(_ACTIVE_CASES, {"lawyer_id": chosen.lawyer_id})
        ).scalar_one()
        return int(active) < maximum

    async def lawyer_exists(self, lawyer_id: UUID) -> bool:
        found = await self.session.scalar(
            sa.select(lawyers.c.lawyer_id).where(lawyers.c.lawyer_id == lawyer_id)
        )
        return found is not None

    async def add_leave(self, leave: dict[str, Any]) -> None:
        await self.session.execute(sa.insert(lawyer_leaves).values(**leave))

    async def remove_leave(self, lawyer_id: UUID, leave_id: UUID) -> bool:
        """Whether the lawyer had that leave (now removed)."""
        removed = await self.session.scalar(
            sa.delete(lawyer_leaves)
            .where(lawyer_leaves.c.leave_id == leave_id, lawyer_leaves.c.lawyer_id == lawyer_id)
            .returning(lawyer_leaves.c.leave_id)
        )
        return removed is not None

    async def set_previous_stage_lawyer(
        self, suspect_id: UUID, *, lawyer_id: UUID, note: str | None
    ) -> None:
        values = {"lawyer_id": lawyer_id, "note": note}
        await self.session.execute(
            pg_insert(previous_stage_lawyers)
            .values(suspect_id=suspect_id, **values)
            .on_conflict_do_update(
                index_elements=[previous_stage_lawyers.c.suspect_id], set_=values
            )
        )

    async def lawyer_ref(self, lawyer_id: UUID) -> Lawyer:
        row = (
            await self.session.execute(
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

    async def practice_years(self, lawyer_id: UUID) -> int | None:
        years: int | None = await self.session.scalar(
            sa.select(lawyers.c.criminal_practice_years).where(lawyers.c.lawyer_id == lawyer_id)
        )
        return years

    async def mark_life_or_death(self, suspect_id: UUID) -> None:
        await self.session.execute(
            sa.update(suspects)
            .where(suspects.c.suspect_id == suspect_id)
            .values(likely_sentence=SentenceBand.LIFE_OR_DEATH.value)
        )

    # --- assignments ------------------------------------------------------------------

    async def assignment(self, assignment_id: UUID) -> dict[str, Any] | None:
        row = (
            (
                await self.session.execute(
                    sa.select(assignments).where(assignments.c.assignment_id == assignment_id)
                )
            )
            .mappings()
            .first()
        )
        return dict(row) if row is not None else None

    async def active_assignment(
        self, *, suspect_id: UUID, assignment_id: UUID | None = None
    ) -> dict[str, Any] | None:
        """The suspect's active assignment (the given one, if it is still active)."""
        query = sa.select(assignments).where(
            assignments.c.suspect_id == suspect_id, assignments.c.status == AssignmentStatus.ACTIVE
        )
        if assignment_id is not None:
            query = query.where(assignments.c.assignment_id == assignment_id)
        row = (await self.session.execute(query)).mappings().first()
        return dict(row) if row is not None else None

    async def refused_awaiting_reappointment(
        self, *, suspect_id: UUID, assignment_id: UUID
    ) -> dict[str, Any] | None:
        """The assignment, if it ended on an allowed refusal and no later assignment replaced
        it (and the suspect has no active one): the written request for another lawyer answers
        it."""
        later = assignments.alias("later")
        query = sa.select(assignments).where(
            assignments.c.assignment_id == assignment_id,
            assignments.c.suspect_id == suspect_id,
            assignments.c.status == AssignmentStatus.ENDED,
            assignments.c.end_reason == REFUSAL_ALLOWED,
            ~sa.exists().where(
                later.c.suspect_id == suspect_id,
                sa.or_(
                    later.c.previous_assignment_id == assignment_id,
                    later.c.status == AssignmentStatus.ACTIVE,
                ),
            ),
        )
        row = (await self.session.execute(query)).mappings().first()
        return dict(row) if row is not None else None

    async def end_assignment(
        self, assignment_id: UUID, *, reason: str, detail: str | None, at: datetime
    ) -> None:
        await self.session.execute(
            sa.update(assignments)
            .where(assignments.c.assignment_id == assignment_id)
            .values(
                status=AssignmentStatus.ENDED, ended_at=at, end_reason=reason, end_detail=detail
            )
        )

    async def record_stage_outcome(
        self, assignment_id: UUID, *, outcome: str, court: str, handed_over_at: datetime
    ) -> None:
        await self.session.execute(
            sa.update(assignments)
            .where(assignments.c.assignment_id == assignment_id)
            .values(stage_outcome=outcome, trial_court=court, handed_over_at=handed_over_at)
        )

    async def add_conflict_report(self, report: dict[str, Any]) -> None:
        await self.session.execute(sa.insert(conflict_reports).values(**report))

    async def link_conflict_replacement(self, report_id: UUID, assignment_id: UUID | None) -> None:
        await self.session.execute(
            sa.update(conflict_reports)
            .where(conflict_reports.c.report_id == report_id)
            .values(replacement_assignment_id=assignment_id)
        )

    async def add_activity(self, activity: dict[str, Any]) -> dict[str, Any]:
        """The activity written, as stored (with its ``logged_at``)."""
        row = (
            (
                await self.session.execute(
                    sa.insert(activities).values(**activity).returning(*activities.c)
                )
            )
            .mappings()
            .one()
        )
        return dict(row)

    async def activity_kinds(self, assignment_id: UUID) -> list[str]:
        return list(
            await self.session.scalars(
                sa.select(activities.c.kind).where(activities.c.assignment_id == assignment_id)
            )
        )

    async def add_quality_review(self, review: dict[str, Any]) -> None:
        await self.session.execute(sa.insert(quality_reviews).values(**review))

    async def latest_quality_rating(self, assignment_id: UUID) -> str | None:
        rating: str | None = await self.session.scalar(
            sa.select(quality_reviews.c.rating)
            .where(quality_reviews.c.assignment_id == assignment_id)
            .order_by(quality_reviews.c.reviewed_at.desc(), quality_reviews.c.review_id.desc())
            .limit(1)
        )
        return rating

    # --- subsidies --------------------------------------------------------------------

    async def list_subsidy_standards(self, page: PageRequest | None = None) -> list[dict[str, Any]]:
        """Every standard, by region, stage, kind and start (standard_id last)."""
        order = [
            subsidy_standards.c.region,
            subsidy_standards.c.stage,
            subsidy_standards.c.case_kind,
            subsidy_standards.c.valid_from,
            subsidy_standards.c.standard_id,
        ]
        return await self._rows(sa.select(subsidy_standards), order, page)

    async def put_subsidy_standard(self, values: dict[str, Any]) -> None:
        await self.session.execute(
            pg_insert(subsidy_standards)
            .values(**values)
            .on_conflict_do_update(index_elements=[subsidy_standards.c.standard_id], set_=values)
        )

    async def lock_subsidy_standards(self) -> None:
        """Standards are written one transaction at a time, so two overlapping ones cannot both
        pass the check."""
        await self.session.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext('subsidy_standards'))")
        )

    async def claim_context(self, assignment_id: UUID) -> dict[str, Any] | None:
        """What a claim needs of an assignment: its lawyer, suspect, center and district, and
        the suspect's likely sentence."""
        request_center = sa.func.coalesce(
            sa.select(notices.c.addressee_center)
            .where(notices.c.notice_id == assignments.c.notice_id)
            .scalar_subquery(),
            sa.select(applications.c.addressee_center)
            .where(applications.c.application_id == assignments.c.application_id)
            .scalar_subquery(),
        )
        row = (
            (
                await self.session.execute(
                    sa.select(
                        assignments.c.assignment_id,
                        assignments.c.case_id,
                        assignments.c.suspect_id,
                        assignments.c.lawyer_id,
                        assignments.c.firm_id,
                        request_center.label("addressee_center"),
                        cases.c.district,
                        suspects.c.likely_sentence,
                    )
                    .select_from(
                        assignments.outerjoin(
                            cases, cases.c.case_id == assignments.c.case_id
                        ).outerjoin(suspects, suspects.c.suspect_id == assignments.c.suspect_id)
                    )
                    .where(assignments.c.assignment_id == assignment_id)
                )
            )
            .mappings()
            .first()
        )
        return dict(row) if row is not None else None

    async def store_claim(self, values: dict[str, Any]) -> bool:
        """False when the assignment's claim exists already (one claim per assignment)."""
        stored = await self.session.execute(
            pg_insert(subsidy_claims)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[subsidy_claims.c.assignment_id])
            .returning(subsidy_claims.c.claim_id)
        )
        return stored.first() is not None

    async def claim(self, claim_id: UUID, *, for_update: bool = False) -> dict[str, Any] | None:
        row = await self._row(subsidy_claims.c.claim_id, claim_id, for_update=for_update)
        return dict(row) if row is not None else None

    async def update_claim(self, claim_id: UUID, values: dict[str, Any]) -> dict[str, Any]:
        return dict(await self._update_row(subsidy_claims.c.claim_id, claim_id, values))

    async def list_claims(
        self,
        *,
        center: str | None,
        lawyer_id: UUID | None = None,
        status: str | None = None,
        page: PageRequest | None = None,
    ) -> list[dict[str, Any]]:
        """Claims of a center (or a lawyer's own), by opening (opened_at, claim_id)."""
        query = sa.select(subsidy_claims)
        if center is not None:
            query = query.where(subsidy_claims.c.addressee_center == center)
        if lawyer_id is not None:
            query = query.where(subsidy_claims.c.lawyer_id == lawyer_id)
        if status is not None:
            query = query.where(subsidy_claims.c.status == status)
        order = [subsidy_claims.c.opened_at, subsidy_claims.c.claim_id]
        return await self._rows(query, order, page)

    async def finance_claims(
        self, *, center: str, firm_id: UUID | None = None
    ) -> list[dict[str, Any]]:
        """A center's claims (a firm's only, when given) with the lawyer's and the firm's
        names and the case's procuratorate and letter number, by lawyer and opening."""
        query = (
            sa.select(
                subsidy_claims,
                lawyers.c.name.label("lawyer_name"),
                law_firms.c.name.label("firm_name"),
                cases.c.procuratorate_unit,
                notices.c.document_number,
            )
            .select_from(
                subsidy_claims.outerjoin(lawyers, lawyers.c.lawyer_id == subsidy_claims.c.lawyer_id)
                .outerjoin(law_firms, law_firms.c.firm_id == subsidy_claims.c.firm_id)
                .outerjoin(cases, cases.c.case_id == subsidy_claims.c.case_id)
                .outerjoin(
                    assignments, assignments.c.assignment_id == subsidy_claims.c.assignment_id
                )
                .outerjoin(notices, notices.c.notice_id == assignments.c.notice_id)
            )
            .where(subsidy_claims.c.addressee_center == center)
            .order_by(lawyers.c.name, subsidy_claims.c.opened_at, subsidy_claims.c.claim_id)
        )
        if firm_id is not None:
            query = query.where(subsidy_claims.c.firm_id == firm_id)
        return [dict(row) for row in (await self.session.execute(query)).mappings()]

    # --- duty lawyers -----------------------------------------------------------------

    async def duty_request(self, request_id: UUID) -> dict[str, Any] | None:
        row = (
            (
                await self.session.execute(
                    sa.select(duty_requests).where(duty_requests.c.request_id == request_id)
                )
            )
            .mappings()
            .first()
        )
        return dict(row) if row is not None else None

    async def add_duty_request(self, request: dict[str, Any]) -> None:
        await self.session.execute(
            sa.insert(duty_requests).values(
                **request, status=DutyRequestStatus.UNASSIGNED, decision={}
            )
        )

    async def record_duty_outcome(self, request_id: UUID, values: dict[str, Any]) -> None:
        await self.session.execute(
            sa.update(duty_requests)
            .where(duty_requests.c.request_id == request_id)
            .values(**values)
        )

    async def record_duty_assignment(
        self,
        request_id: UUID,
        *,
        lawyer_id: UUID,
        station: str,
        mode: str,
        rota_day: date,
        at: datetime,
    ) -> None:
        """A duty lawyer assigned as ``DutyLawyerAssigned`` told it (a rebuild: the event names
        the station and the lawyer; the shift is the lawyer's at that station on the request's
        rota day)."""
        station_id = (
            sa.select(work_stations.c.station_id)
            .where(work_stations.c.name == station)
            .scalar_subquery()
        )
        await self.session.execute(
            sa.update(duty_requests)
            .where(duty_requests.c.request_id == request_id)
            .values(
                status=DutyRequestStatus.ASSIGNED,
                unassigned_reason=None,
                station_id=station_id,
                shift_id=sa.select(duty_shifts.c.shift_id)
                .where(
                    duty_shifts.c.station_id == station_id,
                    duty_shifts.c.lawyer_id == lawyer_id,
                    duty_shifts.c.on_date == rota_day,
                )
                .scalar_subquery(),
                lawyer_id=lawyer_id,
                mode=mode,
                assigned_at=at,
                updated_at=at,
            )
        )

    async def district_of_case(self, case_id: UUID) -> str | None:
        district: str | None = await self.session.scalar(
            sa.select(cases.c.district).where(cases.c.case_id == case_id)
        )
        return district

    async def co_suspect_firms(
        self, case_id: UUID, suspect_id: UUID
    ) -> dict[UUID, tuple[UUID, ...]]:
        rows = await self.session.execute(
            sa.select(assignments.c.firm_id, assignments.c.suspect_id).where(
                assignments.c.case_id == case_id,
                assignments.c.status == AssignmentStatus.ACTIVE,
                assignments.c.suspect_id != suspect_id,
            )
        )
        firms: dict[UUID, tuple[UUID, ...]] = {}
        for firm_id, other in rows:
            firms[firm_id] = (*firms.get(firm_id, ()), other)
        return firms

    async def rota_for(self, on_date: date) -> list[DutyShiftView]:
        """Every shift of the day, with each lawyer's leave, standing and requests served that
        day."""
        on_leave = sa.exists().where(
            lawyer_leaves.c.lawyer_id == lawyers.c.lawyer_id,
            lawyer_leaves.c.starts_on <= on_date,
            lawyer_leaves.c.ends_on >= on_date,
        )
        rows = (
            await self.session.execute(
                sa.select(
                    duty_shifts.c.shift_id,
                    duty_shifts.c.station_id,
                    duty_shifts.c.on_date,
                    duty_shifts.c.mode,
                    work_stations.c.name.label("station_name"),
                    work_stations.c.district.label("station_district"),
                    lawyers.c.lawyer_id,
                    lawyers.c.name.label("lawyer_name"),
                    lawyers.c.license_number,
                    lawyers.c.firm_id,
                    lawyers.c.active,
                    on_leave.label("on_leave"),
                )
                .join(work_stations, work_stations.c.station_id == duty_shifts.c.station_id)
                .join(lawyers, lawyers.c.lawyer_id == duty_shifts.c.lawyer_id)
                .where(duty_shifts.c.on_date == on_date)
            )
        ).all()
        served = Counter(
            (
                await self.session.scalars(
                    sa.select(duty_requests.c.lawyer_id)
                    .join(duty_shifts, duty_shifts.c.shift_id == duty_requests.c.shift_id)
                    .where(
                        duty_shifts.c.on_date == on_date,
                        duty_requests.c.status == DutyRequestStatus.ASSIGNED,
                    )
                )
            ).all()
        )
        return [
            DutyShiftView(
                shift_id=r.shift_id,
                station_id=r.station_id,
                station_name=r.station_name,
                station_district=r.station_district,
                lawyer_id=r.lawyer_id,
                lawyer_name=r.lawyer_name,
                license_number=r.license_number,
                firm_id=r.firm_id,
                on_date=r.on_date,
                mode=ServiceMode(r.mode),
                served_that_day=served[r.lawyer_id],
                on_leave=r.on_leave,
                active=r.active,
            )
            for r in rows
        ]

    # --- what the routes list and show ------------------------------------------------
    # Every list is read in one documented order that ends with a unique column; with a
    # ``page`` it is that page (keyset from the cursor on, its rows carrying their sort keys).

    async def _rows(
        self, query: sa.Select[Any], order: list[Any], page: PageRequest | None
    ) -> list[dict[str, Any]]:
        if page is None:
            found = (await self.session.execute(query.order_by(*order))).all()
        else:
            found = await page.fetch(self.session, query, order)
        return [dict(row._mapping) for row in found]

    async def _insert_unique(self, statement: Any) -> bool:
        """Whether the row went in; False when a unique key already held it (the savepoint
        keeps the transaction usable for the refusal)."""
        try:
            async with self.session.begin_nested():
                await self.session.execute(statement)
        except IntegrityError:
            return False
        return True

    async def notices_of_center(
        self,
        center: str,
        *,
        status: NoticeStatus | None = None,
        case_id: UUID | None = None,
        page: PageRequest | None = None,
    ) -> list[dict[str, Any]]:
        """The notices addressed to ``center``, by receipt (received_at, notice_id)."""
        query = sa.select(notices).where(notices.c.addressee_center == center)
        if status is not None:
            query = query.where(notices.c.status == status)
        if case_id is not None:
            query = query.where(notices.c.case_id == case_id)
        return await self._rows(query, [notices.c.received_at, notices.c.notice_id], page)

    async def applications_of_center(
        self,
        center: str,
        *,
        status: NoticeStatus | None = None,
        case_id: UUID | None = None,
        page: PageRequest | None = None,
    ) -> list[dict[str, Any]]:
        """The applications addressed to ``center``, by receipt (received_at, application_id)."""
        query = sa.select(applications).where(applications.c.addressee_center == center)
        if status is not None:
            query = query.where(applications.c.status == status)
        if case_id is not None:
            query = query.where(applications.c.case_id == case_id)
        order = [applications.c.received_at, applications.c.application_id]
        return await self._rows(query, order, page)

    async def store_firm(self, firm: dict[str, Any]) -> bool:
        """False when a firm of that name is on the roster."""
        return await self._insert_unique(sa.insert(law_firms).values(**firm))

    async def firm(self, firm_id: UUID) -> dict[str, Any] | None:
        row = (
            (await self.session.execute(sa.select(law_firms).where(law_firms.c.firm_id == firm_id)))
            .mappings()
            .first()
        )
        return dict(row) if row is not None else None

    async def firms_by_name(self, page: PageRequest | None = None) -> list[dict[str, Any]]:
        """The law firms by name (name, firm_id)."""
        return await self._rows(sa.select(law_firms), [law_firms.c.name, law_firms.c.firm_id], page)

    async def store_lawyer(self, lawyer: dict[str, Any]) -> bool:
        """False when the licence number is on the roster."""
        return await self._insert_unique(sa.insert(lawyers).values(**lawyer))

    async def lock_lawyer(self, lawyer_id: UUID) -> None:
        """Hold the lawyer's roster row until the transaction ends (a concurrent edit waits)."""
        await self.hold_lawyer(lawyer_id)

    async def update_lawyer(self, lawyer_id: UUID, values: dict[str, Any]) -> None:
        await self.session.execute(
            sa.update(lawyers).where(lawyers.c.lawyer_id == lawyer_id).values(**values)
        )

    async def lawyers_with_caseload(
        self,
        *,
        lawyer_ids: list[UUID] | None = None,
        firm_id: UUID | None = None,
        page: PageRequest | None = None,
    ) -> list[dict[str, Any]]:
        """Lawyers by licence number (license_number, lawyer_id), each with the firm's name,
        ``active_cases`` (their live assignments, counted) and ``leaves`` (by first day)."""
        active_cases = (
            sa.select(sa.func.count())
            .where(
                assignments.c.lawyer_id == lawyers.c.lawyer_id,
                assignments.c.status == AssignmentStatus.ACTIVE,
            )
            .scalar_subquery()
        )
        query = sa.select(
            lawyers, law_firms.c.name.label("firm_name"), active_cases.label("active_cases")
        ).join(law_firms, law_firms.c.firm_id == lawyers.c.firm_id)
        if lawyer_ids is not None:
            query = query.where(lawyers.c.lawyer_id.in_(lawyer_ids))
        if firm_id is not None:
            query = query.where(lawyers.c.firm_id == firm_id)
        rows = await self._rows(query, [lawyers.c.license_number, lawyers.c.lawyer_id], page)
        leaves: dict[UUID, list[dict[str, Any]]] = {}
        for leave in (
            await self.session.execute(
                sa.select(lawyer_leaves)
                .where(lawyer_leaves.c.lawyer_id.in_([r["lawyer_id"] for r in rows]))
                .order_by(lawyer_leaves.c.starts_on)
            )
        ).mappings():
            leaves.setdefault(leave["lawyer_id"], []).append(dict(leave))
        return [{**row, "leaves": leaves.get(row["lawyer_id"], [])} for row in rows]

    async def previous_stage_lawyer(
        self, suspect_id: UUID, *, lock: bool = False
    ) -> dict[str, Any] | None:
        """The lawyer recorded for the suspect's previous stage and the note, if any."""
        query = sa.select(previous_stage_lawyers.c.lawyer_id, previous_stage_lawyers.c.note).where(
            previous_stage_lawyers.c.suspect_id == suspect_id
        )
        row = (
            (await self.session.execute(query.with_for_update() if lock else query))
            .mappings()
            .first()
        )
        return dict(row) if row is not None else None

    async def assignments_where(
        self, wanted: AssignmentsQuery, page: PageRequest | None = None
    ) -> list[dict[str, Any]]:
        """The assignments ``wanted`` names, by assignment time (assigned_at, assignment_id)."""
        if wanted.own_lawyer_id is not None:
            query = sa.select(assignments).where(assignments.c.lawyer_id == wanted.own_lawyer_id)
        else:
            query = sa.select(assignments).where(_assignment_in_center(wanted.center or ""))
        for column, value in (
            (assignments.c.suspect_id, wanted.suspect_id),
            (assignments.c.case_id, wanted.case_id),
            (assignments.c.lawyer_id, wanted.lawyer_id),
            (assignments.c.status, wanted.status),
        ):
            if value is not None:
                query = query.where(column == value)
        order = [assignments.c.assigned_at, assignments.c.assignment_id]
        return await self._rows(query, order, page)

    async def active_assignments_of_center(self, center: str) -> list[dict[str, Any]]:
        """The center's active assignments, each with ``met``: whether a meeting with the
        suspect is logged."""
        met = sa.exists().where(
            activities.c.assignment_id == assignments.c.assignment_id,
            activities.c.kind == ActivityKind.MEETING.value,
        )
        query = sa.select(assignments, met.label("met")).where(
            assignments.c.status == AssignmentStatus.ACTIVE, _assignment_in_center(center)
        )
        return [dict(row) for row in (await self.session.execute(query)).mappings()]

    async def activities_of(
        self, assignment_id: UUID, page: PageRequest | None = None
    ) -> list[dict[str, Any]]:
        """The lawyer's work by day performed (performed_on, logged_at, activity_id)."""
        query = sa.select(activities).where(activities.c.assignment_id == assignment_id)
        order = [activities.c.performed_on, activities.c.logged_at, activities.c.activity_id]
        return await self._rows(query, order, page)

    async def quality_reviews_of(
        self, assignment_id: UUID, page: PageRequest | None = None
    ) -> list[dict[str, Any]]:
        """The assignment's quality reviews by review time (reviewed_at, review_id)."""
        query = sa.select(quality_reviews).where(quality_reviews.c.assignment_id == assignment_id)
        order = [quality_reviews.c.reviewed_at, quality_reviews.c.review_id]
        return await self._rows(query, order, page)

    async def duty_requests_where(
        self,
        *,
        status: DutyRequestStatus | None = None,
        case_id: UUID | None = None,
        page: PageRequest | None = None,
    ) -> list[dict[str, Any]]:
        """Duty-lawyer requests by request time (requested_at, request_id)."""
        query = sa.select(duty_requests)
        if status is not None:
            query = query.where(duty_requests.c.status == status)
        if case_id is not None:
            query = query.where(duty_requests.c.case_id == case_id)
        order = [duty_requests.c.requested_at, duty_requests.c.request_id]
        return await self._rows(query, order, page)

    async def store_work_station(self, station: dict[str, Any]) -> bool:
        """False when a station of that name exists."""
        return await self._insert_unique(sa.insert(work_stations).values(**station))

    async def work_station(self, station_id: UUID) -> dict[str, Any] | None:
        row = (
            (
                await self.session.execute(
                    sa.select(work_stations).where(work_stations.c.station_id == station_id)
                )
            )
            .mappings()
            .first()
        )
        return dict(row) if row is not None else None

    async def work_stations(
        self, *, district: str | None = None, page: PageRequest | None = None
    ) -> list[dict[str, Any]]:
        """Work stations by name (name, station_id)."""
        query = sa.select(work_stations)
        if district is not None:
            query = query.where(work_stations.c.district == district)
        return await self._rows(query, [work_stations.c.name, work_stations.c.station_id], page)

    async def store_shifts(self, shifts: list[dict[str, Any]]) -> bool:
        """False when the lawyer is already on the station's rota on one of the days."""
        return await self._insert_unique(sa.insert(duty_shifts).values(shifts))

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
        """Shifts with their station's and lawyer's names, by day, station name and licence
        number (on_date, station name, license_number, shift_id)."""
        query = (
            sa.select(
                duty_shifts.c.shift_id,
                duty_shifts.c.station_id,
                work_stations.c.name.label("station_name"),
                duty_shifts.c.lawyer_id,
                lawyers.c.name.label("lawyer_name"),
                duty_shifts.c.on_date,
                duty_shifts.c.mode,
            )
            .join(work_stations, work_stations.c.station_id == duty_shifts.c.station_id)
            .join(lawyers, lawyers.c.lawyer_id == duty_shifts.c.lawyer_id)
        )
        if shift_ids is not None:
            query = query.where(duty_shifts.c.shift_id.in_(shift_ids))
        if starts_on is not None:
            query = query.where(duty_shifts.c.on_date >= starts_on)
        if ends_on is not None:
            query = query.where(duty_shifts.c.on_date <= ends_on)
        if station_id is not None:
            query = query.where(duty_shifts.c.station_id == station_id)
        if lawyer_id is not None:
            query = query.where(duty_shifts.c.lawyer_id == lawyer_id)
        order = [
            duty_shifts.c.on_date,
            work_stations.c.name,
            lawyers.c.license_number,
            duty_shifts.c.shift_id,
        ]
        return await self._rows(query, order, page)

    async def shift_served(self, shift_id: UUID) -> bool | None:
        """Whether a request was served on the shift; None when there is no such shift."""
        found = (
            await self.session.execute(
                sa.select(
                    sa.exists().where(duty_requests.c.shift_id == duty_shifts.c.shift_id)
                ).where(duty_shifts.c.shift_id == shift_id)
            )
        ).scalar_one_or_none()
        return None if found is None else bool(found)

    async def remove_shift(self, shift_id: UUID) -> None:
        await self.session.execute(sa.delete(duty_shifts).where(duty_shifts.c.shift_id == shift_id))


def _assignment_in_center(center: str) -> sa.ColumnElement[bool]:
    """An assignment belongs to the center its notice or application was addressed to."""
    return sa.or_(
        assignments.c.notice_id.in_(
            sa.select(notices.c.notice_id).where(notices.c.addressee_center == center)
        ),
        assignments.c.application_id.in_(
            sa.select(applications.c.application_id).where(
                applications.c.addressee_center == center
            )
        ),
    )
