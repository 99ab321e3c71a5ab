"""Events the legal aid center publishes (topic `aid-center.events`).

It owns the notice's acceptance, the lawyer and firm roster, assignment, replacement, conflict
handling, termination, lawyers' activity, quality review and the duty-lawyer rota.
"""

from __future__ import annotations

from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field, ValidationInfo, field_validator

from defense_schemas.base import BaseEvent
from defense_schemas.events.common import (
    AuditChainAnchor,
    DocumentNumber,
    Lawyer,
    given_exactly_when,
)
from defense_schemas.fields import (
    ContactInfo,
    Day,
    Fen,
    Instant,
    Note,
    OrgName,
    PersonName,
    Reference,
    ShortText,
    Unique,
)
from defense_schemas.topics import Producer
from defense_schemas.vocabulary import (
    ActivityKind,
    ApplicationDecision,
    AppointmentBasis,
    AssignmentEndReason,
    AssignmentFailureReason,
    CaseKind,
    ConflictKind,
    NoticeItem,
    QualityMeasure,
    QualityRating,
    ReplacementReason,
    ServiceMode,
    TerminationReason,
)

PaymentMissingYears = Annotated[
    tuple[Annotated[int, Field(ge=1900, le=2199)], ...],
    Field(
        max_length=10,
        description="The calendar years the last day to pay was guessed for (no official "
        "calendar yet); empty unless provisional.",
    ),
]


class AidCenterEvent(BaseEvent):
    """An event published by the legal aid center (法律援助中心)."""

    producer: ClassVar[Producer] = Producer.AID_CENTER


class NoticeAccepted(AidCenterEvent):
    """The center received a complete notice-of-defense letter and accepted it (受理). The 3 days
    to assign a lawyer run from its receipt (Measures Art. 4, LAL Art. 36)."""

    event_type = "NoticeAccepted"

    notice_id: UUID = Field(description="The notice accepted.")
    suspect_id: UUID = Field(description="The suspect the notice is for.")
    received_at: Instant = Field(description="When the letter reached the center.")
    accepted_at: Instant = Field(description="When the center accepted it.")
    aid_case_number: Reference | None = Field(
        default=None, description="The center's own case number for the aid (援助案号)."
    )


class SupplementRequested(AidCenterEvent):
    """The letter or its materials are incomplete; the center asks the procuratorate to
    supplement them (商请补充, Measures Art. 3)."""

    event_type = "SupplementRequested"

    notice_id: UUID = Field(description="The incomplete notice.")
    suspect_id: UUID = Field(description="The suspect the notice is for.")
    requested_at: Instant = Field(description="When the center asked.")
    missing_items: Unique[NoticeItem] = Field(min_length=1, description="What is missing.")
    detail: Note | None = Field(default=None, description="What exactly is needed.")


class LawyerAssigned(AidCenterEvent):
    """The center chose a lawyer and tells the procuratorate the lawyer's name, firm and contact
    (Measures Art. 4; the choice follows Art. 12–13 and LAL Art. 26)."""

    event_type = "LawyerAssigned"

    assignment_id: UUID = Field(description="The assignment's id (指派).")
    suspect_id: UUID = Field(description="The suspect to defend.")
    basis: AppointmentBasis = Field(description="On the procuratorate's notice or on application.")
    notice_id: UUID | None = Field(
        default=None, validate_default=True, description="The notice, for basis `notice`."
    )
    application_id: UUID | None = Field(
        default=None,
        validate_default=True,
        description="The forwarded application, for basis `application`.",
    )
    lawyer: Lawyer = Field(description="The appointed lawyer: name, firm and contact.")
    assigned_at: Instant = Field(description="When the lawyer was assigned.")
    continued_from_previous_stage: bool = Field(
        default=False,
        description="The lawyer of the previous stage continues (Measures Art. 13).",
    )
    document_number: DocumentNumber | None = Field(
        default=None, description="The number of the letter informing the procuratorate (函告)."
    )

    @field_validator("notice_id")
    @classmethod
    def _notice_for_notice_basis(cls, value: UUID | None, info: ValidationInfo) -> UUID | None:
        if "basis" in info.data:
            on_notice = info.data["basis"] is AppointmentBasis.NOTICE
            given_exactly_when(value, when=on_notice, what="basis `notice`")
        return value

    @field_validator("application_id")
    @classmethod
    def _application_for_application_basis(
        cls, value: UUID | None, info: ValidationInfo
    ) -> UUID | None:
        if "basis" in info.data:
            on_application = info.data["basis"] is AppointmentBasis.APPLICATION
            given_exactly_when(value, when=on_application, what="basis `application`")
        return value


