"""Letters of one consumer transaction received and appointed together (Measures Art. 3-4).

:func:`~aid_center.use_cases.intake.receive_notice` costs some ten statements a letter, one
after another: store the letter, lock the case, read the need and the roster, hold the chosen
lawyer and count again, draw the reply's number, record the assignment. Under a steady stream of
letters the consumer's transactions carry several, and these round trips are most of the wait
between the letter on the broker and the lawyer's name on it. :func:`receive_notices` does the
same for letters of *distinct cases* in a fixed number of statements: the letters stored in
one, the cases locked in one, the needs in one, the roster in one; the choices are made in
memory in the letters' order, each seeing the places the earlier ones took (as the one-by-one
path sees them in the database); then the chosen lawyers' rows are held and their places counted
again under the locks, the replies' numbers drawn per center, the assignments and the letters'
new state written in two statements. The events come out in the one-by-one order.

Letters of one case are never in one call (the caller splits the run there): the second
co-suspect's choice depends on the first's firm (Art. 13), which the one-by-one path reads back.
Capacity holds across replicas as one by one: the cases are locked before the snapshot, and the
chosen lawyers' rows are held before anything is written. When the recount under those locks
finds a lawyer's places taken meanwhile (another replica, or staff), nothing of the choices is
written yet: the letters are appointed one by one by
:func:`~aid_center.use_cases.appointing.appoint`, which chooses again under the locks.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from aid_center.db.repository import AidRequest
from aid_center.domain.assignment import AssignmentDecision, Candidate, choose_lawyer
from aid_center.unit_of_work import AidCenterUnitOfWork
from aid_center.use_cases.appointing import record_unassignable
from aid_center.use_cases.intake import announce, notice_row
from defense_schemas import Envelope
from defense_schemas.events.aid_center import LawyerAssigned
from defense_schemas.events.common import DocumentNumber, Lawyer
from defense_schemas.events.procuratorate import DefenseNoticeSent
from defense_schemas.vocabulary import AppointmentBasis
from legal_calendar import legal_date

Letter = tuple[Envelope, DefenseNoticeSent]


async def receive_notices(uow: AidCenterUnitOfWork, letters: Sequence[Letter]) -> None:
    """What :func:`~aid_center.use_cases.intake.receive_notice` does for each letter, in
    order, for letters of distinct cases, each at its event's time."""
    cases = [envelope.case_id for envelope, _ in letters]
    assert len(set(cases)) == len(cases), "letters of one case are received one by one"
    prepared = [
        notice_row(uow, event, case_id=envelope.case_id, at=envelope.occurred_at)
        for envelope, event in letters
    ]
    stored = await uow.aid.store_notices([values for values, _ in prepared])
    # A letter stored before (the same one again under another event id) changes nothing.
    received = [
        (envelope, stored[event.notice_id], check)
        for (envelope, event), (_, check) in zip(letters, prepared, strict=True)
        if event.notice_id in stored
    ]
    accepted = [(envelope, row) for envelope, row, check in received if check.complete]
    chosen = await _choose(uow, accepted) if accepted else ({}, {})
    if chosen is None:
        # A chosen lawyer's place went to someone else meanwhile: nothing of the choices is
        # written yet, and the one-by-one path chooses again under the locks.
        for envelope, row, check in received:
            await announce(
                uow, envelope, row, check, envelope.occurred_at, row["assignment_started_at"]
            )
        return
    decisions, lawyers = chosen
    numbers = await _draw_numbers(uow, accepted, decisions)
    assignments: list[dict[str, Any]] = []
    outcomes: list[LawyerAssigned | AssignmentDecision | None] = []
    for envelope, row, check in received:
        decision = decisions.get(row["notice_id"]) if check.complete else None
        if decision is None or decision.chosen is None:
            outcomes.append(decision)
            continue
        assignment_id = uuid.uuid4()
        lawyer = decision.chosen
        assignments.append(
            {
                "assignment_id": assignment_id,
                "case_id": row["case_id"],
                "suspect_id": row["suspect_id"],
                "notice_id": row["notice_id"],
                "application_id": None,
                "lawyer_id": lawyer.lawyer_id,
                "firm_id": lawyer.firm_id,
                "manual": False,
                "continued_from_previous_stage": decision.continued_from_previous_stage,
                "previous_assignment_id": None,
                "decision": decision.explanation(),
                "assigned_at": envelope.occurred_at,
                "document_number": numbers[row["notice_id"]].model_dump(mode="json"),
            }
        )
        outcomes.append(
            LawyerAssigned(
                assignment_id=assignment_id,
                suspect_id=row["suspect_id"],
                basis=AppointmentBasis.NOTICE,
                notice_id=row["notice_id"],
                application_id=None,
                lawyer=lawyers[lawyer.lawyer_id],
                assigned_at=envelope.occurred_at,
                continued_from_previous_stage=decision.continued_from_previous_stage,
                document_number=numbers[row["notice_id"]],
            )
        )
    if assignments:
        await uow.aid.record_notice_assignments(assignments)
    for (envelope, row, check), outcome in zip(received, outcomes, strict=True):
        at = envelope.occurred_at
        await announce(
            uow, envelope, row, check, at, row["assignment_started_at"], appointing=False
        )
        if isinstance(outcome, LawyerAssigned):
            await uow.publish(outcome, case_id=row["case_id"], caused_by=envelope)
            uow.assignment_made(envelope)
        elif outcome is not None:
            await record_unassignable(
                uow,
                AidRequest.of(row, notice_id=row["notice_id"], application_id=None),
                outcome,
                caused_by=envelope,
                at=at,
            )


