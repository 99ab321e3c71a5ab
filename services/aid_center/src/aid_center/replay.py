"""Rebuilding the aid center's projection from the topics, deciding and sending nothing again
(``python -m aid_center.replay``; README, "Rebuilding the projection").

The center's tables are of three kinds:

- what the procuratorate's events say (cases, suspects, the letters as received, checked and
  supplemented, forwarded applications): rebuilt by applying ``procuratorate.events`` with
  appointing switched off;
- what the center decided, which its own ``aid-center.events`` record (appointments, their
  ends and replacements, requests found unassignable, the document counters the replies'
  numbers came from): rebuilt from those events, never by running the engine again — the
  roster and its loads are not what they were, and a new choice would be a new appointment;
- what staff typed and no topic carries (firms, lawyers, leaves, work stations, the rota,
  subsidy standards, previous-stage lawyers): restored from a backup before the replay.

The procuratorate's topic is applied first, up to its end offsets, then the center's own, up to
its end: a decision on the center's topic refers to rows its cause on the procuratorate's topic
made (the letter it answers), and Kafka orders the two topics only within a partition of each,
never across them, so a consumer reading both at once could meet an appointment before its
letter. What a procuratorate event changes on a decision already made (a refusal ruled, a
self-defense, counsel retained, a written request, a stage's end) is the center's own event
that follows it (``AssignmentEnded``, ``AidTerminated``, ``LawyerReplaced``), so phase one
skips those events, and the written request's new assignment period is kept for the
replacement it brought.

Nothing is published: the unit of work refuses to (``ReplayUnitOfWork``), no producer exists,
and every applied event gets its inbox row under the service's consumer name, in the
transaction that applies it, so the live consumer that follows skips it. At the end the
service's consumer group is committed at the procuratorate topic's end offsets: the service
started next continues from there as the live center.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast
from uuid import UUID

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata
from sqlalchemy.dialects.postgresql import insert as pg_insert

from aid_center.db.repository import AidRequest
from aid_center.db.tables import (
    document_counters,
    platform,
)
from aid_center.domain.quality import service_standard_checklist
from aid_center.domain.status import REFUSAL_ALLOWED, AssignmentStatus, NoticeStatus
from aid_center.handlers import LETTER_FIELDS, SUSPECT_FIELDS
from aid_center.settings import AidCenterSettings
from aid_center.unit_of_work import AidCenterUnitOfWork
from aid_center.use_cases.applications import review_period
from aid_center.use_cases.duty import request_date
from aid_center.use_cases.intake import (
    notice_row,
    receive_application,
    receive_case,
    record_supplement,
)
from defense_messaging import EventPublisher, Outbox
from defense_messaging.kafka_client import topic_end_offsets
from defense_schemas import BaseEvent, Envelope, decode_payload, parse_envelope
from defense_schemas.errors import ContractViolation
from defense_schemas.events import aid_center as aid
from defense_schemas.events import procuratorate as pr
from defense_schemas.vocabulary import (
    ActivityKind,
    ApplicationDecision,
    AppointmentBasis,
    AssignmentEndReason,
    Ground,
)
from legal_calendar.deadlines import ASSIGNMENT
from service_runtime.app import Runtime
from service_runtime.calendar_store import load_calendar
from service_runtime.database import create_engine, session_factory
from service_runtime.migrations import upgrade_to_head
from service_runtime.observability import ServiceMetrics
from service_runtime.security.audit_events import event_write_entry
from service_runtime.security.fields import FieldCipher

log = logging.getLogger(__name__)

BATCH = 500
"""Events applied per transaction."""


class ReplayPublished(RuntimeError):
    """A use case tried to publish during a replay: the original run published it already."""


class ReplayUnitOfWork(AidCenterUnitOfWork):
    """The center's unit of work that refuses to publish: whatever a replayed event would
    emit, the original run emitted, and its consumers hold it. ``replay`` carries what one
    phase leaves for the next."""

    replay: ReplayState

    async def publish(
        self, event: BaseEvent, *, case_id: Any, caused_by: Envelope | None = None
    ) -> Envelope:
        raise ReplayPublished(f"a replay publishes nothing; {event.event_type} was attempted")


async def end_offsets(settings: AidCenterSettings) -> dict[str, list[int]]:
    """The end offset of each partition of the procuratorate's topic and the center's own, as
    ``AID_CENTER_REPLAY_UNTIL`` takes them: where the original run's history ends."""
    return await topic_end_offsets(
        settings.kafka, [settings.topic_procuratorate, settings.topic_aid_center]
    )