class ConflictReported(AidCenterEvent):
    """A law firm's conflict check found a conflict in an assignment (利益冲突, Measures Art. 13):
    the center reassigns to another firm."""

    event_type = "ConflictReported"

    assignment_id: UUID = Field(description="The conflicted assignment.")
    suspect_id: UUID = Field(description="The suspect of that assignment.")
    lawyer_id: UUID = Field(description="The assigned lawyer.")
    firm_id: UUID = Field(description="The firm that found the conflict.")
    kind: ConflictKind = Field(description="What kind of conflict.")
    conflicting_suspect_ids: Unique[UUID] = Field(
        default=(), description="Co-suspects the same firm already defends, if that is the cause."
    )
    reported_at: Instant = Field(description="When the firm reported it.")
    detail: Note | None = Field(default=None, description="The firm's explanation.")


class LawyerReplaced(AidCenterEvent):
    """The center replaced an appointed lawyer with another (another firm after a conflict,
    Measures Art. 13; another lawyer after a refusal or a justified change, Art. 5)."""

    event_type = "LawyerReplaced"

    suspect_id: UUID = Field(description="The suspect defended.")
    previous_assignment_id: UUID = Field(description="The assignment that ends.")
    assignment_id: UUID = Field(description="The new assignment's id.")
    lawyer: Lawyer = Field(description="The new lawyer: name, firm and contact.")
    reason: ReplacementReason = Field(description="Why the lawyer was replaced.")
    replaced_at: Instant = Field(description="When the new lawyer was assigned.")
    reappointment_request_id: UUID | None = Field(
        default=None, description="The procuratorate's reappointment request, if one caused it."
    )
    detail: Note | None = Field(default=None, description="Circumstances of the replacement.")
    document_number: DocumentNumber | None = Field(
        default=None,
        description="The number of the letter informing the procuratorate of the new lawyer "
        "(函告, Measures Art. 4-5).",
    )


class AssignmentFailed(AidCenterEvent):
    """The center could not find a lawyer to assign; the case needs escalation before the
    3-day assignment clock runs out."""

    event_type = "AssignmentFailed"

    suspect_id: UUID = Field(description="The suspect still without a lawyer.")
    notice_id: UUID | None = Field(default=None, description="The notice, if on notice.")
    application_id: UUID | None = Field(
        default=None, description="The application, if on application."
    )
    reason: AssignmentFailureReason = Field(description="Why no lawyer could be assigned.")
    failed_at: Instant = Field(description="When the attempt failed.")
    detail: Note | None = Field(default=None, description="What was tried.")


class AssignmentEnded(AidCenterEvent):
    """An appointment ended while legal aid goes on. The procuratorate allowed the suspect's
    refusal of the appointed lawyer (正当理由, Measures Art. 5 ¶1): the suspect has no appointed
    defender until they retain counsel or the center, on the procuratorate's written request,
    appoints another (``LawyerReplaced`` naming this assignment). Or the lawyer had to be
    replaced and nobody qualified (``AssignmentFailed`` follows). Either way the lawyer no
    longer acts for the suspect."""

    event_type = "AssignmentEnded"

    assignment_id: UUID = Field(description="The assignment that ended.")
    suspect_id: UUID = Field(description="The suspect, now without that lawyer.")
    lawyer_id: UUID = Field(description="The lawyer who no longer acts for the suspect.")
    notice_id: UUID | None = Field(default=None, description="The notice, if on notice.")
    application_id: UUID | None = Field(
        default=None, description="The application, if on application."
    )
    reason: AssignmentEndReason = Field(description="Why the appointment ended.")
    ended_at: Instant = Field(description="When the appointment ended.")
    detail: Note | None = Field(default=None, description="Circumstances, e.g. the refusal.")


class AidTerminated(AidCenterEvent):
    """The center terminated legal aid for a suspect (终止法律援助决定)."""

    event_type = "AidTerminated"

    assignment_id: UUID = Field(description="The assignment terminated.")
    suspect_id: UUID = Field(description="The suspect.")
    reason: TerminationReason = Field(description="Why aid ended.")
    terminated_at: Instant = Field(description="When the termination took effect.")
    decision_number: Reference | None = Field(
        default=None, description="The termination decision's document number."
    )
    detail: Note | None = Field(default=None, description="Circumstances of the termination.")


class LawyerActivityLogged(AidCenterEvent):
    """An appointed lawyer recorded work done on the case: meeting, file review, investigation,
    written opinion (Measures Art. 7, 9; service standard, notice §五)."""

    event_type = "LawyerActivityLogged"

    activity_id: UUID = Field(description="The activity's id.")
    assignment_id: UUID = Field(description="The assignment the work belongs to.")
    suspect_id: UUID = Field(description="The suspect defended.")
    lawyer_id: UUID = Field(description="The lawyer who did the work.")
    kind: ActivityKind = Field(description="What was done.")
    performed_on: Day = Field(description="The day the work was done.")
    duration_minutes: int | None = Field(
        default=None, ge=1, le=1440, description="How long it took, if recorded."
    )
    note: Note | None = Field(default=None, description="What was done, briefly.")


