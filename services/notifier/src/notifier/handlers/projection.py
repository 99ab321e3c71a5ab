"""The case facts the notifier keeps from the events: cases, suspects and the contacts
projection (who can be reached, 联系方式), changed in the transaction's batch
(handlers/batch.py)."""

from __future__ import annotations

from uuid import UUID

from defense_schemas import BaseEvent, Envelope
from defense_schemas.events import aid_center as aid
from defense_schemas.events import procuratorate as pr
from defense_schemas.vocabulary import (
    DefenseChoice,
    GroundBasis,
    ProceduralDecisionKind,
    RecipientRole,
    RefusalOutcome,
)
from notifier.domain.clocks import (
    CaseView,
    SuspectView,
    dismissal_reopens_letter,
    termination_leaves_a_defender,
    termination_reopens_letter,
)
from notifier.domain.deliveries import contacts_from
from notifier.handlers.batch import ProjectionBatch


def view_of(batch: ProjectionBatch, case_id: UUID) -> CaseView:
    """What the clock rules need to know of a case, as of before the current event (a copy:
    the batch moves on)."""
    view = CaseView(review_deadline=batch.case(case_id)["review_deadline"])
    for suspect_id, row in batch.suspects_of(case_id).items():
        view.suspects[suspect_id] = SuspectView(
            in_scope=row["in_scope"],
            decided_no_counsel=row["decided_no_counsel"],
            notice_sent=row["notice_sent"],
            has_defender=row["has_defender"],
            lawyer_assigned=row["lawyer_assigned"],
            lawyer_assigned_at=row["lawyer_assigned_at"],
            notice_sent_at=row["notice_sent_at"],
            letter_reopened_at=row["letter_reopened_at"],
            aid_terminated=row["aid_terminated"],
            legal_aid_law_ground=row["legal_aid_law_ground"],
            application_decided_at=row["application_decided_at"],
        )
    view.open_clocks = set(batch.open_clocks.get(case_id, {}))
    return view


