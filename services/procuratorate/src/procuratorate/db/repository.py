"""The case repository: how the use cases load and store a case, its suspects, their defense
(the :class:`SuspectDefense` aggregate), defenders, letters and clocks — ``uow.cases``.

Everything the defense path's use cases read or write goes through here, so a fake of this class
(in memory, ``tests/unit/fake_unit_of_work.py``) runs those use cases without a database. Rows
are returned as rows (attribute access); the aggregate is built by :func:`defense_from`, the
same way for the database and the fake.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSON, aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from defense_schemas.events.common import SuspectParticulars
from defense_schemas.vocabulary import (
    ClockKind,
    ClockOutcome,
    DefenseChoice,
    DefenseStatus,
    Ground,
    ReappointmentReason,
)
from legal_calendar import LEGAL_TIMEZONE, Deadline, LegalCalendar, Period, legal_date
from legal_calendar.deadlines import AfterTermination, letter_after_termination
from procuratorate.db.personal import (
    name_hash,
    open_facts,
    open_name,
    seal_facts,
    seal_letter,
    seal_name,
)
from procuratorate.db.tables import (
    case_transfers,
    cases,
    clocks,
    defenders,
    file_reviews,
    ground_discoveries,
    notice_counters,
    notices,
    procedural_decisions,
    statistics_months,
    statistics_stale,
    suspects,
    written_opinions,
)
from procuratorate.db.tables import timeline as timeline_table
from procuratorate.domain.clocks import deadline, review_deadline
from procuratorate.domain.defense_path import Defender, SuspectDefense
from procuratorate.domain.statistics import (
    APPOINTED,
    Tally,
    lawyer_label,
    tally_from_json,
    tally_to_json,
)
from procuratorate.domain.statuses import OPEN_NOTICE_STATUSES, ReviewStatus
from service_runtime.errors import NotFound
from service_runtime.paging import PageRequest
from service_runtime.security.fields import FieldCipher

CASE_LEFT_STATUSES = (ReviewStatus.NON_PROSECUTED.value, ReviewStatus.TRANSFERRED_OUT.value)
"""The case ended here, or went to another procuratorate: the defense path here is closed."""

LETTER_CLOCKS = (ClockKind.NOTICE_DISPATCH.value, ClockKind.RIGHTS_NOTIFICATION.value)


@dataclass(frozen=True)
class ActiveDefender:
    """What the aggregate reads of an active defender's row."""

    kind: str
    assignment_id: UUID | None
    retention_id: UUID | None


def _uuid(text: str | None) -> UUID | None:
    return UUID(text) if text is not None else None


def defense_from(
    case: Any,
    suspect: Any,
    *,
    active: Iterable[Any],
    open_clocks: Iterable[tuple[str, str | None]],
    letter_in_flight: bool,
    counsel_dismissed: bool,
    ended_for: Iterable[str] = (),
    assignment_clock_open: bool = False,
) -> SuspectDefense:
    """The suspect's defense aggregate from its stored state: ``active`` its active defenders'
    rows, ``open_clocks`` the (kind, subject) of its open rights-notification and letter
    clocks, ``ended_for`` the reasons its ended defenders ended for."""
    open_clocks = list(open_clocks)
    return SuspectDefense(
        suspect_id=suspect.suspect_id,
        grounds=tuple(Ground(g) for g in suspect.grounds),
        informed=suspect.rights_notified_at is not None,
        rights_clock_open=any(
            kind == ClockKind.RIGHTS_NOTIFICATION.value for kind, _ in open_clocks
        ),
        decision=DefenseChoice(suspect.decision) if suspect.decision else None,
        defenders=[
            Defender(DefenseStatus(row.kind), row.assignment_id or row.retention_id)
            for row in active
        ],
        self_defense_permitted=suspect.self_defense_permitted_at is not None,
        aid_terminated=suspect.aid_terminated,
        counsel_dismissed=counsel_dismissed,
        letter_in_flight=letter_in_flight,
        assignment_clock_open=assignment_clock_open,
        letter_clocks={
            subject or ""
            for kind, subject in open_clocks
            if kind == ClockKind.NOTICE_DISPATCH.value
        },
        handed_over=case.review_status == ReviewStatus.INDICTED.value,
        stage_left=case.review_status in CASE_LEFT_STATUSES
        or any(
            letter_after_termination(reason) is AfterTermination.DUTY_ENDS for reason in ended_for
        ),
    )


def clock_row(
    calendar: LegalCalendar,
    *,
    case_id: UUID,
    suspect_id: UUID | None,
    kind: ClockKind,
    started_at: datetime,
    period: Period,
    subject: str | None = None,
    in_custody: bool = False,
) -> tuple[dict[str, Any], Deadline]:
    """The ``clocks`` row :meth:`CaseRepository.start_clock` writes, for opening several clocks
    in one insert; its deadline is provisional (and says so) when the calendar lacks a year.
    ``in_custody``: a suspect of the case is detained (the review period does not roll over a
    holiday, CPL Art. 105; see :func:`review_deadline`)."""
    if kind is ClockKind.REVIEW_PERIOD:
        due = review_deadline(legal_date(started_at), period, calendar, in_custody=in_custody)
    else:
        due = deadline(legal_date(started_at), period, calendar)
    row = {
        "clock_id": uuid.uuid4(),
        "case_id": case_id,
        "suspect_id": suspect_id,
        "kind": kind.value,
        "subject": subject,
        "trigger_on": due.trigger,
        "due_on": due.due_on,
        "closes_at": due.closes_at,
        "provisional": due.provisional,
        "missing_years": list(due.missing_years),
    }
    return row, due


def review_values(due: Deadline | None) -> dict[str, Any]:
    """The ``cases`` columns that hold the review period's last day (none while the period
    stops), with whether it was guessed and for which years."""
    return {
        "review_deadline": due.due_on if due is not None else None,
        "review_deadline_provisional": due.provisional if due is not None else False,
        "review_deadline_missing_years": list(due.missing_years) if due is not None else [],
    }


SUSPECT_NEUTRAL_CASE_EVENTS = ("ReviewDeadlineRecounted",)
"""Events of the whole case that carry no suspect's data: every reader of the case sees them."""

CASE_EVENTS_NAMING_SUSPECTS = ("ProceduralDecisionMade", "ExpeditedProcedureApplied")
"""Events of the case that list the suspects they concern (``suspect_ids``): a reader limited
to some suspects sees those naming one of theirs. Any other event without a suspect (the
transfer, with every suspect's particulars) is for the unit's staff only."""