class QualityReviewRecorded(AidCenterEvent):
    """The center reviewed the quality of an appointed lawyer's service (Measures Art. 14)."""

    event_type = "QualityReviewRecorded"

    review_id: UUID = Field(description="The review's id.")
    assignment_id: UUID = Field(description="The assignment reviewed.")
    suspect_id: UUID = Field(description="The suspect defended.")
    lawyer_id: UUID = Field(description="The lawyer reviewed.")
    measures: Unique[QualityMeasure] = Field(min_length=1, description="The measures used.")
    rating: QualityRating = Field(description="The outcome.")
    service_standard_met: bool = Field(
        description="The stage had at least one meeting, a file review, an investigation and a "
        "written opinion (national service standard, notice §五)."
    )
    reviewer: PersonName = Field(description="Who reviewed.")
    reviewed_at: Instant = Field(description="When the review was completed.")
    findings: Note | None = Field(default=None, description="The reviewer's findings.")


class DutyLawyerAssigned(AidCenterEvent):
    """A duty lawyer from the rota was assigned to give a suspect legal help or witness a plea
    (值班律师, Measures Art. 15)."""

    event_type = "DutyLawyerAssigned"

    request_id: UUID = Field(description="The procuratorate's duty-lawyer request.")
    suspect_id: UUID = Field(description="The suspect helped.")
    lawyer: Lawyer = Field(description="The duty lawyer.")
    work_station: OrgName = Field(description="The legal aid work station (法律援助工作站).")
    mode: ServiceMode = Field(description="On site, by phone or online.")
    assigned_at: Instant = Field(description="When the duty lawyer was assigned.")


class AidCenterAuditChainAnchored(AidCenterEvent, AuditChainAnchor):
    """The aid center's audit log head, anchored outside its database."""

    event_type = "AidCenterAuditChainAnchored"


class ApplicationMaterialsRequested(AidCenterEvent):
    """The application lacks material: the center tells the applicant, once and all of it at a
    time, what to supplement or explain (一次性告知, LAL Art. 43). Not supplied as asked by the
    day given, the application is deemed withdrawn."""

    event_type = "ApplicationMaterialsRequested"

    application_id: UUID = Field(description="The application.")
    suspect_id: UUID = Field(description="The suspect the application is for.")
    missing: Unique[ShortText] = Field(
        min_length=1, max_length=50, description="Every material to supplement or explain."
    )
    requested_at: Instant = Field(description="When the center asked.")
    due_on: Day = Field(description="The last day to supply them (Asia/Shanghai).")
    applicant_name: PersonName | None = Field(default=None, description="The applicant.")
    applicant_contact: ContactInfo | None = Field(
        default=None, description="How to reach the applicant."
    )
    applicant_relationship: ShortText | None = Field(
        default=None,
        description="The applicant's relationship to the suspect (e.g. 父亲; 本人 when the "
        "suspect applied), so the message can say whose application it answers; null when "
        "the application did not state it.",
    )


class ApplicationMaterialsSupplied(AidCenterEvent):
    """The applicant supplied, by the day given, the material the center asked for: the
    application is complete that day, and the 7-day review runs again from it (LAL Art. 43)."""

    event_type = "ApplicationMaterialsSupplied"

    application_id: UUID = Field(description="The application.")
    suspect_id: UUID = Field(description="The suspect the application is for.")
    supplied_at: Instant = Field(description="When the center recorded the material.")
    review_due_on: Day = Field(description="The last day of the review, counted again from now.")


class ApplicationDecided(AidCenterEvent):
    """The center's decision on an application for legal aid (LAL Art. 43): granted (a lawyer
    within 3 days of the decision), refused in writing with the reasons and the right to object
    to the justice bureau that set up the center (Art. 49), or deemed withdrawn."""

    event_type = "ApplicationDecided"

    application_id: UUID = Field(description="The application.")
    suspect_id: UUID = Field(description="The suspect the application is for.")
    decision: ApplicationDecision = Field(description="The decision.")
    decided_at: Instant = Field(description="When the center decided.")
    reasons: Note | None = Field(
        default=None,
        validate_default=True,
        description="Why (required for a refusal and a deemed withdrawal: the written decision "
        "states its reasons).",
    )
    objection_to: OrgName | None = Field(
        default=None,
        description="For a refusal: the justice bureau the applicant may object to (LAL Art. 49).",
    )
    assignment_due_on: Day | None = Field(
        default=None, description="For a grant: the last day to appoint a lawyer (3 days)."
    )
    applicant_name: PersonName | None = Field(default=None, description="The applicant.")
    applicant_contact: ContactInfo | None = Field(
        default=None, description="How to reach the applicant."
    )
    applicant_relationship: ShortText | None = Field(
        default=None,
        description="The applicant's relationship to the suspect (e.g. 父亲; 本人 when the "
        "suspect applied), so the message can say whose application it answers; null when "
        "the application did not state it.",
    )

    @field_validator("reasons")
    @classmethod
    def _reasons_unless_granted(cls, value: str | None, info: ValidationInfo) -> str | None:
        decision = info.data.get("decision")
        if decision is not None and decision is not ApplicationDecision.GRANTED and not value:
            raise ValueError("a refusal or a deemed withdrawal states its reasons")
        return value