def record_facts(batch: ProjectionBatch, envelope: Envelope, event: BaseEvent) -> int:
    """Update cases, suspects and contacts from `event`; returns how many contacts (personal
    data, stored encrypted) it wrote."""
    case_id = envelope.case_id
    batch.case(case_id)
    match event:
        case pr.CaseReceived():
            batch.update_case(
                case_id,
                transfer_number=event.transfer_number,
                procuratorate_unit=event.procuratorate_unit,
                district=event.district,
                review_deadline=event.review_deadline,
                updated_at=envelope.occurred_at,
            )
            batch.backfill_clocks(case_id, None, "district", event.district)
            for suspect in event.suspects:
                batch.update_suspect(case_id, suspect.suspect_id, name=suspect.name)
                if suspect.retained_counsel is not None:
                    batch.update_suspect(case_id, suspect.suspect_id, has_defender=True)
        case pr.ExpeditedProcedureApplied() | pr.ReviewDeadlineRecounted():
            batch.update_case(case_id, review_deadline=event.review_deadline)
        case pr.ProceduralDecisionMade() if event.kind is ProceduralDecisionKind.EXTENSION:
            batch.update_case(case_id, review_deadline=event.review_deadline)
        case pr.EligibilityAssessed():
            batch.update_suspect(
                case_id,
                event.suspect_id,
                in_scope=bool(event.grounds),
                legal_aid_law_ground=any(
                    g.basis is GroundBasis.LEGAL_AID_LAW_ART_25_1 for g in event.grounds
                ),
            )
        case pr.DefenseDecisionRecorded():
            batch.update_suspect(
                case_id,
                event.suspect_id,
                decided_no_counsel=event.choice is DefenseChoice.NO_COUNSEL,
            )
        case pr.DefenseNoticeSent():
            sent_before = (batch.suspect(case_id, event.suspect_id) or {}).get("notice_sent_at")
            batch.update_suspect(
                case_id,
                event.suspect_id,
                notice_sent=True,
                notice_sent_at=event.sent_at
                if sent_before is None
                else max(sent_before, event.sent_at),
                aid_center=event.letter.addressee_center,
            )
            batch.backfill_clocks(
                case_id, event.suspect_id, "agency", event.letter.addressee_center
            )
        case pr.LegalAidApplicationForwarded():
            # The center the application went to answers for its review and the appointment.
            batch.update_suspect(case_id, event.suspect_id, aid_center=event.addressee_center)
            batch.backfill_clocks(case_id, event.suspect_id, "agency", event.addressee_center)
        case aid.ApplicationDecided():
            known = (batch.suspect(case_id, event.suspect_id) or {}).get("application_decided_at")
            batch.update_suspect(
                case_id,
                event.suspect_id,
                application_decided_at=event.decided_at
                if known is None
                else max(known, event.decided_at),
            )
        case aid.LawyerAssigned() | aid.LawyerReplaced():
            at = event.assigned_at if isinstance(event, aid.LawyerAssigned) else event.replaced_at
            known = (batch.suspect(case_id, event.suspect_id) or {}).get("lawyer_assigned_at")
            batch.update_suspect(
                case_id,
                event.suspect_id,
                lawyer_assigned=True,
                has_defender=True,
                lawyer_firm=event.lawyer.firm_name,
                lawyer_assigned_at=at if known is None else max(known, at),
            )
        case aid.AidTerminated():
            keeps_defender = termination_leaves_a_defender(event.reason)
            terminated: dict[str, object] = {
                "lawyer_assigned": False,
                "has_defender": keeps_defender,
                "aid_terminated": True,
            }
            if termination_reopens_letter(event.reason):
                terminated["letter_reopened_at"] = event.terminated_at
            batch.update_suspect(case_id, event.suspect_id, **terminated)
        case pr.PrivateCounselDismissed():
            known = batch.suspect(case_id, event.suspect_id) or {}
            dismissed: dict[str, object] = {"has_defender": bool(known.get("lawyer_assigned"))}
            if dismissal_reopens_letter(view_of(batch, case_id).suspect(event.suspect_id)):
                dismissed["letter_reopened_at"] = event.dismissed_at
            batch.update_suspect(case_id, event.suspect_id, **dismissed)
        case pr.LawyerRefusalRuled() if event.outcome is RefusalOutcome.ALLOWED_MUST_RETAIN_COUNSEL:
            # The refused appointment ends; a replacement the center already made (its topic
            # read first) is later than the ruling and stays.
            known = (batch.suspect(case_id, event.suspect_id) or {}).get("lawyer_assigned_at")
            if known is None or known <= event.ruled_at:
                batch.update_suspect(
                    case_id,
                    event.suspect_id,
                    lawyer_assigned=False,
                    has_defender=False,
                    letter_reopened_at=event.ruled_at,
                )
        case aid.AssignmentEnded():
            # The lawyer no longer acts; an appointment the center made later stays.
            known = (batch.suspect(case_id, event.suspect_id) or {}).get("lawyer_assigned_at")
            if known is None or known <= event.ended_at:
                batch.update_suspect(
                    case_id, event.suspect_id, lawyer_assigned=False, has_defender=False
                )
        case pr.PrivateCounselRetained() | pr.SelfDefensePermitted():
            batch.update_suspect(case_id, event.suspect_id, has_defender=True)
    found, replaced = contacts_from(event)
    for role, suspect_id in replaced:
        batch.forget_contacts(case_id, role, suspect_id)
    for contact in found:
        batch.add_contact(case_id, contact, envelope.event_id)
    return len(found)


def forget_lawyer(batch: ProjectionBatch, case_id: UUID, suspect_id: UUID) -> None:
    """After a termination the lawyer no longer acts for the suspect: no more messages."""
    batch.forget_contacts(case_id, RecipientRole.LAWYER, suspect_id)