@dataclass(frozen=True)
class DueDay:
    """A stored deadline's last day, with the calendar years it was guessed for."""

    due_on: date
    missing_years: tuple[int, ...] = ()

    @property
    def provisional(self) -> bool:
        return bool(self.missing_years)


def review_due(case: Any) -> DueDay | None:
    """The case's review period's last day as stored (see :func:`review_values`); none while
    the period stops."""
    if case.review_deadline is None:
        return None
    return DueDay(case.review_deadline, tuple(case.review_deadline_missing_years))


def _defense_statement() -> sa.Select[Any]:
    """The defense aggregate's read: each part a subquery of its own, of the suspect ``sid``.
    Built once: constructing this tree (and its cache key) on every step cost more CPU than
    running it."""
    sid = sa.bindparam("sid", type_=sa.Uuid)
    open_clocks = sa.select(
        sa.func.json_agg(sa.func.json_build_array(clocks.c.kind, clocks.c.subject), type_=JSON)
    ).where(
        clocks.c.suspect_id == sid,
        clocks.c.outcome.is_(None),
        clocks.c.kind.in_(LETTER_CLOCKS),
    )
    letter_open = sa.exists().where(
        notices.c.suspect_id == sid, notices.c.status.in_(OPEN_NOTICE_STATUSES)
    )
    # A written request for another lawyer after an allowed refusal (Art. 5 ¶1) is in
    # flight like a letter until the center answers it: with the replacement, or with an
    # appointment or a failure recorded after it (the center's staff then work within its
    # assignment period, which the aggregate sees as ``assignment_clock_open``).
    answer = timeline_table.alias("answer")
    later = timeline_table.alias("later")
    reappointment_open = sa.exists().where(
        timeline_table.c.suspect_id == sid,
        timeline_table.c.event_type == "ReappointmentRequested",
        timeline_table.c.payload["reason"].astext
        == ReappointmentReason.REFUSAL_ALLOWED_NO_COUNSEL_RETAINED.value,
        ~sa.exists().where(
            answer.c.suspect_id == sid,
            answer.c.event_type == "LawyerReplaced",
            answer.c.payload["reappointment_request_id"].astext
            == timeline_table.c.payload["request_id"].astext,
        ),
        ~sa.exists().where(
            later.c.suspect_id == sid,
            later.c.event_type.in_(("AssignmentFailed", "LawyerAssigned")),
            later.c.id > timeline_table.c.id,
        ),
    )
    assignment_clock_open = sa.exists().where(
        clocks.c.suspect_id == sid,
        clocks.c.kind == ClockKind.ASSIGNMENT.value,
        clocks.c.outcome.is_(None),
    )
    ended_for = sa.select(sa.func.array_agg(sa.distinct(defenders.c.end_reason))).where(
        defenders.c.suspect_id == sid, defenders.c.end_reason.is_not(None)
    )
    dismissed = sa.exists().where(
        defenders.c.suspect_id == sid,
        defenders.c.kind == DefenseStatus.RETAINED.value,
        defenders.c.end_reason == "dismissed",
    )
    active = sa.select(
        sa.func.json_agg(
            aggregate_order_by(
                sa.func.json_build_array(
                    defenders.c.kind, defenders.c.assignment_id, defenders.c.retention_id
                ),
                defenders.c.id,
            ),
            type_=JSON,
        )
    ).where(defenders.c.suspect_id == sid, defenders.c.ended_at.is_(None))
    return sa.select(
        open_clocks.scalar_subquery().label("open_clocks"),
        letter_open.label("letter_open"),
        reappointment_open.label("reappointment_open"),
        assignment_clock_open.label("assignment_clock_open"),
        ended_for.scalar_subquery().label("ended_for"),
        dismissed.label("dismissed"),
        active.scalar_subquery().label("active"),
    )


_DEFENSE = _defense_statement()

# The statements every request of the pipeline sends, built once with bound parameters (see
# _defense_statement); their values are passed when they are executed.
_TRANSFER_LOCK = sa.select(
    sa.func.pg_advisory_xact_lock(sa.func.hashtext(sa.bindparam("key", type_=sa.Text)))
)
_CASE = sa.select(cases).where(cases.c.case_id == sa.bindparam("case_id", type_=sa.Uuid))
_CASE_LOCKED = _CASE.with_for_update()
_SUSPECT = sa.select(suspects).where(
    suspects.c.suspect_id == sa.bindparam("suspect_id", type_=sa.Uuid),
    suspects.c.case_id == sa.bindparam("case_id", type_=sa.Uuid),
)
_SUSPECT_LOCKED = _SUSPECT.with_for_update()
_UPDATE_SUSPECT = sa.update(suspects).where(
    suspects.c.suspect_id == sa.bindparam("b_suspect_id", type_=sa.Uuid)
)
"""The columns set are the execution's other parameters (named like the columns)."""
_MARK_INFORMED = _UPDATE_SUSPECT.values(
    rights_notified_at=sa.func.coalesce(
        suspects.c.rights_notified_at, sa.bindparam("b_at", type_=sa.DateTime(timezone=True))
    )
)
_NEXT_DOCUMENT_NUMBER = (
    pg_insert(notice_counters)
    .values(
        issuing_unit=sa.bindparam("b_issuing_unit"), year=sa.bindparam("b_year"), last_sequence=1
    )
    .on_conflict_do_update(
        index_elements=["issuing_unit", "year"],
        set_={"last_sequence": notice_counters.c.last_sequence + 1},
    )
    .returning(notice_counters.c.last_sequence)
)


# Inserts given their rows when executed: one row, or a list of rows with the same keys (sent as
# one multi-row statement: SQLAlchemy's insertmanyvalues, RETURNING included).
_INSERT_CASE = sa.insert(cases).returning(cases)
_INSERT_SUSPECTS = sa.insert(suspects).returning(suspects)
_INSERT_CLOCKS = sa.insert(clocks)
_INSERT_CLOCKS_RETURNING = _INSERT_CLOCKS.returning(clocks)
_INSERT_DISCOVERIES = sa.insert(ground_discoveries)
_INSERT_NOTICE = sa.insert(notices)
_UPSERT_TRANSFER = pg_insert(case_transfers)
_UPSERT_TRANSFER = _UPSERT_TRANSFER.on_conflict_do_update(
    index_elements=[
        case_transfers.c.procuratorate_unit,
        case_transfers.c.transferring_agency,
        case_transfers.c.transfer_number,
    ],
    set_={
        "receipt_kind": _UPSERT_TRANSFER.excluded.receipt_kind,
        "received_at": _UPSERT_TRANSFER.excluded.received_at,
    },
    where=case_transfers.c.case_id == _UPSERT_TRANSFER.excluded.case_id,
)