@dataclass
class ReplayReport:
    """What a rebuild applied, per topic, and how long it took."""

    applied: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    """Records applied before (their inbox row exists), of types the rebuild leaves to the
    other phase, or that no contract reads (the original run dead-lettered them)."""
    seconds: float = 0.0

    @property
    def events(self) -> int:
        return sum(self.applied.values()) + sum(self.skipped.values())


# --- phase one: the procuratorate's events, appointing switched off --------------------


async def _case_received(uow: ReplayUnitOfWork, envelope: Envelope, event: pr.CaseReceived) -> None:
    await receive_case(uow, event, case_id=envelope.case_id)
    await uow.audit.record(event_write_entry(envelope, event, fields=SUSPECT_FIELDS))


async def _notice_sent(
    uow: ReplayUnitOfWork, envelope: Envelope, event: pr.DefenseNoticeSent
) -> None:
    # Stored checked (accepted, or a supplement asked): the same pure check on the same
    # letter decides as the original did; the appointment comes from the center's topic.
    values, _ = notice_row(uow, event, case_id=envelope.case_id, at=envelope.occurred_at)
    await uow.aid.store_notice(values)
    await uow.audit.record(event_write_entry(envelope, event, fields=LETTER_FIELDS))


async def _notice_supplemented(
    uow: ReplayUnitOfWork, envelope: Envelope, event: pr.NoticeSupplemented
) -> None:
    await record_supplement(uow, event, at=envelope.occurred_at)
    await uow.audit.record(event_write_entry(envelope, event, fields=LETTER_FIELDS))


async def _application_forwarded(
    uow: ReplayUnitOfWork, envelope: Envelope, event: pr.LegalAidApplicationForwarded
) -> None:
    await receive_application(
        uow, event, case_id=envelope.case_id, caused_by=envelope, at=envelope.occurred_at
    )


async def _eligibility_assessed(
    uow: ReplayUnitOfWork, envelope: Envelope, event: pr.EligibilityAssessed
) -> None:
    # What the suspect now faces is the procuratorate's fact; a lawyer it disqualifies is
    # replaced by the center's LawyerReplaced, applied in phase two.
    if Ground.POSSIBLE_LIFE_OR_DEATH_SENTENCE in event.grounds:
        await uow.aid.mark_life_or_death(event.suspect_id)


async def _duty_lawyer_requested(
    uow: ReplayUnitOfWork, envelope: Envelope, event: pr.DutyLawyerRequested
) -> None:
    # Stored unanswered at the event's time; the answer, if a lawyer was found, is the
    # center's DutyLawyerAssigned.
    await uow.aid.add_duty_request(
        {
            "request_id": event.request_id,
            "case_id": envelope.case_id,
            "suspect_id": event.suspect_id,
            "purpose": event.purpose.value,
            "requested_at": event.requested_at,
            "requested_station": event.work_station,
            "note": event.note,
            "updated_at": envelope.occurred_at,
        }
    )


async def _reappointment_requested(
    uow: ReplayUnitOfWork, envelope: Envelope, event: pr.ReappointmentRequested
) -> None:
    # The request's time starts the new assignment period if the center acted on it, which
    # its LawyerReplaced (naming the request) says in phase two.
    uow.replay.requested_at[event.request_id] = event.requested_at


Phase = Mapping[type[BaseEvent], Callable[[Any, Envelope, Any], Any]]

PROCURATORATE: Phase = {
    pr.CaseReceived: _case_received,
    pr.DefenseNoticeSent: _notice_sent,
    pr.NoticeSupplemented: _notice_supplemented,
    pr.LegalAidApplicationForwarded: _application_forwarded,
    pr.EligibilityAssessed: _eligibility_assessed,
    pr.ReappointmentRequested: _reappointment_requested,
    pr.DutyLawyerRequested: _duty_lawyer_requested,
}
"""The procuratorate's events whose facts the center keeps. The others change decisions only
(a refusal ruled, self-defense, counsel retained, a procedural decision, a stage handed over),
and the center's own event that follows each is applied in phase two."""


# --- phase two: the center's own decisions ---------------------------------------------


