"""Event handlers: how the aid_center's projection follows the events it consumes."""

from __future__ import annotations

from collections.abc import Mapping

from aid_center.db.personal import LETTER_PERSONAL
from aid_center.handlers import aid_changes, applications, cases, duty, notices, stage
from defense_messaging import Handler
from defense_schemas import BaseEvent
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
from service_runtime.security.audit_events import audited_handler

# The personal data each intake writes, named in its audit entry (issue 7).
SUSPECT_FIELDS = ("suspect.name", "suspect.birth_date", "suspect.place_of_detention_or_residence")
LETTER_FIELDS = ("notice.suspect_name", *(f"notice.letter.{key}" for key in LETTER_PERSONAL))


def event_handlers(runtime: Runtime) -> Mapping[type[BaseEvent], Handler]:
    return {
        # Intakes of a case's personal data are audited in the consumer's transaction.
        CaseReceived: audited_handler(runtime, cases.on_case_received, fields=SUSPECT_FIELDS),
        DefenseNoticeSent: audited_handler(
            runtime, notices.on_defense_notice_sent(runtime), fields=LETTER_FIELDS
        ),
        NoticeSupplemented: audited_handler(
            runtime, notices.on_notice_supplemented(runtime), fields=LETTER_FIELDS
        ),
        ReappointmentRequested: aid_changes.on_reappointment_requested(runtime),
        LawyerRefusalRuled: aid_changes.on_lawyer_refusal_ruled(runtime),
        EligibilityAssessed: aid_changes.on_eligibility_assessed(runtime),
        SelfDefensePermitted: aid_changes.on_self_defense_permitted(runtime),
        PrivateCounselRetained: aid_changes.on_private_counsel_retained(runtime),
        LegalAidApplicationForwarded: applications.on_application_forwarded(runtime),
        ProceduralDecisionMade: stage.on_procedural_decision(runtime),
        StageHandedOver: stage.on_stage_handed_over(runtime),
        DutyLawyerRequested: duty.on_duty_lawyer_requested(runtime),
    }
