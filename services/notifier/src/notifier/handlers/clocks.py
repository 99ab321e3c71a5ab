"""Applying clock changes to the watch's open clocks (in the batch) and the events that say so
(ClockScheduled, ClockStopped), queued in the same transaction."""

from __future__ import annotations

from datetime import UTC
from uuid import UUID

from defense_messaging import EventPublisher
from defense_schemas import Envelope
from defense_schemas.events.notifier import ClockScheduled, ClockStopped
from defense_schemas.vocabulary import ClockKind, ClockOutcome, ResponsibleParty
from notifier.domain import ids
from notifier.domain.clocks import ClockChange, ClockKey, Schedule, Stop, stop_outcome
from notifier.handlers.batch import ProjectionBatch, Row


def _agency(
    batch: ProjectionBatch, case_id: UUID, key: ClockKey, responsible: ResponsibleParty
) -> tuple[str | None, str | None]:
    """The responsible organisation (for the board's filter) and the case's district."""
    case = batch.case(case_id)
    if responsible is ResponsibleParty.PROCURATORATE:
        return case["procuratorate_unit"], case["district"]
    if key.suspect_id is None:
        return None, case["district"]
    suspect = batch.suspect(case_id, key.suspect_id)
    if suspect is None:
        return None, case["district"]
    agency = (
        suspect["aid_center"]
        if responsible is ResponsibleParty.AID_CENTER
        else suspect["lawyer_firm"]
    )
    return agency, case["district"]


def apply_clock_changes(
    batch: ProjectionBatch,
    publisher: EventPublisher,
    envelope: Envelope,
    changes: list[ClockChange],
    *,
    publish: bool = True,
) -> list[Envelope]:
    """Change the batch's clocks; returns the events to publish, in order (none when not
    ``publish``: a replayed event's were published by the original run). A new clock's id and
    each event's id are derived (``notifier.domain.ids``): a replay of the same history names
    them as the original run did."""
    published = []
    for index, change in enumerate(changes):
        row = batch.open_clock(envelope.case_id, change.key)
        made: Envelope | None = None
        if isinstance(change, Schedule):
            made = _schedule(batch, publisher, envelope, change, row, publish)
        elif row is not None:
            made = _stop(batch, publisher, envelope, change, row, publish)
        if made is not None:
            published.append(
                made.model_copy(update={"event_id": ids.caused_event_id(envelope.event_id, index)})
            )
    return published


def _schedule(
    batch: ProjectionBatch,
    publisher: EventPublisher,
    envelope: Envelope,
    change: Schedule,
    row: Row | None,
    publish: bool,
) -> Envelope | None:
    case_id = envelope.case_id
    agency, district = _agency(batch, case_id, change.key, change.responsible)
    if row is None:
        clock_id = ids.clock_id(
            case_id,
            change.key.kind.value,
            change.key.suspect_id,
            change.key.subject,
            batch.clocks_opened(case_id, change.key),
        )
        batch.start_clock(
            case_id,
            change.key,
            {
                "clock_id": clock_id,
                "case_id": case_id,
                "kind": change.key.kind.value,
                "suspect_id": change.key.suspect_id,
                "subject": change.key.subject,
                "responsible": change.responsible.value,
                "agency": agency,
                "district": district,
                "started_on": change.started_on,
                "due_on": change.due_on,
                "provisional": change.provisional,
                "missing_years": list(change.missing_years),
                "reason": change.reason,
                "trigger_event_id": envelope.event_id,
                "correlation_id": envelope.correlation_id,
                "status": "open",
                "approaching_sent_at": None,
                "breached_at": None,
                "outcome": None,
                "stopped_at": None,
                "stop_event_id": None,
            },
        )
    else:
        if (
            row["due_on"] == change.due_on
            and row["responsible"] == change.responsible.value
            and list(row["missing_years"]) == list(change.missing_years)
        ):
            return None  # nothing moved, and the day is no more (or less) a guess than it was
        clock_id = row["clock_id"]
        values: dict[str, object] = {
            "responsible": change.responsible.value,
            "agency": agency,
            "started_on": change.started_on,
            "due_on": change.due_on,
            "provisional": change.provisional,
            "missing_years": list(change.missing_years),
            "reason": change.reason,
            "trigger_event_id": envelope.event_id,
        }
        if change.due_on > row["due_on"]:
            # Alerts are about a due day: a later one deserves its own reminder and breach.
            values |= {"approaching_sent_at": None, "breached_at": None}
        batch.change_clock(case_id, change.key, **values)
    if not publish:
        return None
    return publisher.envelope(
        ClockScheduled(
            clock_id=clock_id,
            kind=change.key.kind,
            suspect_id=change.key.suspect_id,
            due_on=change.due_on,
            provisional=change.provisional,
            missing_years=list(change.missing_years),
            responsible=change.responsible,
            started_on=change.started_on,
            trigger_event_id=envelope.event_id,
            reason=change.reason[:4000],
        ),
        case_id=case_id,
        caused_by=envelope,
    )


def _stop(
    batch: ProjectionBatch,
    publisher: EventPublisher,
    envelope: Envelope,
    change: Stop,
    row: Row,
    publish: bool,
) -> Envelope | None:
    outcome = stop_outcome(change, row["due_on"])
    if row["breached_at"] is not None:
        # A breach was announced; the record must agree.
        outcome = {
            ClockOutcome.MET: ClockOutcome.MET_LATE,
            ClockOutcome.CANCELLED: ClockOutcome.LAPSED,
        }.get(outcome, outcome)
    batch.change_clock(
        envelope.case_id,
        change.key,
        status="stopped",
        outcome=outcome.value,
        stopped_at=change.at,
        stop_event_id=envelope.event_id,
    )
    if not publish:
        return None
    return publisher.envelope(
        ClockStopped(
            clock_id=row["clock_id"],
            kind=ClockKind(row["kind"]),
            suspect_id=row["suspect_id"],
            due_on=row["due_on"],
            provisional=row["provisional"],
            missing_years=list(row["missing_years"]),
            outcome=outcome,
            stopped_at=change.at if change.at.tzinfo else change.at.replace(tzinfo=UTC),
            stop_event_id=envelope.event_id,
        ),
        case_id=envelope.case_id,
        caused_by=envelope,
    )