def _request_of(notice_id: UUID | None, application_id: UUID | None) -> AidRequest:
    if notice_id is not None:
        return AidRequest(AppointmentBasis.NOTICE, notice_id, {})
    assert application_id is not None, "an appointment answers a notice or an application"
    return AidRequest(AppointmentBasis.APPLICATION, application_id, {})


async def _record_assignment(
    uow: ReplayUnitOfWork,
    envelope: Envelope,
    *,
    assignment_id: UUID,
    suspect_id: UUID,
    notice_id: UUID | None,
    application_id: UUID | None,
    lawyer: Any,
    at: datetime,
    continued: bool,
    previous: UUID | None,
    document_number: Any,
) -> None:
    number = document_number.model_dump(mode="json") if document_number is not None else None
    await uow.aid.record_assignment(
        _request_of(notice_id, application_id),
        {
            "assignment_id": assignment_id,
            "case_id": envelope.case_id,
            "suspect_id": suspect_id,
            "notice_id": notice_id,
            "application_id": application_id if notice_id is None else None,
            "lawyer_id": lawyer.lawyer_id,
            "firm_id": lawyer.firm_id,
            "manual": False,
            "continued_from_previous_stage": continued,
            "previous_assignment_id": previous,
            # The engine's explanation is not on the event (README: a known gap).
            "decision": {},
            "assigned_at": at,
            "document_number": number,
        },
    )
    if document_number is not None:
        uow.replay.number(document_number)


async def _lawyer_assigned(
    uow: ReplayUnitOfWork, envelope: Envelope, event: aid.LawyerAssigned
) -> None:
    await _record_assignment(
        uow,
        envelope,
        assignment_id=event.assignment_id,
        suspect_id=event.suspect_id,
        notice_id=event.notice_id,
        application_id=event.application_id,
        lawyer=event.lawyer,
        at=event.assigned_at,
        continued=event.continued_from_previous_stage,
        previous=None,
        document_number=event.document_number,
    )


async def _lawyer_replaced(
    uow: ReplayUnitOfWork, envelope: Envelope, event: aid.LawyerReplaced
) -> None:
    previous = await uow.aid.assignment(event.previous_assignment_id)
    if previous is None:
        raise LookupError(f"assignment {event.previous_assignment_id} was never replayed")
    if previous["status"] == AssignmentStatus.ACTIVE:
        await uow.aid.end_assignment(
            event.previous_assignment_id,
            reason=event.reason.value,
            detail=event.detail,
            at=event.replaced_at,
        )
    requested_at = (
        uow.replay.requested_at.get(event.reappointment_request_id)
        if event.reappointment_request_id is not None
        else None
    )
    if requested_at is not None:
        await uow.aid.restart_assignment_period(
            notice_id=previous["notice_id"],
            application_id=previous["application_id"],
            started_at=requested_at,
            due=ASSIGNMENT.due(requested_at, uow.calendar),
        )
    await _record_assignment(
        uow,
        envelope,
        assignment_id=event.assignment_id,
        suspect_id=event.suspect_id,
        notice_id=previous["notice_id"],
        application_id=previous["application_id"],
        lawyer=event.lawyer,
        at=event.replaced_at,
        continued=False,
        previous=event.previous_assignment_id,
        document_number=event.document_number,
    )


async def _assignment_failed(
    uow: ReplayUnitOfWork, envelope: Envelope, event: aid.AssignmentFailed
) -> None:
    await uow.aid.mark_unassignable(
        _request_of(event.notice_id, event.application_id),
        failure=event.reason.value,
        # The engine's explanation is not on the event (README: a known gap).
        decision={},
        at=event.failed_at,
    )


async def _assignment_ended(
    uow: ReplayUnitOfWork, envelope: Envelope, event: aid.AssignmentEnded
) -> None:
    if event.reason is AssignmentEndReason.REFUSAL_ALLOWED:
        await uow.aid.end_assignment(
            event.assignment_id, reason=REFUSAL_ALLOWED, detail=event.detail, at=event.ended_at
        )
        await uow.aid.await_reappointment(
            notice_id=event.notice_id, application_id=event.application_id, at=event.ended_at
        )
        return
    # Nobody took over a replaced lawyer: the end is stored with the replacement's reason,
    # which the event does not carry (README: a known gap); the event's own reason stands in.
    await uow.aid.end_assignment(
        event.assignment_id, reason=event.reason.value, detail=event.detail, at=event.ended_at
    )