def _earlier_receipts_statement() -> sa.Select[Any]:
    unit = sa.bindparam("unit", type_=sa.Text)
    known = (
        sa.select(case_transfers.c.case_id)
        .where(
            case_transfers.c.procuratorate_unit == unit,
            case_transfers.c.transferring_agency == sa.bindparam("agency"),
            case_transfers.c.transfer_number == sa.bindparam("transfer_number"),
        )
        .scalar_subquery()
    )
    case_unit = (
        sa.select(cases.c.procuratorate_unit)
        .where(cases.c.case_id == sa.bindparam("case_id", type_=sa.Uuid))
        .scalar_subquery()
    )
    suspect_ids = sa.bindparam("suspect_ids", expanding=True, type_=sa.Uuid)

    def taken(same_unit: bool) -> Any:
        return (
            sa.select(sa.func.array_agg(suspects.c.suspect_id))
            .select_from(suspects.join(cases, cases.c.case_id == suspects.c.case_id))
            .where(
                suspects.c.suspect_id.in_(suspect_ids),
                (cases.c.procuratorate_unit == unit)
                if same_unit
                else (cases.c.procuratorate_unit != unit),
            )
            .scalar_subquery()
        )

    return sa.select(known, case_unit, taken(True), taken(False))


_EARLIER_RECEIPTS = _earlier_receipts_statement()

# What the aid center's answers (the letter accepted, the lawyer assigned) send.
_ACTIVE_DEFENDERS = (
    sa.select(defenders)
    .where(
        defenders.c.suspect_id == sa.bindparam("suspect_id", type_=sa.Uuid),
        defenders.c.ended_at.is_(None),
    )
    .order_by(defenders.c.id)
)
_INSERT_DEFENDER = sa.insert(defenders)
_DEFENDER_KIND = sa.select(defenders.c.kind).where(
    defenders.c.assignment_id == sa.bindparam("assignment_id", type_=sa.Uuid)
)
_UPDATE_NOTICE = sa.update(notices).where(
    notices.c.notice_id == sa.bindparam("b_notice_id", type_=sa.Uuid)
)
"""The columns set are the execution's other parameters (named like the columns)."""


@functools.cache
def _settle_clocks_statement(
    by_case: bool, by_suspect: bool, by_subject: bool, cancel: bool
) -> sa.Update:
    """Closing the open clocks of a kind, for the filters given: one statement per shape. (An
    UPDATE's parameters named like its table's columns would be set: hence ``b_``.)"""
    conditions = [clocks.c.kind == sa.bindparam("b_kind"), clocks.c.outcome.is_(None)]
    if by_case:
        conditions.append(clocks.c.case_id == sa.bindparam("b_case_id", type_=sa.Uuid))
    if by_suspect:
        conditions.append(clocks.c.suspect_id == sa.bindparam("b_suspect_id", type_=sa.Uuid))
    if by_subject:
        conditions.append(clocks.c.subject == sa.bindparam("b_subject"))
    in_time, late = (
        (ClockOutcome.CANCELLED, ClockOutcome.LAPSED)
        if cancel
        else (ClockOutcome.MET, ClockOutcome.MET_LATE)
    )
    at = sa.bindparam("b_at", type_=sa.DateTime(timezone=True))
    outcome = sa.case((clocks.c.closes_at > at, in_time.value), else_=late.value)
    return (
        sa.update(clocks)
        .where(*conditions)
        .values(met_at=at, outcome=outcome)
        .returning(clocks.c.outcome)
    )


@dataclass(frozen=True)
class EarlierReceipts:
    """What is already stored for a transfer about to be received."""

    known: UUID | None
    """The case this unit received the transfer as."""
    case_unit: str | None
    """The unit of the case that already has the requested case id."""
    taken_here: list[UUID]
    taken_elsewhere: list[UUID]
    """Requested suspect ids that belong to a case of this unit / of another unit."""


