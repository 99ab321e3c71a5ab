"""Event handlers: how the aid_center's projection follows the events it consumes.

Each consumer transaction is one unit of work (``HandlersInUnitOfWork``) for the handlers of its
events; a handler takes "now" from its event (``occurred_at``), so a replay gives the same
state. A domain refusal files the event as a permanent failure (``aid_center.errors``)."""

from __future__ import annotations

from aid_center.db.personal import LETTER_PERSONAL
from aid_center.errors import permanent
from aid_center.handlers import aid_changes, applications, cases, duty, notices, stage
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
from service_runtime.security.audit_events import audited
from service_runtime.unit_of_work import HandlersInUnitOfWork

# The personal data each intake writes, named in its audit entry.
SUSPECT_FIELDS = ("suspect.name", "suspect.birth_date", "suspect.place_of_detention_or_residence")
LETTER_FIELDS = ("notice.suspect_name", *(f"notice.letter.{key}" for key in LETTER_PERSONAL))


def event_handlers(runtime: Runtime) -> HandlersInUnitOfWork:
    return HandlersInUnitOfWork(
        runtime,
        {
            # Intakes of a case's personal data are audited in the consumer's transaction.
            CaseReceived: permanent(audited(cases.on_case_received, fields=SUSPECT_FIELDS)),
            DefenseNoticeSent: permanent(
                audited(notices.on_defense_notice_sent, fields=LETTER_FIELDS)
            ),
            NoticeSupplemented: permanent(
                audited(notices.on_notice_supplemented, fields=LETTER_FIELDS)
            ),
            ReappointmentRequested: permanent(aid_changes.on_reappointment_requested),
            LawyerRefusalRuled: permanent(aid_changes.on_lawyer_refusal_ruled),
            EligibilityAssessed: permanent(aid_changes.on_eligibility_assessed),
            SelfDefensePermitted: permanent(aid_changes.on_self_defense_permitted),
            PrivateCounselRetained: permanent(aid_changes.on_private_counsel_retained),
            LegalAidApplicationForwarded: permanent(applications.on_application_forwarded),
            ProceduralDecisionMade: permanent(stage.on_procedural_decision),
            StageHandedOver: permanent(stage.on_stage_handed_over),
            DutyLawyerRequested: permanent(duty.on_duty_lawyer_requested),
        },
    )