async def _aid_terminated(
    uow: ReplayUnitOfWork, envelope: Envelope, event: aid.AidTerminated
) -> None:
    await uow.aid.close_requests(
        event.suspect_id, reason=event.reason.value, detail=event.detail, at=event.terminated_at
    )
    await uow.aid.end_assignment(
        event.assignment_id,
        reason=event.reason.value,
        detail=event.detail,
        at=event.terminated_at,
    )


async def _materials_requested(
    uow: ReplayUnitOfWork, envelope: Envelope, event: aid.ApplicationMaterialsRequested
) -> None:
    await uow.aid.update_application(
        event.application_id,
        {
            "status": NoticeStatus.MATERIALS_REQUESTED,
            "missing_materials": list(event.missing),
            "materials_requested_at": event.requested_at,
            "materials_due_on": event.due_on,
            "updated_at": event.requested_at,
        },
    )


async def _materials_supplied(
    uow: ReplayUnitOfWork, envelope: Envelope, event: aid.ApplicationMaterialsSupplied
) -> None:
    # What came (materials, a statement, exemption grounds) staff typed and the event does
    # not carry (README: a known gap); the review's new period it does.
    await uow.aid.update_application(
        event.application_id,
        {
            "status": NoticeStatus.UNDER_REVIEW,
            "updated_at": event.supplied_at,
            **review_period(uow, event.supplied_at),
        },
    )


_DECIDED_STATUS = {
    ApplicationDecision.GRANTED: NoticeStatus.ACCEPTED,
    ApplicationDecision.REFUSED: NoticeStatus.REFUSED,
    ApplicationDecision.DEEMED_WITHDRAWN: NoticeStatus.WITHDRAWN,
}


async def _application_decided(
    uow: ReplayUnitOfWork, envelope: Envelope, event: aid.ApplicationDecided
) -> None:
    values: dict[str, Any] = {
        "status": _DECIDED_STATUS[event.decision],
        "decision": event.decision.value,
        "decision_reasons": event.reasons,
        "decided_at": event.decided_at,
        "updated_at": event.decided_at,
    }
    if event.decision is ApplicationDecision.GRANTED:
        values["assignment_due_on"] = event.assignment_due_on
    await uow.aid.update_application(event.application_id, values)


async def _duty_lawyer_assigned(
    uow: ReplayUnitOfWork, envelope: Envelope, event: aid.DutyLawyerAssigned
) -> None:
    request = await uow.aid.duty_request(event.request_id)
    if request is None:
        raise LookupError(f"duty request {event.request_id} was never replayed")
    await uow.aid.record_duty_assignment(
        event.request_id,
        lawyer_id=event.lawyer.lawyer_id,
        station=event.work_station,
        mode=event.mode.value,
        rota_day=request_date(request["requested_at"]),
        at=event.assigned_at,
    )


async def _activity_logged(
    uow: ReplayUnitOfWork, envelope: Envelope, event: aid.LawyerActivityLogged
) -> None:
    await uow.aid.add_activity(
        {
            "activity_id": event.activity_id,
            "assignment_id": event.assignment_id,
            "lawyer_id": event.lawyer_id,
            "kind": event.kind.value,
            "performed_on": event.performed_on,
            "duration_minutes": event.duration_minutes,
            "note": event.note,
        }
    )


async def _quality_reviewed(
    uow: ReplayUnitOfWork, envelope: Envelope, event: aid.QualityReviewRecorded
) -> None:
    # The checklist was judged from the work logged before the review: those activities came
    # before it on the same partition, so they are replayed already.
    kinds = await uow.aid.activity_kinds(event.assignment_id)
    checklist = service_standard_checklist(ActivityKind(kind) for kind in kinds)
    await uow.aid.add_quality_review(
        {
            "review_id": event.review_id,
            "assignment_id": event.assignment_id,
            "measures": [measure.value for measure in event.measures],
            "rating": event.rating.value,
            "checklist": checklist.as_json(),
            "service_standard_met": event.service_standard_met,
            "reviewer": event.reviewer,
            "findings": event.findings,
            "reviewed_at": event.reviewed_at,
        }
    )