class CaseRepository:
    """The procuratorate's cases in PostgreSQL, inside the unit of work's transaction."""

    def __init__(
        self,
        session: AsyncSession,
        cipher: FieldCipher,
        calendar: LegalCalendar,
        *,
        before_timeline_read: Callable[[], Awaitable[None]],
    ) -> None:
        self._session = session
        self._flush = before_timeline_read
        """Writes the timeline rows the unit of work queued, so a read sees them."""
        self._cipher = cipher
        self.calendar = calendar
        self._locked: Any | None = None

    # The repository's statements are Core statements over tables: they go to the transaction's
    # connection, not through the ORM session's execution path (made for mapped classes, of
    # which there are none here), which cost about 100 µs of CPU more per statement.

    async def _execute(
        self, statement: sa.Executable, parameters: Any = None
    ) -> sa.CursorResult[*tuple[Any, ...]]:
        connection = await self._session.connection()
        return await connection.execute(statement, parameters)

    async def _scalar(self, statement: sa.Executable, parameters: Any = None) -> Any:
        return (await self._execute(statement, parameters)).scalar()

    async def _scalars(
        self, statement: sa.Executable, parameters: Any = None
    ) -> sa.ScalarResult[Any]:
        return (await self._execute(statement, parameters)).scalars()

    # -- receipts

    async def lock_transfer(self, unit: str, agency: str, transfer_number: str) -> None:
        """Serialise receipts of one transfer (until the transaction ends): two deliveries at
        once still make one case."""
        await self._execute(_TRANSFER_LOCK, {"key": unit + "|" + agency + "|" + transfer_number})

    async def earlier_receipts(
        self,
        unit: str,
        agency: str,
        transfer_number: str,
        case_id: UUID,
        suspect_ids: list[UUID],
    ) -> EarlierReceipts:
        """In one query: the case this unit received the transfer as, the unit of the case that
        has ``case_id``, and which of ``suspect_ids`` already belong to a case, of which unit."""
        parameters = {
            "unit": unit,
            "agency": agency,
            "transfer_number": transfer_number,
            "case_id": case_id,
            "suspect_ids": suspect_ids,
        }
        row = (await self._execute(_EARLIER_RECEIPTS, parameters)).one()
        return EarlierReceipts(row[0], row[1], list(row[2] or []), list(row[3] or []))

    async def add_received_case(self, **values: Any) -> Any:
        """Store a received case; returns its row as written."""
        return (await self._execute(_INSERT_CASE, values)).one()

    async def add_transfer(self, **values: Any) -> None:
        """Record a receipt of a transfer (the same transfer twice is one case). A re-transfer
        under the first transfer's number keeps that number on its case, with the latest
        receipt."""
        await self._execute(_UPSERT_TRANSFER, values)

    async def add_suspects(
        self, case_id: UUID, people: Iterable[tuple[SuspectParticulars, Iterable[Ground]]]
    ) -> list[Any]:
        """Store the case's suspects in the transfer's order, with their grounds (personal
        fields sealed); returns their rows as written, in that order."""
        rows = [
            {
                "suspect_id": facts.suspect_id,
                "case_id": case_id,
                "position": position,
                "name": seal_name(self._cipher, facts.suspect_id, facts.name),
                "name_hash": name_hash(self._cipher, facts.name),
                "facts": seal_facts(self._cipher, facts.suspect_id, facts.model_dump(mode="json")),
                "grounds": [g.value for g in grounds],
                "defense_status": DefenseStatus.NONE.value,
            }
            for position, (facts, grounds) in enumerate(people)
        ]
        if not rows:
            return []
        written = (await self._execute(_INSERT_SUSPECTS, rows)).all()
        return sorted(written, key=lambda row: row.position)

    # -- the case and its suspects

    def hand_over_locked(self, row: Any) -> None:
        """The case row was just read and locked in this transaction (by the route's access
        check): the first ``case(lock=True)`` of that case takes it instead of reading again."""
        self._locked = row

    async def case(self, case_id: UUID, *, lock: bool = False) -> Any:
        # Only the first read may take the handed-over row: later the case may have been written.
        handed_over, self._locked = self._locked, None
        if lock and handed_over is not None and handed_over.case_id == case_id:
            return handed_over
        # Locked, it serialises the steps of one case: decisions, counters, status changes.
        query = _CASE_LOCKED if lock else _CASE
        row = (await self._execute(query, {"case_id": case_id})).one_or_none()
        if row is None:
            raise NotFound("case", case_id)
        return row

    async def suspect(self, case_id: UUID, suspect_id: UUID, *, lock: bool = False) -> Any:
        query = _SUSPECT_LOCKED if lock else _SUSPECT
        row = (
            await self._execute(query, {"suspect_id": suspect_id, "case_id": case_id})
        ).one_or_none()
        if row is None:
            raise NotFound("suspect", suspect_id)
        return row

    def facts(self, suspect: Any) -> SuspectParticulars:
        """The suspect's facts, as last corrected, personal fields opened."""
        return SuspectParticulars.model_validate(open_facts(self._cipher, suspect))

    async def suspects_of(self, case_id: UUID) -> list[Any]:
        """The case's suspects, in the transfer's order."""
        return list(
            (
                await self._execute(
                    sa.select(suspects)
                    .where(suspects.c.case_id == case_id)
                    .order_by(suspects.c.position)
                )
            ).all()
        )

    async def store_facts(self, suspect_id: UUID, facts: SuspectParticulars) -> None:
        """Replace the suspect's facts (personal fields sealed)."""
        await self.update_suspect(
            suspect_id,
            facts=seal_facts(self._cipher, suspect_id, facts.model_dump(mode="json")),
            name=seal_name(self._cipher, suspect_id, facts.name),
            name_hash=name_hash(self._cipher, facts.name),
        )

    async def record_discoveries(
        self, suspect_id: UUID, grounds: Iterable[Ground], *, at: datetime
    ) -> None:
        """When each ground was found (the letter's 3 days count from it)."""
        rows = [
            {"suspect_id": suspect_id, "ground": ground.value, "discovered_at": at}
            for ground in grounds
        ]
        if rows:
            await self._execute(_INSERT_DISCOVERIES, rows)

    async def update_suspect(self, suspect_id: UUID, **values: Any) -> None:
        await self._execute(_UPDATE_SUSPECT, {"b_suspect_id": suspect_id, **values})

    async def mark_informed(self, suspect_id: UUID, at: datetime) -> None:
        """The suspect was informed of the right to counsel; a repeated notification keeps the
        first instant."""
        await self._execute(_MARK_INFORMED, {"b_suspect_id": suspect_id, "b_at": at})

    # -- the aggregate

    async def defense(self, case: Any, suspect: Any) -> SuspectDefense:
        """The suspect's defense aggregate (``suspect``: its row, locked by the caller when the
        step writes), read in one statement: each part a subquery of its own."""
        await self._flush()  # the timeline is read: events queued in this transaction count
        row = (await self._execute(_DEFENSE, {"sid": suspect.suspect_id})).one()
        return defense_from(
            case,
            suspect,
            active=[
                ActiveDefender(kind, _uuid(assignment_id), _uuid(retention_id))
                for kind, assignment_id, retention_id in row.active or ()
            ],
            open_clocks=[(kind, subject) for kind, subject in row.open_clocks or ()],
            letter_in_flight=bool(row.letter_open or row.reappointment_open),
            counsel_dismissed=bool(row.dismissed),
            ended_for=list(row.ended_for or ()),
            assignment_clock_open=bool(row.assignment_clock_open),
        )

    async def last_reappointment_requested_at(self, suspect_id: UUID) -> datetime | None:
        """When the procuratorate last asked the center in writing for another lawyer."""
        await self._flush()
        payload = await self._scalar(
            sa.select(timeline_table.c.payload)
            .where(
                timeline_table.c.suspect_id == suspect_id,
                timeline_table.c.event_type == "ReappointmentRequested",
            )
            .order_by(timeline_table.c.id.desc())
            .limit(1)
        )
        return datetime.fromisoformat(payload["requested_at"]) if payload else None

    # -- defenders

    async def active_defenders(self, suspect_id: UUID) -> list[Any]:
        return list((await self._execute(_ACTIVE_DEFENDERS, {"suspect_id": suspect_id})).all())

    async def add_defender(self, suspect_id: UUID, **values: Any) -> None:
        await self._execute(_INSERT_DEFENDER, {"suspect_id": suspect_id, **values})

    async def defender_kind(self, assignment_id: UUID) -> str | None:
        """The kind of defender an appointment made (on notice or on application)."""
        kind: str | None = await self._scalar(_DEFENDER_KIND, {"assignment_id": assignment_id})
        return kind

    async def end_defenders(
        self,
        suspect_id: UUID,
        *,
        at: datetime,
        reason: str,
        assignment_ids: Iterable[UUID] = (),
        retention_id: UUID | None = None,
    ) -> None:
        """End the suspect's active defenders of these assignments or this retention."""
        which = (
            defenders.c.retention_id == retention_id
            if retention_id is not None
            else defenders.c.assignment_id.in_(list(assignment_ids))
        )
        await self._execute(
            sa.update(defenders)
            .where(defenders.c.suspect_id == suspect_id, which, defenders.c.ended_at.is_(None))
            .values(ended_at=at, end_reason=reason)
        )

    # -- letters

    async def next_document_number(self, issuing_unit: str, year: int) -> int:
        """Draw the next number of `issuing_unit` in `year`. The upsert locks the counter row
        until the transaction ends, so concurrent letters wait, and a rolled-back letter gives
        its number back: unique and gap-free."""
        return int(
            await self._scalar(
                _NEXT_DOCUMENT_NUMBER, {"b_issuing_unit": issuing_unit, "b_year": year}
            )
            or 0
        )

    async def add_notice(self, notice_id: UUID, letter: dict[str, Any], **values: Any) -> None:
        """Store a letter; its personal fields are sealed."""
        letter_sealed = seal_letter(self._cipher, notice_id, letter)
        await self._execute(
            _INSERT_NOTICE, {"notice_id": notice_id, "letter": letter_sealed, **values}
        )

    async def notice(self, case_id: UUID, notice_id: UUID) -> Any:
        row = (
            await self._execute(
                sa.select(notices).where(
                    notices.c.notice_id == notice_id, notices.c.case_id == case_id
                )
            )
        ).one_or_none()
        if row is None:
            raise NotFound("notice", notice_id)
        return row

    async def update_notice(self, notice_id: UUID, **values: Any) -> None:
        await self._execute(_UPDATE_NOTICE, {"b_notice_id": notice_id, **values})

    async def earlier_materials(self, suspect_id: UUID) -> tuple[str, ...]:
        """The materials of the suspect's latest earlier letter, supplements included."""
        materials = await self._scalar(
            sa.select(notices.c.materials)
            .where(notices.c.suspect_id == suspect_id)
            .order_by(notices.c.sent_at.desc())
            .limit(1)
        )
        return tuple(materials or ())

    async def refusal_ruling(self, suspect_id: UUID, assignment_id: UUID) -> str | None:
        """The outcome of the latest ruling on a refusal of this assignment, if any."""
        await self._flush()
        outcome: str | None = await self._scalar(
            sa.select(timeline_table.c.payload["outcome"].astext)
            .where(
                timeline_table.c.suspect_id == suspect_id,
                timeline_table.c.event_type == "LawyerRefusalRuled",
                timeline_table.c.payload["assignment_id"].astext == str(assignment_id),
            )
            .order_by(timeline_table.c.id.desc())
            .limit(1)
        )
        return outcome

    # -- the review period

    async def set_review_deadline(self, case_id: UUID, due: Deadline) -> None:
        """Move the case's review period to ``due``: the case's last day and its open review
        period clock together, so the case view and the ledger show one day."""
        await self.update_case(case_id, **review_values(due))
        await self._execute(
            sa.update(clocks)
            .where(
                clocks.c.case_id == case_id,
                clocks.c.kind == ClockKind.REVIEW_PERIOD.value,
                clocks.c.outcome.is_(None),
            )
            .values(
                due_on=due.due_on,
                closes_at=due.closes_at,
                provisional=due.provisional,
                missing_years=list(due.missing_years),
            )
        )

    async def update_case(self, case_id: UUID, **values: Any) -> None:
        await self._execute(sa.update(cases).where(cases.c.case_id == case_id).values(**values))

    async def provisional_review_periods(self) -> list[Any]:
        """The cases under review whose review period's last day was guessed, locked."""
        return list(
            (
                await self._execute(
                    sa.select(cases)
                    .where(
                        cases.c.review_status == ReviewStatus.UNDER_REVIEW.value,
                        cases.c.review_deadline_provisional.is_(True),
                    )
                    .order_by(cases.c.case_id)
                    .with_for_update()
                )
            ).all()
        )

    # -- procedural decisions

    async def add_procedural_decision(self, **values: Any) -> None:
        await self._execute(sa.insert(procedural_decisions).values(**values))

    async def last_decided_at(self, case_id: UUID) -> datetime | None:
        """When the case's latest procedural decision was made, if any."""
        at: datetime | None = await self._scalar(
            sa.select(sa.func.max(procedural_decisions.c.decided_at)).where(
                procedural_decisions.c.case_id == case_id
            )
        )
        return at

    # -- the lawyer's work

    async def add_file_review(self, **values: Any) -> None:
        await self._execute(sa.insert(file_reviews).values(**values))

    async def file_review(self, case_id: UUID, request_id: UUID) -> Any:
        row = (
            await self._execute(
                sa.select(file_reviews).where(
                    file_reviews.c.request_id == request_id, file_reviews.c.case_id == case_id
                )
            )
        ).one_or_none()
        if row is None:
            raise NotFound("file review request", request_id)
        return row

    async def update_file_review(self, request_id: UUID, **values: Any) -> None:
        await self._execute(
            sa.update(file_reviews).where(file_reviews.c.request_id == request_id).values(**values)
        )

    async def file_reviews_of(
        self, case_id: UUID, page: PageRequest | None = None
    ) -> list[dict[str, Any]]:
        """The case's file review requests by (requested_at, request_id), each with the last
        day of its Art. 8 clock (``latest_review_date``); one page of them if ``page``."""
        query = (
            sa.select(
                file_reviews,
                clocks.c.due_on.label("due_on"),
                clocks.c.missing_years.label("missing_years"),
            )
            .join(
                clocks,
                sa.and_(
                    clocks.c.kind == ClockKind.FILE_REVIEW.value,
                    clocks.c.subject == sa.cast(file_reviews.c.request_id, sa.String),
                ),
            )
            .where(file_reviews.c.case_id == case_id)
        )
        order = [file_reviews.c.requested_at, file_reviews.c.request_id]
        if page is None:
            rows = (await self._execute(query.order_by(*order))).all()
        else:
            rows = await page.fetch(self._session, query, order)
        return [
            {
                **{key: row._mapping[key] for key in file_reviews.c.keys()},
                "latest_review_date": DueDay(row.due_on, tuple(row.missing_years)),
            }
            for row in rows
        ]

    async def add_written_opinion(self, **values: Any) -> None:
        await self._execute(sa.insert(written_opinions).values(**values))

    # -- what the case view and the ledger show

    async def clocks_of(self, case_ids: Iterable[UUID]) -> list[Any]:
        """Every clock of these cases, by trigger day and due day."""
        return list(
            (
                await self._execute(
                    sa.select(clocks)
                    .where(clocks.c.case_id.in_(list(case_ids)))
                    .order_by(clocks.c.trigger_on, clocks.c.due_on)
                )
            ).all()
        )

    async def defenders_of(self, suspect_ids: Iterable[UUID]) -> list[Any]:
        """Every defender (active or ended) of these suspects, in the order they came."""
        return list(
            (
                await self._execute(
                    sa.select(defenders)
                    .where(defenders.c.suspect_id.in_(list(suspect_ids)))
                    .order_by(defenders.c.id)
                )
            ).all()
        )

    async def notices_of(self, case_id: UUID) -> list[Any]:
        """The case's letters, in the order they were sent."""
        return list(
            (
                await self._execute(
                    sa.select(notices)
                    .where(notices.c.case_id == case_id)
                    .order_by(notices.c.sent_at)
                )
            ).all()
        )

    async def timeline_of(
        self,
        case_id: UUID,
        page: PageRequest | None = None,
        *,
        suspect_ids: Iterable[UUID] | None = None,
    ) -> list[Any]:
        """Every event of the case, both sides, in the order it was recorded (one page of
        them when ``page`` is given). With ``suspect_ids``, only what concerns those suspects:
        their own events, and of the case's events those that name one of them or name no
        suspect's data at all (``SUSPECT_NEUTRAL_CASE_EVENTS``)."""
        await self._flush()
        query = sa.select(timeline_table).where(timeline_table.c.case_id == case_id)
        if suspect_ids is not None:
            wanted = list(suspect_ids)
            naming = [
                timeline_table.c.payload["suspect_ids"].contains([str(suspect_id)])
                for suspect_id in wanted
            ]
            query = query.where(
                sa.or_(
                    timeline_table.c.suspect_id.in_(wanted),
                    sa.and_(
                        timeline_table.c.suspect_id.is_(None),
                        sa.or_(
                            timeline_table.c.event_type.in_(SUSPECT_NEUTRAL_CASE_EVENTS),
                            sa.and_(
                                timeline_table.c.event_type.in_(CASE_EVENTS_NAMING_SUSPECTS),
                                sa.or_(*naming),
                            ),
                        ),
                    ),
                )
            )
        if page is not None:
            return await page.fetch(self._session, query, [timeline_table.c.id])
        return list((await self._execute(query.order_by(timeline_table.c.id))).all())

    async def terminations_of(self, suspect_ids: Iterable[UUID]) -> list[tuple[UUID, str]]:
        """(suspect, reason) of every termination of aid of these suspects, in order."""
        await self._flush()
        rows = (
            await self._execute(
                sa.select(
                    timeline_table.c.suspect_id,
                    timeline_table.c.payload["reason"].astext.label("reason"),
                )
                .where(
                    timeline_table.c.event_type == "AidTerminated",
                    timeline_table.c.suspect_id.in_(list(suspect_ids)),
                )
                .order_by(timeline_table.c.id)
            )
        ).all()
        return [(row.suspect_id, row.reason) for row in rows]

    async def ledger_rows(
        self,
        *,
        procuratorate_unit: str | None = None,
        district: str | None = None,
        status: DefenseStatus | None = None,
        received_from: datetime | None = None,
        received_before: datetime | None = None,
        overdue: tuple[bool, datetime] | None = None,
        page: PageRequest | None = None,
    ) -> list[Any]:
        """One row per suspect (with the case's columns the ledger shows), by receipt, case and
        the transfer's order; ``received_before`` is exclusive. ``overdue`` = (wanted, now):
        only suspects that have (or have not) a clock open past its close at ``now``, their
        own or the case's review period. With ``page``: from its cursor on, with the sort keys
        (``paging.sort_keys``), ``limit + 1`` rows."""
        order = [cases.c.received_at, cases.c.case_id, suspects.c.position]
        query = self._ledger_selection(
            sa.select(
                cases.c.case_id,
                cases.c.transfer_number,
                cases.c.procuratorate_unit,
                cases.c.district,
                cases.c.received_at,
                cases.c.review_status,
                cases.c.review_deadline,
                cases.c.review_deadline_missing_years,
                suspects.c.suspect_id,
                suspects.c.name,
                suspects.c.defense_status,
                suspects.c.grounds,
                suspects.c.position,
            ),
            procuratorate_unit=procuratorate_unit,
            district=district,
            status=status,
            received_from=received_from,
            received_before=received_before,
            overdue=overdue,
        )
        if page is None:
            query = query.order_by(*order)
        else:
            query = page.keyset(query, order)
        return list((await self._execute(query)).all())

    @staticmethod
    def _ledger_selection(
        columns: sa.Select[Any],
        *,
        procuratorate_unit: str | None,
        district: str | None,
        status: DefenseStatus | None,
        received_from: datetime | None,
        received_before: datetime | None,
        overdue: tuple[bool, datetime] | None,
    ) -> sa.Select[Any]:
        """``columns`` over the suspects (joined to their cases) the ledger's filter selects."""
        query = columns.select_from(cases).join(suspects, suspects.c.case_id == cases.c.case_id)
        if procuratorate_unit is not None:
            query = query.where(cases.c.procuratorate_unit == procuratorate_unit)
        if district is not None:
            query = query.where(cases.c.district == district)
        if status is not None:
            query = query.where(suspects.c.defense_status == status.value)
        if received_from is not None:
            query = query.where(cases.c.received_at >= received_from)
        if received_before is not None:
            query = query.where(cases.c.received_at < received_before)
        if overdue is not None:
            wanted, now = overdue
            # The rule of procuratorate.domain.statistics.is_overdue, as a predicate: the page
            # is cut by the query, not after reading every row past the cursor.
            open_past_close = (
                sa.exists()
                .where(
                    sa.or_(
                        clocks.c.suspect_id == suspects.c.suspect_id,
                        sa.and_(clocks.c.suspect_id.is_(None), clocks.c.case_id == cases.c.case_id),
                    ),
                    clocks.c.met_at.is_(None),
                    sa.func.coalesce(clocks.c.outcome, "") != "cancelled",
                    clocks.c.closes_at <= now,
                )
                .correlate(suspects, cases)
            )
            query = query.where(open_past_close if wanted else ~open_past_close)
        return query

    async def statistics_tallies(
        self,
        now: datetime,
        *,
        procuratorate_unit: str | None = None,
        district: str | None = None,
        status: DefenseStatus | None = None,
        received_from: datetime | None = None,
        received_before: datetime | None = None,
        overdue: tuple[bool, datetime] | None = None,
        next_change: dict[tuple[str, date], datetime] | None = None,
    ) -> list[tuple[str, date, Tally]]:
        """The statistics' measures of the suspects ``ledger_rows`` selects, summed by the
        database per district and receipt month (legal time): four grouped queries whose
        answer grows with the districts and months, not with the suspects. ``next_change``
        gets, per month that has one, the first close after ``now`` of an open clock (when
        the month's overdue counts change without a write)."""
        await self._flush()
        month = sa.cast(
            sa.func.date_trunc("month", sa.func.timezone(str(LEGAL_TIMEZONE), cases.c.received_at)),
            sa.Date,
        ).label("month")
        selected = self._ledger_selection(
            sa.select(
                suspects.c.suspect_id,
                suspects.c.case_id,
                suspects.c.defense_status,
                suspects.c.grounds,
                cases.c.district,
                month,
            ),
            procuratorate_unit=procuratorate_unit,
            district=district,
            status=status,
            received_from=received_from,
            received_before=received_before,
            overdue=overdue,
        ).cte("selected")
        tallies: dict[tuple[str, date], Tally] = {}

        def tally(row: Any) -> Tally:
            return tallies.setdefault((row.district, row.month), Tally())

        mandatory = sa.func.jsonb_array_length(selected.c.grounds) > 0
        for row in await self._execute(
            sa.select(
                selected.c.district,
                selected.c.month,
                selected.c.defense_status,
                mandatory.label("mandatory"),
                sa.func.count().label("n"),
            ).group_by(selected.c.district, selected.c.month, selected.c.defense_status, mandatory)
        ):
            tally(row).suspects[(row.defense_status, row.mandatory)] += row.n

        # A suspect's own clocks, and the case's (no suspect) once if any of its suspects is
        # selected; the rule of compute_statistics: cancelled counts nowhere, met is settled
        # (on time before the exclusive close), open at or past the close is overdue.
        case_selected = sa.exists().where(selected.c.case_id == clocks.c.case_id)
        counted = (
            sa.select(
                clocks.c.kind,
                clocks.c.met_at,
                clocks.c.closes_at,
                clocks.c.outcome,
                selected.c.district,
                selected.c.month,
            )
            .join(selected, selected.c.suspect_id == clocks.c.suspect_id)
            .union_all(
                sa.select(
                    clocks.c.kind,
                    clocks.c.met_at,
                    clocks.c.closes_at,
                    clocks.c.outcome,
                    cases.c.district,
                    month,
                )
                .join(cases, cases.c.case_id == clocks.c.case_id)
                .where(clocks.c.suspect_id.is_(None), case_selected)
            )
            .subquery("counted")
        )
        live = sa.func.coalesce(counted.c.outcome, "") != "cancelled"
        met = sa.and_(live, counted.c.met_at.is_not(None))
        for row in await self._execute(
            sa.select(
                counted.c.district,
                counted.c.month,
                counted.c.kind,
                sa.func.count().filter(met).label("settled"),
                sa.func.count()
                .filter(met, counted.c.met_at < counted.c.closes_at)
                .label("on_time"),
                sa.func.count()
                .filter(live, counted.c.met_at.is_(None), counted.c.closes_at <= now)
                .label("overdue"),
                sa.func.min(counted.c.closes_at)
                .filter(live, counted.c.met_at.is_(None), counted.c.closes_at > now)
                .label("next_close"),
            ).group_by(counted.c.district, counted.c.month, counted.c.kind)
        ):
            tally(row).clocks[row.kind] = [row.settled, row.on_time, row.overdue]
            if next_change is not None and row.next_close is not None:
                key = (row.district, row.month)
                next_change[key] = min(next_change.get(key, row.next_close), row.next_close)

        reason = timeline_table.c.payload["reason"].astext
        for row in await self._execute(
            sa.select(
                selected.c.district,
                selected.c.month,
                reason.label("reason"),
                sa.func.count().label("n"),
            )
            .join(timeline_table, timeline_table.c.suspect_id == selected.c.suspect_id)
            .where(timeline_table.c.event_type == "AidTerminated")
            .group_by(selected.c.district, selected.c.month, reason)
        ):
            tally(row).terminations[row.reason] += row.n

        for row in await self._execute(
            sa.select(
                selected.c.district,
                selected.c.month,
                defenders.c.name,
                defenders.c.firm,
                sa.func.count().label("n"),
                sa.func.count().filter(defenders.c.ended_at.is_(None)).label("active"),
            )
            .join(defenders, defenders.c.suspect_id == selected.c.suspect_id)
            .where(defenders.c.kind.in_([kind.value for kind in APPOINTED]))
            .group_by(selected.c.district, selected.c.month, defenders.c.name, defenders.c.firm)
        ):
            load = tally(row).lawyers.setdefault(lawyer_label(row.name, row.firm), [0, 0])
            load[0] += row.n
            load[1] += row.active
        return [(district, day, t) for (district, day), t in tallies.items()]

    async def statistics_by_month(
        self, now: datetime, *, procuratorate_unit: str | None, district: str | None
    ) -> list[tuple[str, date, Tally]]:
        """What ``statistics_tallies`` gives with only a unit and a district chosen, read from
        ``statistics_months``: the months a write made stale since (``statistics_stale``,
        filled by triggers) or whose next open clock has closed since are counted again
        first, so the cost follows the months and the writes since the last read, not the
        history."""
        await self._flush()
        of_unit = (
            [statistics_stale.c.procuratorate_unit == procuratorate_unit]
            if procuratorate_unit is not None
            else []
        )
        stale = {
            (row.procuratorate_unit, row.district, row.month)
            for row in await self._session.execute(
                sa.delete(statistics_stale)
                .where(*of_unit)
                .returning(
                    statistics_stale.c.procuratorate_unit,
                    statistics_stale.c.district,
                    statistics_stale.c.month,
                )
            )
        }
        months_of_unit = (
            [statistics_months.c.procuratorate_unit == procuratorate_unit]
            if procuratorate_unit is not None
            else []
        )
        stale.update(
            (row.procuratorate_unit, row.district, row.month)
            for row in await self._session.execute(
                sa.select(
                    statistics_months.c.procuratorate_unit,
                    statistics_months.c.district,
                    statistics_months.c.month,
                ).where(*months_of_unit, statistics_months.c.valid_until <= now)
            )
        )
        by_unit: dict[str, set[tuple[str, date]]] = {}
        for unit, in_district, month in stale:
            by_unit.setdefault(unit, set()).add((in_district, month))
        for unit, months in sorted(by_unit.items()):
            # Readers that found the same unit stale count it one after the other (each
            # writes what it counted; the later one's count is the newer).
            await self._session.execute(
                sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(f"statistics:{unit}")))
            )
            await self._count_months(now, unit, months)
        rows = await self._session.execute(
            sa.select(
                statistics_months.c.district,
                statistics_months.c.month,
                statistics_months.c.tallies,
            ).where(
                *months_of_unit,
                *([statistics_months.c.district == district] if district is not None else []),
            )
        )
        tallies: dict[tuple[str, date], Tally] = {}
        for row in rows:
            tallies.setdefault((row.district, row.month), Tally()).add(tally_from_json(row.tallies))
        return [(d, month, t) for (d, month), t in sorted(tallies.items())]

    # Past this many stale months of a unit, one pass over the unit beats a pass per month.
    WHOLE_UNIT_AFTER = 12

    async def _count_months(self, now: datetime, unit: str, months: set[tuple[str, date]]) -> None:
        """``statistics_months`` of ``months`` counted again (a month with no suspect left is
        removed)."""
        counted: list[tuple[str, date, Tally]] = []
        next_change: dict[tuple[str, date], datetime] = {}
        if len(months) > self.WHOLE_UNIT_AFTER:
            counted = await self.statistics_tallies(
                now, procuratorate_unit=unit, next_change=next_change
            )
            await self._session.execute(
                sa.delete(statistics_months).where(statistics_months.c.procuratorate_unit == unit)
            )
        else:
            for in_district, month in sorted(months):
                first = datetime.combine(month, datetime.min.time(), tzinfo=LEGAL_TIMEZONE)
                following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
                after = datetime.combine(following, datetime.min.time(), tzinfo=LEGAL_TIMEZONE)
                counted += await self.statistics_tallies(
                    now,
                    procuratorate_unit=unit,
                    district=in_district,
                    received_from=first,
                    received_before=after,
                    next_change=next_change,
                )
                await self._session.execute(
                    sa.delete(statistics_months).where(
                        statistics_months.c.procuratorate_unit == unit,
                        statistics_months.c.district == in_district,
                        statistics_months.c.month == month,
                    )
                )
        if counted:
            upsert = pg_insert(statistics_months)
            await self._session.execute(
                upsert.on_conflict_do_update(
                    index_elements=[
                        statistics_months.c.procuratorate_unit,
                        statistics_months.c.district,
                        statistics_months.c.month,
                    ],
                    set_={
                        "tallies": upsert.excluded.tallies,
                        "valid_until": upsert.excluded.valid_until,
                    },
                ),
                [
                    {
                        "procuratorate_unit": unit,
                        "district": in_district,
                        "month": month,
                        "tallies": tally_to_json(tally),
                        "valid_until": next_change.get((in_district, month)),
                    }
                    for in_district, month, tally in counted
                ],
            )

    async def open_clocks(
        self, procuratorate_unit: str, page: PageRequest, *, due_to: date | None = None
    ) -> list[Any]:
        """One page of the unit's open clocks (the suspects' and the cases' review periods),
        by (due day, close, clock id), with the case and suspect they belong to: today's work
        as a query. Walks ``ix_clocks_open_due`` (open clocks only, by due day), so the cost
        follows the open clocks, not the history."""
        order = [clocks.c.due_on, clocks.c.closes_at, clocks.c.clock_id]
        query = (
            sa.select(
                clocks.c.clock_id,
                clocks.c.kind,
                clocks.c.subject,
                clocks.c.trigger_on,
                clocks.c.due_on,
                clocks.c.closes_at,
                clocks.c.provisional,
                clocks.c.missing_years,
                cases.c.case_id,
                cases.c.transfer_number,
                cases.c.district,
                suspects.c.suspect_id,
                suspects.c.name,
            )
            .join(cases, cases.c.case_id == clocks.c.case_id)
            .outerjoin(suspects, suspects.c.suspect_id == clocks.c.suspect_id)
            .where(
                cases.c.procuratorate_unit == procuratorate_unit,
                clocks.c.met_at.is_(None),
                sa.func.coalesce(clocks.c.outcome, "") != ClockOutcome.CANCELLED.value,
            )
        )
        if due_to is not None:
            query = query.where(clocks.c.due_on <= due_to)
        return await page.fetch(self._session, query, order)

    def suspect_name(self, row: Any) -> str:
        """A suspect's name, opened (``row``: a suspects row or a ledger row)."""
        return open_name(self._cipher, row)

    # -- clocks

    async def clock(
        self, kind: ClockKind, *, suspect_id: UUID | None = None, subject: str | None = None
    ) -> Any | None:
        """The first clock of ``kind`` for this suspect or subject (open or settled)."""
        query = sa.select(clocks).where(clocks.c.kind == kind.value)
        if suspect_id is not None:
            query = query.where(clocks.c.suspect_id == suspect_id)
        if subject is not None:
            query = query.where(clocks.c.subject == subject)
        return (await self._execute(query.order_by(clocks.c.trigger_on).limit(1))).first()

    async def lock_recount(self) -> None:
        """One calendar recount at a time across replicas (until the transaction ends)."""
        await self._execute(
            sa.select(
                sa.func.pg_advisory_xact_lock(
                    sa.func.hashtextextended("procuratorate-clock-recount", 0)
                )
            )
        )

    async def provisional_clocks(self, kinds: Iterable[ClockKind]) -> list[Any]:
        """The open clocks of ``kinds`` whose due day was guessed, locked."""
        return list(
            (
                await self._execute(
                    sa.select(clocks)
                    .where(
                        clocks.c.outcome.is_(None),
                        clocks.c.provisional.is_(True),
                        clocks.c.kind.in_([kind.value for kind in kinds]),
                    )
                    .order_by(clocks.c.clock_id)
                    .with_for_update()
                )
            ).all()
        )

    async def recount_clock(self, clock_id: UUID, due: Deadline) -> None:
        """A clock's due day counted again: the day, its close, and the years still guessed."""
        await self._execute(
            sa.update(clocks)
            .where(clocks.c.clock_id == clock_id)
            .values(
                due_on=due.due_on,
                closes_at=due.closes_at,
                provisional=due.provisional,
                missing_years=list(due.missing_years),
            )
        )

    async def add_clocks(self, rows: list[dict[str, Any]]) -> list[Any]:
        """Write clock rows made by :func:`clock_row` (or settled as they are recorded);
        returns them as written, by trigger day and due day (as :meth:`clocks_of` reads)."""
        if not rows:
            return []
        written = (await self._execute(_INSERT_CLOCKS_RETURNING, rows)).all()
        return sorted(written, key=lambda row: (row.trigger_on, row.due_on))

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
        """Open a clock; its deadline is provisional (and says so) when the calendar lacks a
        year."""
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
        await self._execute(_INSERT_CLOCKS, row)
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
        """Close the open clocks of `kind` (for a suspect, a case or a subject): met, met late,
        or — when the duty fell away — cancelled, or lapsed if its period had already closed
        (a breach stays on record). Returns the outcomes given."""
        statement = _settle_clocks_statement(
            case_id is not None, suspect_id is not None, subject is not None, cancel
        )
        values: dict[str, Any] = {"b_kind": kind.value, "b_at": at}
        filters = {"b_case_id": case_id, "b_suspect_id": suspect_id, "b_subject": subject}
        values.update({key: value for key, value in filters.items() if value is not None})
        result = await self._scalars(statement, values)
        return list(result)
