"""Event handlers: how the aid_center's projection follows the events it consumes.

Each consumer transaction is one unit of work (``HandlersInUnitOfWork``) for the handlers of its
events; a handler takes "now" from its event (``occurred_at``), so a replay gives the same
state. A domain refusal files the event as a permanent failure (``aid_center.errors``)."""

from __future__ import annotations

from aid_center.db.personal import LETTER_PERSONAL
from aid_center.domain.errors import DomainError
from aid_center.errors import as_permanent, permanent
from aid_center.handlers import aid_changes, applications, cases, duty, notices, stage
from aid_center.unit_of_work import AidCenterUnitOfWork
from aid_center.use_cases.notice_batch import receive_notices
from defense_messaging import Applied
from defense_messaging.log_context import bound, envelope_ids
from defense_schemas import BaseEvent, Envelope
from defense_schemas.events.procuratorate import (
    CaseReceived,
    DefenseNoticeSent,
    DutyLawyerRequested,
    EligibilityAssessed,
    LawyerRefusalRuled,
    LegalAidApplicationForwarded,
    NoticeSupplemented,
    PrivateCounselRetained,
    ProceduralDecisionMade,
    ReappointmentRequested,
    SelfDefensePermitted,
    StageHandedOver,
)
from service_runtime.app import Runtime
from service_runtime.security.audit_events import audited, event_write_entry
from service_runtime.unit_of_work import HandlersInUnitOfWork, UnitOfWorkHandler

# The personal data each intake writes, named in its audit entry.
SUSPECT_FIELDS = ("suspect.name", "suspect.birth_date", "suspect.place_of_detention_or_residence")
LETTER_FIELDS = ("notice.suspect_name", *(f"notice.letter.{key}" for key in LETTER_PERSONAL))


def event_handlers(runtime: Runtime) -> HandlersInUnitOfWork:
    return HandlersInUnitOfWork(runtime, AidCenterEvents(_HANDLERS))


class AidCenterEvents:
    """A consumer transaction's events, in order, each through its handler; but a run of
    letters (``DefenseNoticeSent``) of distinct cases is received and appointed together
    (``use_cases/notice_batch.py``), in a fixed number of statements. A run is cut where a
    case comes again: a co-suspect's choice depends on the earlier one's firm."""

    def __init__(self, handlers: dict[type[BaseEvent], UnitOfWorkHandler]) -> None:
        self._handlers = handlers

    def handles(self, event: BaseEvent) -> bool:
        return type(event) in self._handlers

    async def apply(self, uow: AidCenterUnitOfWork, events: Applied) -> None:
        run: list[tuple[Envelope, DefenseNoticeSent]] = []
        for envelope, event in events:
            if isinstance(event, DefenseNoticeSent) and all(
                envelope.case_id != earlier.case_id for earlier, _ in run
            ):
                run.append((envelope, event))
                continue
            await self._letters(uow, run)
            run = []
            if isinstance(event, DefenseNoticeSent):
                run.append((envelope, event))
                continue
            with bound(**envelope_ids(envelope)):
                await self._handlers[type(event)](uow, envelope, event)
        await self._letters(uow, run)

    async def _letters(
        self, uow: AidCenterUnitOfWork, run: list[tuple[Envelope, DefenseNoticeSent]]
    ) -> None:
        if len(run) == 1:
            envelope, event = run[0]
            with bound(**envelope_ids(envelope)):
                await self._handlers[DefenseNoticeSent](uow, envelope, event)
            return
        if not run:
            return
        try:
            await receive_notices(uow, run)
        except DomainError as error:
            raise as_permanent(error) from error
        for envelope, event in run:
            await uow.audit.record(event_write_entry(envelope, event, fields=LETTER_FIELDS))


_HANDLERS: dict[type[BaseEvent], UnitOfWorkHandler] = {
    # Intakes of a case's personal data are audited in the consumer's transaction.
    CaseReceived: permanent(audited(cases.on_case_received, fields=SUSPECT_FIELDS)),
    DefenseNoticeSent: permanent(audited(notices.on_defense_notice_sent, fields=LETTER_FIELDS)),
    NoticeSupplemented: permanent(audited(notices.on_notice_supplemented, fields=LETTER_FIELDS)),
    ReappointmentRequested: permanent(aid_changes.on_reappointment_requested),
    LawyerRefusalRuled: permanent(aid_changes.on_lawyer_refusal_ruled),
    EligibilityAssessed: permanent(aid_changes.on_eligibility_assessed),
    SelfDefensePermitted: permanent(aid_changes.on_self_defense_permitted),
    PrivateCounselRetained: permanent(aid_changes.on_private_counsel_retained),
    LegalAidApplicationForwarded: permanent(applications.on_application_forwarded),
    ProceduralDecisionMade: permanent(stage.on_procedural_decision),
    StageHandedOver: permanent(stage.on_stage_handed_over),
    DutyLawyerRequested: permanent(duty.on_duty_lawyer_requested),
}