AID_CENTER: Phase = {
    aid.LawyerAssigned: _lawyer_assigned,
    aid.LawyerReplaced: _lawyer_replaced,
    aid.AssignmentFailed: _assignment_failed,
    aid.AssignmentEnded: _assignment_ended,
    aid.AidTerminated: _aid_terminated,
    aid.ApplicationMaterialsRequested: _materials_requested,
    aid.ApplicationMaterialsSupplied: _materials_supplied,
    aid.ApplicationDecided: _application_decided,
    aid.DutyLawyerAssigned: _duty_lawyer_assigned,
    aid.LawyerActivityLogged: _activity_logged,
    aid.QualityReviewRecorded: _quality_reviewed,
}
"""The center's decisions, each written as the original wrote it. ``NoticeAccepted`` and
``SupplementRequested`` need nothing: phase one's check of the same letter decided the same."""


# --- the driver ------------------------------------------------------------------------


@dataclass
class ReplayState:
    """What one phase leaves for the next, and the counters' highest numbers seen."""

    requested_at: dict[UUID, datetime] = field(default_factory=dict)
    counters: dict[tuple[str, int], int] = field(default_factory=dict)

    def number(self, document_number: Any) -> None:
        key = (document_number.issuing_unit, document_number.year)
        self.counters[key] = max(self.counters.get(key, 0), document_number.sequence)


async def _apply(
    runtime: Runtime,
    state: ReplayState,
    consumer_name: str,
    records: Sequence[ConsumerRecord],
    phase: Phase,
    report: ReplayReport,
) -> None:
    names = {kind.event_type for kind in phase}
    decoded: list[tuple[ConsumerRecord, Envelope, BaseEvent | None]] = []
    for record in records:
        try:
            envelope = parse_envelope(record.value)
            # Half the history is of types the phase leaves alone: their payload is not
            # validated (the envelope still is, for the inbox).
            event = decode_payload(envelope) if envelope.event_type in names else None
        except ContractViolation:
            report.skipped[record.topic] = report.skipped.get(record.topic, 0) + 1
            continue
        decoded.append((record, envelope, event))
    inbox = platform.messaging.inbox
    async with runtime.sessions() as session, session.begin():
        new: set[UUID] = set()
        if decoded:
            new = set(
                (
                    await session.scalars(
                        pg_insert(inbox).on_conflict_do_nothing().returning(inbox.c.event_id),
                        [
                            {
                                "consumer": consumer_name,
                                "event_id": envelope.event_id,
                                "event_type": envelope.event_type,
                                "topic": record.topic,
                                "partition": record.partition,
                                "offset": record.offset,
                            }
                            for record, envelope, _ in decoded
                        ],
                    )
                ).all()
            )
        uow = ReplayUnitOfWork.joining(runtime, session, deferred_audit=True)
        uow.replay = state
        for record, envelope, event in decoded:
            handler = phase.get(type(event)) if event is not None else None
            if handler is None or envelope.event_id not in new:
                report.skipped[record.topic] = report.skipped.get(record.topic, 0) + 1
                continue
            new.discard(envelope.event_id)
            await handler(uow, envelope, event)
            report.applied[record.topic] = report.applied.get(record.topic, 0) + 1
        await uow.flush()
        await uow.audit.flush()


async def _records(
    settings: AidCenterSettings, topic: str, ends: Sequence[int]
) -> AsyncIterator[list[ConsumerRecord]]:
    """The topic's records before ``ends``, in batches, each partition in order."""
    wanted = {TopicPartition(topic, p): end for p, end in enumerate(ends) if end > 0}
    if not wanted:
        return
    consumer = AIOKafkaConsumer(
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=BATCH,
        **settings.kafka.options("replay"),
    )
    await consumer.start()
    try:
        consumer.assign(list(wanted))
        await consumer.seek_to_beginning(*wanted)
        left = dict(wanted)
        while left:
            polled = await consumer.getmany(*left, timeout_ms=1000, max_records=BATCH)
            batch: list[ConsumerRecord] = []
            for tp, records in polled.items():
                end = left.get(tp)
                if end is None:
                    continue
                batch.extend(r for r in records if r.offset < end)
                if records and records[-1].offset >= end - 1:
                    del left[tp]
                    consumer.pause(tp)
            for tp in list(left):
                if await consumer.position(tp) >= left[tp]:
                    del left[tp]
            if batch:
                yield batch
    finally:
        await consumer.stop()