async def _choose(
    uow: AidCenterUnitOfWork, accepted: list[tuple[Envelope, Any]]
) -> tuple[dict[UUID, AssignmentDecision], dict[UUID, Lawyer]] | None:
    """Each accepted letter's choice, in order, on one snapshot taken under the cases' locks;
    None when the recount under the chosen lawyers' locks finds fewer places than were given."""
    aid = uow.aid
    await aid.lock_cases([row["case_id"] for _, row in accepted])
    # The roster as at the first letter: the letters of one transaction are moments apart, and
    # the day (leave) or the recent window's edge moving between them would only shift the
    # fair spread's tie-break.
    needs, roster = await aid.needs_and_roster(
        [
            AidRequest.of(row, notice_id=row["notice_id"], application_id=None).need_source
            for _, row in accepted
        ],
        at=accepted[0][0].occurred_at,
        recent_window_days=uow.settings.recent_assignment_window_days,
    )
    candidates: dict[UUID, Candidate] = {c.lawyer_id: c for c in roster.candidates}
    decisions: dict[UUID, AssignmentDecision] = {}
    given: Counter[UUID] = Counter()
    for _, row in accepted:
        decision = choose_lawyer(needs[row["suspect_id"]], list(candidates.values()))
        decisions[row["notice_id"]] = decision
        if decision.chosen is not None:
            chosen = candidates[decision.chosen.lawyer_id]
            # What the next letter's roster would read after this appointment.
            candidates[chosen.lawyer_id] = dataclasses.replace(
                chosen,
                active_cases=chosen.active_cases + 1,
                recent_assignments=chosen.recent_assignments + 1,
            )
            given[chosen.lawyer_id] += 1
    if given:
        left = await aid.places_left(list(given))
        if any(left.get(lawyer_id, 0) < count for lawyer_id, count in given.items()):
            return None
    return decisions, {lawyer_id: roster.lawyer(lawyer_id) for lawyer_id in given}


async def _draw_numbers(
    uow: AidCenterUnitOfWork,
    accepted: list[tuple[Envelope, Any]],
    decisions: dict[UUID, AssignmentDecision],
) -> dict[UUID, DocumentNumber]:
    """The replies' numbers, in the letters' order, drawn per center and year in one
    statement each (the counter row stays locked until the commit, as one by one)."""
    wanted: dict[tuple[str, int], list[UUID]] = {}
    for envelope, row in accepted:
        decision = decisions.get(row["notice_id"])
        if decision is not None and decision.chosen is not None:
            key = (row["addressee_center"], legal_date(envelope.occurred_at).year)
            wanted.setdefault(key, []).append(row["notice_id"])
    numbers: dict[UUID, DocumentNumber] = {}
    abbreviations = uow.settings.issuing_unit_abbreviations
    for (center, year), notice_ids in wanted.items():
        drawn = await uow.aid.next_document_numbers(center, year, len(notice_ids))
        for notice_id, sequence in zip(notice_ids, drawn, strict=True):
            numbers[notice_id] = DocumentNumber.of(
                abbreviations.get(center, center), year, sequence
            )
    return numbers