class SubsidyClaimed(AidCenterEvent):
    """A lawyer's work on a stage ended (the assignment ended, or the stage was handed over): a
    case subsidy (办案补贴) is owed, at the standard in force for the district, stage and kind of
    case (notice §四: paid promptly and in full)."""

    event_type = "SubsidyClaimed"

    claim_id: UUID = Field(description="The claim.")
    assignment_id: UUID = Field(description="The assignment whose work it pays.")
    suspect_id: UUID = Field(description="The suspect defended.")
    lawyer_id: UUID = Field(description="The lawyer owed it.")
    firm_id: UUID = Field(description="The lawyer's firm.")
    stage: ShortText = Field(description="The stage the work was for, e.g. review_for_prosecution.")
    case_kind: CaseKind = Field(description="The kind of case the standard is for.")
    standard_amount_fen: Fen | None = Field(
        description="The standard's amount in fen; None when no standard is in force (staff "
        "load one, then approve)."
    )
    opened_at: Instant = Field(description="When the work on the stage ended.")


class SubsidyApproved(AidCenterEvent):
    """Staff checked the closing materials against the service standard (notice §五) and the
    quality review and approved an amount: the standard's, or less with the reason. The payment
    is due by ``payment_due_on``."""

    event_type = "SubsidyApproved"

    claim_id: UUID = Field(description="The claim.")
    lawyer_id: UUID = Field(description="The lawyer owed it.")
    approved_amount_fen: Fen = Field(description="The amount approved, in fen.")
    standard_amount_fen: Fen = Field(description="The standard's amount, in fen.")
    reduction_reason: Note | None = Field(
        default=None, description="Why less than the standard was approved (required then)."
    )
    approved_at: Instant = Field(description="When it was approved.")
    payment_due_on: Day = Field(description="The last day to pay it.")
    suspect_id: UUID | None = Field(
        default=None,
        description="The suspect defended (the deadline board shows the payment with the "
        "suspect's legal aid center).",
    )
    payment_due_provisional: bool = Field(
        default=False,
        description="The last day to pay was counted on a guessed calendar (a year without "
        "the official one); SubsidyPaymentDueRecounted follows when the year is loaded.",
    )
    payment_due_missing_years: PaymentMissingYears = ()


class SubsidyPaymentDueRecounted(AidCenterEvent):
    """The last day to pay an approved subsidy, counted on a guessed calendar, was counted
    again because the official calendar of a year it needs was loaded (the days from the
    approval are counted like the platform's other periods: a last day that is a rest day moves
    to the next working day). Only the calendar changed; the subsidy is still unpaid."""

    event_type = "SubsidyPaymentDueRecounted"

    claim_id: UUID = Field(description="The claim.")
    lawyer_id: UUID = Field(description="The lawyer owed it.")
    suspect_id: UUID | None = Field(default=None, description="The suspect defended.")
    approved_at: Instant = Field(description="When it was approved (the days count from it).")
    payment_due_on: Day = Field(description="The last day to pay it, counted again.")
    previous_payment_due_on: Day = Field(description="The last day published before.")
    payment_due_provisional: bool = Field(
        description="Still counted on a guessed calendar (another year it needs is missing)."
    )
    payment_due_missing_years: PaymentMissingYears = ()
    recounted_at: Instant = Field(description="When the day was counted again.")


class SubsidyPaid(AidCenterEvent):
    """The subsidy was paid (date, amount, reference); late and short payments are flagged."""

    event_type = "SubsidyPaid"

    claim_id: UUID = Field(description="The claim.")
    lawyer_id: UUID = Field(description="The lawyer paid.")
    paid_amount_fen: Fen = Field(description="The amount paid, in fen.")
    paid_on: Day = Field(description="The day it was paid.")
    reference: Reference = Field(description="The payment's reference (凭证号).")
    payment_due_on: Day = Field(description="The last day it was due.")
    late: bool = Field(description="Paid after the day it was due.")
    short: bool = Field(description="Paid less than the amount approved.")