async def _commit_live_offsets(
    settings: AidCenterSettings, group: str, ends: Sequence[int]
) -> None:
    """The service's consumer group continues from where the replay ended."""
    topic = settings.topic_procuratorate
    offsets = {TopicPartition(topic, p): OffsetAndMetadata(end, "") for p, end in enumerate(ends)}
    consumer = AIOKafkaConsumer(
        group_id=group, enable_auto_commit=False, **settings.kafka.options("replay")
    )
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


async def _counters(runtime: Runtime, state: ReplayState) -> None:
    """The replies' counters at the highest number each center's appointments used, so the
    next reply numbers on without a gap or a repeat."""
    if not state.counters:
        return
    async with runtime.sessions() as session, session.begin():
        statement = pg_insert(document_counters)
        # A counter is the center's (its full name); the number opens with its abbreviation.
        settings = cast(AidCenterSettings, runtime.settings)
        centers = {
            abbreviation: center
            for center, abbreviation in settings.issuing_unit_abbreviations.items()
        }
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["issuing_unit", "year"],
                set_={
                    "last_sequence": sa.func.greatest(
                        document_counters.c.last_sequence, statement.excluded.last_sequence
                    )
                },
            ),
            [
                {"issuing_unit": centers.get(unit, unit), "year": year, "last_sequence": sequence}
                for (unit, year), sequence in sorted(state.counters.items())
            ],
        )


async def replay_runtime(settings: AidCenterSettings) -> Runtime:
    """What the center's use cases need (database, calendar, cipher), without a producer,
    relay or consumer: a rebuild has nothing to send."""
    from aid_center.service import definition

    service = definition()
    url = str(settings.database_url)
    await upgrade_to_head(
        service.migrations_dir, url, field_cipher=FieldCipher.from_settings(settings)
    )
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions() as session:
        calendar = await load_calendar(session, service.tables.legal_calendar)
    outbox = Outbox(service.tables.messaging, channel="replay")
    return Runtime(
        definition=service,
        settings=settings,
        engine=engine,
        sessions=sessions,
        outbox=outbox,
        publisher=EventPublisher(outbox, producer=service.name, topic=settings.topic_aid_center),
        producer=cast(Any, None),
        calendar=calendar,
        metrics=ServiceMetrics(service.name),
        cipher=FieldCipher.from_settings(settings),
    )


async def rebuild(
    settings: AidCenterSettings, ends: Mapping[str, Sequence[int]] | None = None
) -> ReplayReport:
    """Apply the procuratorate's topic and then the center's own, up to ``ends`` (the
    settings' ``replay_until``, else the end offsets now), to the database of ``settings``
    (migrated here; the staff's tables restored beforehand)."""
    ends = ends or settings.replay_until or await end_offsets(settings)
    runtime = await replay_runtime(settings)
    group = settings.consumer_group or runtime.definition.name
    state = ReplayState()
    report = ReplayReport()
    started = time.perf_counter()
    try:
        for topic, phase in (
            (settings.topic_procuratorate, PROCURATORATE),
            (settings.topic_aid_center, AID_CENTER),
        ):
            async for batch in _records(settings, topic, ends.get(topic, [])):
                await _apply(runtime, state, group, batch, phase, report)
        await _counters(runtime, state)
        await _commit_live_offsets(settings, group, ends.get(settings.topic_procuratorate, []))
    finally:
        await runtime.engine.dispose()
    report.seconds = time.perf_counter() - started
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m aid_center.replay",
        description="Rebuild the aid center's projection from the topics (nothing is sent).",
    )
    parser.add_argument(
        "command",
        nargs="?",
        default="rebuild",
        choices=["rebuild", "ends"],
        help="rebuild (default), or print the topics' end offsets as AID_CENTER_REPLAY_UNTIL",
    )
    args = parser.parse_args()
    settings = AidCenterSettings()
    if args.command == "ends":
        print(json.dumps(asyncio.run(end_offsets(settings))))
        return
    logging.basicConfig(level=settings.log_level)
    report = asyncio.run(rebuild(settings))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    print(
        json.dumps(
            {
                "applied": report.applied,
                "skipped": report.skipped,
                "events": report.events,
                "seconds": round(report.seconds, 3),
                "events_per_s": round(report.events / report.seconds, 1)
                if report.seconds
                else None,
                # The whole process (start-up and migrations included): what a rebuild costs
                # whatever else the machine runs.
                "cpu_seconds": round(cpu, 3),
                "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
