"""Events the procuratorate publishes (topic `procuratorate.events`).

It owns the case, the suspects, eligibility, the rights notification, the notice-of-defense
letter, refusals, file-review bookings, procedural decisions and plea records.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from defense_schemas.base import BaseEvent, ContractModel
from defense_schemas.events.common import (
    Applicant,
    AuditChainAnchor,
    CaseParticulars,
    DefenderRef,
    DocumentNumber,
    Guardian,
    Officer,
    RecipientWishes,
    RetainedCounsel,
    given_exactly_when,
)
from defense_schemas.fields import (
    Charge,
    ContactInfo,
    Day,
    DocumentText,
    Instant,
    Note,
    OrgName,
    PersonName,
    Place,
    Reference,
    ShortText,
    Unique,
)
from defense_schemas.topics import Producer
from defense_schemas.vocabulary import (
    AssessmentTrigger,
    DefenseChoice,
    DefenseStatus,
    DutyLawyerPurpose,
    EconomicTestExemption,
    Ground,
    GroundBasis,
    NoticeItem,
    OpinionResponse,
    PersonRole,
    ProceduralDecisionKind,
    ReappointmentReason,
    ReceiptKind,
    RefusalOutcome,
    WitnessMode,
    WitnessRole,
)


class ProcuratorateEvent(BaseEvent):
    """An event published by the procuratorate (人民检察院)."""

    producer: ClassVar[Producer] = Producer.PROCURATORATE


MissingYears = Annotated[
    tuple[Annotated[int, Field(ge=1900, le=2199)], ...],
    Field(
        max_length=10,
        description="The calendar years the review period's last day was guessed for (no "
        "official calendar yet); empty unless provisional.",
    ),
]


def _provisional_field() -> Any:
    return Field(
        default=False,
        description="The review period's last day was counted on a guessed calendar (a year it "
        "needs has no official calendar: weekends and fixed-date holidays only); a "
        "ReviewDeadlineRecounted follows when that year is loaded.",
    )


# --- the case and eligibility -------------------------------------------------------------


class CaseReceived(ProcuratorateEvent, CaseParticulars):
    """The procuratorate received a case for review (受理审查起诉). Starts the 3-day rights
    notification clock (Measures Art. 3) and the review period (CPL Art. 172)."""

    event_type = "CaseReceived"

    receipt_kind: ReceiptKind = Field(
        description="First transfer, re-transfer after supplementary investigation, or a "
        "change of jurisdiction; each restarts the review period."
    )
    received_at: Instant = Field(
        description="When the case materials were received; the 3 days run from this day."
    )
    review_deadline: Day = Field(
        description="The last day of the review period (CPL Art. 172), Asia/Shanghai."
    )
    review_deadline_provisional: bool = _provisional_field()
    review_deadline_missing_years: MissingYears = ()
    pilot_district: bool = Field(
        description="The district was in the pilot scope on receipt, so Measures Art. 2 grounds "
        "apply."
    )
    prosecutor: Officer | None = Field(
        default=None, description="The prosecutor handling the case, once assigned."
    )


class EligibilityAssessed(ProcuratorateEvent):
    """The procuratorate (re)assessed whether a suspect is in the mandatory scope and on which
    grounds (Measures Art. 2, LAL Art. 25(1)). No grounds means outside the scope."""

    event_type = "EligibilityAssessed"

    suspect_id: UUID = Field(description="The suspect assessed.")
    assessed_at: Instant = Field(description="When the assessment was made.")
    trigger: AssessmentTrigger = Field(description="Why the assessment was made now.")
    grounds: Unique[Ground] = Field(
        description="Every ground that applies now; empty when the suspect is out of scope."
    )
    discovered_grounds: Unique[Ground] = Field(
        default=(),
        validate_default=True,
        description="The grounds newly found by this assessment (a subset of `grounds`); the "
        "3 days for notifying legal aid run from their discovery.",
    )
    pilot_district: bool = Field(
        description="Measures Art. 2 grounds were considered (the district is in the pilot)."
    )

    @field_validator("discovered_grounds")
    @classmethod
    def _discovered_subset(
        cls, discovered: tuple[Ground, ...], info: ValidationInfo
    ) -> tuple[Ground, ...]:
        if "grounds" in info.data and not set(discovered) <= set(info.data["grounds"]):
            raise ValueError("discovered grounds must also be listed in grounds")
        return discovered

    @property
    def in_mandatory_scope(self) -> bool:
        """Any ground applies: without a defender the suspect gets an appointed lawyer."""
        return bool(self.grounds)


class InformedPerson(ContractModel):
    """A person who was informed of the right to counsel."""

    role: PersonRole = Field(description="The suspect, a close relative or the guardian.")
    name: PersonName = Field(description="The person's name.")
    informed_at: Instant | None = Field(
        default=None,
        description="When this person was told; absent in records written before it was kept "
        "per person (then the notification's `notified_at`).",
    )
    told_legal_aid_will_appoint: bool | None = Field(
        default=None,
        description="This person was also told that, if no defender is retained, legal aid "
        "will appoint one (Measures Art. 3 ¶1, for a suspect in the mandatory scope).",
    )


class RightsNotified(ProcuratorateEvent):
    """The suspect and close relatives were told of the right to retain a defender, and, in the
    mandatory scope, that legal aid will appoint one otherwise (Measures Art. 3, CPL Art. 34)."""

    event_type = "RightsNotified"

    suspect_id: UUID = Field(description="The suspect whose rights were notified.")
    notified_at: Instant = Field(description="When the notification was given.")
    informed: tuple[InformedPerson, ...] = Field(
        min_length=1, description="Everyone informed: the suspect, relatives, guardian."
    )
    grounds: Unique[Ground] = Field(
        default=(), description="The mandatory-scope grounds known at the time, if any."
    )
    legal_aid_warning_given: bool = Field(
        description="They were told that if no defender is retained, legal aid will appoint one."
    )
    relatives_not_informed_reason: Note | None = Field(
        default=None,
        description="Why no close relative or guardian was informed (none known, unreachable); "
        "Measures Art. 3 ¶1 requires them to be told as well.",
    )


class DefenseDecisionRecorded(ProcuratorateEvent):
    """The suspect's decision about a defender was recorded (记录在案, Measures Art. 3). Where a
    relative or guardian acts, the suspect's own opinion decides (Measures Art. 6)."""

    event_type = "DefenseDecisionRecorded"

    suspect_id: UUID = Field(description="The suspect who decided.")
    choice: DefenseChoice = Field(description="What was decided.")
    decided_by: PersonRole = Field(description="Who expressed the decision.")
    decided_at: Instant = Field(
        description="When the decision was recorded; starts the 3-day letter clock for a "
        "mandatory-scope suspect who retains no one."
    )
    note: Note | None = Field(default=None, description="Anything the record adds.")


class LegalAidApplicationForwarded(ProcuratorateEvent):
    """A suspect outside the mandatory scope applied for legal aid and the procuratorate
    forwarded the application to the legal aid center (转交申请, for 申请指派)."""

    event_type = "LegalAidApplicationForwarded"

    application_id: UUID = Field(description="The application's id.")
    suspect_id: UUID = Field(description="The suspect the application is for.")
    applied_by: PersonRole = Field(description="Who applied.")
    applied_at: Instant = Field(description="When the application was made.")
    forwarded_at: Instant = Field(description="When it was forwarded to the center.")
    addressee_center: OrgName = Field(description="The legal aid center it was sent to.")
    applicant: Applicant | None = Field(
        default=None, description="Who applied and how to reach them (the center answers them)."
    )
    economic_hardship_statement: Note | None = Field(
        default=None,
        description="The applicant's statement of economic hardship (LAL Art. 41).",
    )
    exemption_grounds: Unique[EconomicTestExemption] = Field(
        default=(),
        description="Grounds exempting the application from the economic test (LAL Art. 32, 42).",
    )
    materials: tuple[ShortText, ...] = Field(
        default=(), max_length=50, description="The materials submitted with the application."
    )


# --- the notice-of-defense letter ---------------------------------------------------------


class NoticeOfDefenseLetter(ContractModel):
    """The notice-of-defense letter (人民检察院通知辩护公函), every field of the form annexed to the
    Measures, plus its rendered text."""

    document_number: DocumentNumber = Field(
        description="The letter's number `〔year〕N号`, sequential per issuing unit per year."
    )
    procuratorate_unit: OrgName = Field(description="The procuratorate that issues the letter.")
    addressee_center: OrgName = Field(description="The legal aid center addressed (法律援助中心).")
    suspect_name: PersonName = Field(description="The suspect's name (犯罪嫌疑人).")
    charges: tuple[Charge, ...] = Field(min_length=1, description="The suspected crimes (涉嫌).")
    transferring_agency: OrgName = Field(description="The agency that transferred the case.")
    grounds: Unique[Ground] = Field(
        min_length=1, description="Why the suspect is notified for (因其属于…): the grounds."
    )
    place_of_detention_or_residence: Place = Field(
        description="The place of detention or the residence (羁押场所或者住所)."
    )
    suspect_contact: ContactInfo | None = Field(
        default=None, description="The suspect's contact (犯罪嫌疑人联系方式)."
    )
    guardian: Guardian | None = Field(
        default=None,
        description="For a minor, the legal guardian and contact (未成年犯罪嫌疑人法定代理人).",
    )
    case_handler: Officer = Field(
        description="The prosecutor handling the case and contact (案件承办人/检察人员)."
    )
    copy_number: int = Field(ge=1, le=9, description="Which copy this is (第x联).")
    copy_label: ShortText | None = Field(
        default=None, description="The copy's destination as printed after the copy number."
    )
    rendered_text: DocumentText = Field(description="The letter's full text as sent.")

    @property
    def cited_bases(self) -> tuple[GroundBasis, ...]:
        """The instruments the letter cites (LAL Art. 25(1) and/or Measures Art. 2)."""
        return tuple(sorted({ground.basis for ground in self.grounds}))


class DefenseNoticeSent(ProcuratorateEvent):
    """The notice-of-defense letter was sent to the legal aid center (Measures Art. 3), within
    3 days of the decision not to retain counsel."""

    event_type = "DefenseNoticeSent"

    notice_id: UUID = Field(description="The notice's id; the center's replies refer to it.")
    suspect_id: UUID = Field(description="The suspect the letter is for.")
    sent_at: Instant = Field(description="When the letter was sent.")
    letter: NoticeOfDefenseLetter = Field(description="The letter's content.")
    materials: tuple[ShortText, ...] = Field(
        default=(), description="The materials sent with the letter (通知辩护材料)."
    )
    recipient_wishes: RecipientWishes | None = Field(
        default=None,
        description="The suspect's wishes about the lawyer, if any were expressed (Measures "
        "Art. 12).",
    )


class NoticeSupplemented(ProcuratorateEvent):
    """The procuratorate supplemented an incomplete letter or its materials at the center's
    request (Measures Art. 3), leaving time for the center and the lawyer to work."""

    event_type = "NoticeSupplemented"

    notice_id: UUID = Field(description="The notice supplemented.")
    suspect_id: UUID = Field(description="The suspect the notice is for.")
    supplemented_at: Instant = Field(description="When the supplement was sent.")
    supplemented_items: Unique[NoticeItem] = Field(min_length=1, description="The items supplied.")
    revised_letter: NoticeOfDefenseLetter | None = Field(
        default=None, description="The whole letter as revised, when its content changed."
    )
    added_materials: tuple[ShortText, ...] = Field(
        default=(), description="Materials added to the notice."
    )
    review_deadline: Day = Field(
        description="The review period's current last day, to show how much time is left."
    )


# --- refusal, self-defense, private counsel -----------------------------------------------


class LawyerRefusalRuled(ProcuratorateEvent):
    """A mandatory-scope suspect refused the appointed lawyer and the procuratorate ruled on the
    reason (Measures Art. 5)."""

    event_type = "LawyerRefusalRuled"

    suspect_id: UUID = Field(description="The suspect who refused.")
    assignment_id: UUID = Field(description="The assignment of the refused lawyer.")
    refusal_reason: Note = Field(description="The reason the suspect gave.")
    outcome: RefusalOutcome = Field(description="The ruling.")
    ruled_at: Instant = Field(description="When the ruling was made.")
    explanation: Note | None = Field(
        default=None, description="The procuratorate's reasons, e.g. why self-defense was denied."
    )


class ReappointmentRequested(ProcuratorateEvent):
    """The procuratorate notified the center in writing to appoint another lawyer (另行指派,
    Measures Art. 5)."""

    event_type = "ReappointmentRequested"

    request_id: UUID = Field(description="The request's id; the replacement refers to it.")
    suspect_id: UUID = Field(description="The suspect who needs another lawyer.")
    previous_assignment_id: UUID = Field(description="The assignment being replaced.")
    reason: ReappointmentReason = Field(description="Why another lawyer is needed.")
    requested_at: Instant = Field(description="When the request was sent.")
    addressee_center: OrgName = Field(description="The legal aid center addressed.")
    document_number: DocumentNumber | None = Field(
        default=None, description="The written notice's number, if numbered."
    )


class SelfDefensePermitted(ProcuratorateEvent):
    """The procuratorate permitted a suspect who insists on defending themselves to do so; the
    center terminates aid (Measures Art. 5). By policy only where every ground is a Measures
    Art. 2 ground."""

    event_type = "SelfDefensePermitted"

    suspect_id: UUID = Field(description="The suspect permitted to defend themselves.")
    assignment_id: UUID | None = Field(
        default=None, description="The active assignment whose aid is to be terminated, if any."
    )
    grounds: Unique[Ground] = Field(
        description="The suspect's grounds when permission was given (the policy's input)."
    )
    statement: Note = Field(description="The suspect's reason for defending themselves.")
    permitted_at: Instant = Field(description="When permission was given.")


class PrivateCounselRetained(ProcuratorateEvent):
    """The suspect retained counsel, or confirmed counsel retained by a relative or guardian
    (Measures Art. 6). An active legal-aid assignment is then terminated."""

    event_type = "PrivateCounselRetained"

    retention_id: UUID = Field(description="The retention's id.")
    suspect_id: UUID = Field(description="The suspect defended.")
    counsel: RetainedCounsel = Field(description="The retained defender.")
    retained_by: PersonRole = Field(
        description="Who retained counsel; for a relative or guardian, the suspect confirmed."
    )
    retained_at: Instant = Field(description="When the retention took effect.")
    active_assignment_id: UUID | None = Field(
        default=None, description="The appointed lawyer's assignment to terminate, if any."
    )


class PrivateCounselDismissed(ProcuratorateEvent):
    """The suspect dismissed retained counsel (解除委托). After a termination of aid, legal aid is
    notified again only where an LAL Art. 25(1) ground applies (Measures Art. 6)."""

    event_type = "PrivateCounselDismissed"

    retention_id: UUID = Field(description="The retention ended.")
    suspect_id: UUID = Field(description="The suspect.")
    dismissed_at: Instant = Field(description="When the retention ended.")
    note: Note | None = Field(default=None, description="Circumstances of the dismissal.")


class DefenseStatusChanged(ProcuratorateEvent):
    """A suspect's defense status in the work ledger (工作台账) changed. The procuratorate derives
    it from every event about the suspect, so statistics count one definition everywhere."""

    event_type = "DefenseStatusChanged"

    suspect_id: UUID = Field(description="The suspect.")
    status: DefenseStatus = Field(description="The status from now on.")
    previous_status: DefenseStatus = Field(description="The status until now.")
    changed_at: Instant = Field(description="When the status changed.")


# --- the lawyer's work --------------------------------------------------------------------


class ExpeditedProcedureApplied(ProcuratorateEvent):
    """In a plea case the procuratorate chose the expedited procedure (速裁程序); the lawyer is
    told at once (Measures Art. 7) and the review period shortens to 10 or 15 days."""

    event_type = "ExpeditedProcedureApplied"

    suspect_ids: Unique[UUID] = Field(min_length=1, description="The suspects it applies to.")
    decided_at: Instant = Field(description="When the procedure was chosen.")
    review_deadline: Day = Field(description="The review period's new last day.")
    review_deadline_provisional: bool = _provisional_field()
    review_deadline_missing_years: MissingYears = ()


class ReviewDeadlineRecounted(ProcuratorateEvent):
    """The review period's last day, published on a guessed calendar, was counted again because
    the official calendar of a year it needs was loaded (CPL Art. 105, 172). The day counts from
    the same receipt by the same period (one month, its extension, or the expedited procedure's
    days); only the calendar changed. Consumers move the review period and what is due on its
    last day (the written opinions, Measures Art. 9)."""

    event_type = "ReviewDeadlineRecounted"

    counted_from: Day = Field(description="The day the review period counts from (the receipt).")
    review_deadline: Day = Field(description="The review period's last day, counted again.")
    previous_review_deadline: Day = Field(description="The last day published before.")
    review_deadline_provisional: bool = Field(
        description="Still counted on a guessed calendar (another year it needs is missing)."
    )
    review_deadline_missing_years: MissingYears = ()
    recounted_at: Instant = Field(description="When the day was counted again.")


class LegalCalendarYearLoaded(ProcuratorateEvent):
    """One year of the official holiday calendar (the State Council's notice of the year's
    holidays and makeup workdays) was loaded or corrected at the procuratorate, which keeps the
    platform's legal calendar. Every deadline counted in days skips rest days (CPL Art. 105;
    Measures Art. 4, 6, 7), so the three services count on one calendar: the others store the
    year when its ``revision`` is newer than the one they hold (a redelivered or late older
    revision changes nothing) and count again the deadlines guessed without it. Keyed by
    :func:`legal_calendar_key` of the year, so one year's revisions stay in order."""

    event_type = "LegalCalendarYearLoaded"

    year: int = Field(ge=1949, le=2199, description="The calendar year.")
    holidays: tuple[Day, ...] = Field(
        min_length=1,
        description="Every statutory day off of the year (法定节假日), the bridged rest days "
        "(调休放假) and the weekend days inside a holiday span included; sorted.",
    )
    makeup_workdays: tuple[Day, ...] = Field(
        default=(), description="Saturdays and Sundays that are working days (调休上班); sorted."
    )
    source: ShortText = Field(description="Where the data came from, as the operator said.")
    revision: int = Field(
        ge=1,
        description="The year's load count at the procuratorate (1 for the first load, then one "
        "more per correction): the higher revision wins, whatever the order of arrival.",
    )
    loaded_at: Instant = Field(description="When the procuratorate stored this revision.")


def legal_calendar_key(year: int) -> UUID:
    """The Kafka key (envelope ``case_id``) of :class:`LegalCalendarYearLoaded` for ``year``:
    one per year, so a year's revisions are on one partition, in order."""
    return uuid5(NAMESPACE_URL, f"defense-coverage:legal-calendar:{year}")


class FileReviewRequested(ProcuratorateEvent):
    """A defense lawyer asked to review the case files (阅卷, Measures Art. 8)."""

    event_type = "FileReviewRequested"

    request_id: UUID = Field(description="The request's id.")
    suspect_id: UUID = Field(description="The suspect the lawyer defends.")
    defender: DefenderRef = Field(description="The lawyer asking.")
    requested_at: Instant = Field(
        description="When the request was made; a deferred review is due within 3 working days."
    )


class FileReviewScheduled(ProcuratorateEvent):
    """The procuratorate arranged the file review: promptly, or, with an explanation, within 3
    working days (Measures Art. 8)."""

    event_type = "FileReviewScheduled"

    request_id: UUID = Field(description="The request arranged.")
    suspect_id: UUID = Field(description="The suspect the lawyer defends.")
    scheduled_at: Instant = Field(description="When the arrangement was made.")
    review_starts_at: Instant = Field(description="When the lawyer can review the files.")
    location: Place = Field(description="Where, or the electronic file-review channel.")
    delay_explanation: Note | None = Field(
        default=None,
        description="Why the review could not be arranged at once; absent when it was prompt.",
    )


class WrittenOpinionReceived(ProcuratorateEvent):
    """The defense lawyer's written opinion arrived before the review period ended; a copy is
    filed (Measures Art. 9)."""

    event_type = "WrittenOpinionReceived"

    opinion_id: UUID = Field(description="The opinion's id.")
    suspect_id: UUID = Field(description="The suspect defended.")
    defender: DefenderRef = Field(description="The lawyer who wrote it.")
    received_at: Instant = Field(description="When the opinion was received.")
    covers_plea_matters: bool = Field(
        description="In a plea case, it addresses the matters of CPL Art. 173(2)."
    )
    copy_filed: bool = Field(description="A copy was placed in the case file (副本附卷).")


class ProceduralDecisionMade(ProcuratorateEvent):
    """A major procedural decision the lawyer must be told of promptly (Measures Art. 10). It
    moves the review-period clock: an extension sets a new deadline; a return stops the period
    until re-transfer; indictment and non-prosecution end it; a change of jurisdiction restarts
    it at the new procuratorate's receipt."""

    event_type = "ProceduralDecisionMade"

    decision_id: UUID = Field(description="The decision's id.")
    kind: ProceduralDecisionKind = Field(description="The decision.")
    suspect_ids: Unique[UUID] = Field(min_length=1, description="The suspects it concerns.")
    decided_at: Instant = Field(description="When the decision was made.")
    document_number: Reference | None = Field(
        default=None, description="The decision document's number."
    )
    review_deadline: Day | None = Field(
        default=None,
        validate_default=True,
        description="For an extension only: the review period's new last day.",
    )
    review_deadline_provisional: bool = _provisional_field()
    review_deadline_missing_years: MissingYears = ()
    supplementary_investigation_round: int | None = Field(
        default=None,
        ge=1,
        le=2,
        validate_default=True,
        description="For a return only: which return this is (at most two, CPL Art. 175).",
    )
    receiving_unit: OrgName | None = Field(
        default=None,
        validate_default=True,
        description="For a change of jurisdiction only: the procuratorate taking the case.",
    )
    note: Note | None = Field(default=None, description="The decision's reasons or remarks.")

    @field_validator("review_deadline")
    @classmethod
    def _deadline_for_extension(cls, value: date | None, info: ValidationInfo) -> date | None:
        if "kind" in info.data:
            is_extension = info.data["kind"] is ProceduralDecisionKind.EXTENSION
            given_exactly_when(value, when=is_extension, what="an extension")
        return value

    @field_validator("supplementary_investigation_round")
    @classmethod
    def _round_for_return(cls, value: int | None, info: ValidationInfo) -> int | None:
        if "kind" in info.data:
            is_return = (
                info.data["kind"] is ProceduralDecisionKind.RETURN_FOR_SUPPLEMENTARY_INVESTIGATION
            )
            given_exactly_when(
                value, when=is_return, what="a return for supplementary investigation"
            )
        return value

    @field_validator("receiving_unit")
    @classmethod
    def _unit_for_jurisdiction_change(cls, value: str | None, info: ValidationInfo) -> str | None:
        if "kind" in info.data:
            is_change = info.data["kind"] is ProceduralDecisionKind.JURISDICTION_CHANGE
            given_exactly_when(value, when=is_change, what="a jurisdiction change")
        return value


class StageHandedOver(ProcuratorateEvent):
    """The suspect was indicted and the case handed to the trial stage; the court is told of the
    defender so the trial-stage system can pick the case up (the same lawyer may continue,
    Measures Art. 13)."""

    event_type = "StageHandedOver"

    suspect_id: UUID = Field(description="The suspect indicted.")
    court: OrgName = Field(description="The court the case goes to.")
    indictment_number: Reference | None = Field(
        default=None, description="The indictment's document number (起诉书文号)."
    )
    handed_over_at: Instant = Field(description="When the case was handed over.")
    defense_status: DefenseStatus = Field(description="The suspect's defense status at hand-over.")
    defender: DefenderRef | None = Field(
        default=None, description="The defense lawyer at hand-over, if any."
    )


# --- plea cases and duty lawyers ----------------------------------------------------------


class LawyerOpinion(ContractModel):
    """One opinion the lawyer raised in a sentencing consultation and its answer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "opinion": "犯罪嫌疑人系初犯、偶犯，建议从轻处罚",
                    "response": "adopted",
                    "explanation": None,
                }
            ]
        }
    )

    opinion: Note = Field(description="The lawyer's opinion.")
    response: OpinionResponse = Field(description="Adopted, or explained and not adopted.")
    explanation: Note | None = Field(
        default=None, description="The explanation given (required in substance when not adopted)."
    )


class SentencingConsultationHeld(ProcuratorateEvent):
    """In a plea case the procuratorate heard the defense lawyer and negotiated the sentencing
    recommendation, answering each opinion; the session is recorded on audio-video
    (Measures Art. 11)."""

    event_type = "SentencingConsultationHeld"

    consultation_id: UUID = Field(description="The consultation's id.")
    suspect_id: UUID = Field(description="The suspect whose sentence was discussed.")
    defender: DefenderRef = Field(description="The lawyer consulted.")
    held_at: Instant = Field(description="When the consultation took place.")
    recommendation: Note = Field(description="The sentencing recommendation reached (量刑建议).")
    opinions: tuple[LawyerOpinion, ...] = Field(
        default=(), description="The lawyer's opinions and how each was answered."
    )
    recording_ref: Reference = Field(
        description="The reference of the audio-video recording (同步录音录像)."
    )
    lawyer_attendance: WitnessMode | None = Field(
        default=None,
        description="Whether the lawyer took part on site (`in_person`) or remotely by video "
        "(`remote_video`); absent where it was not recorded.",
    )


class PleaAgreementWitnessed(ProcuratorateEvent):
    """A plea agreement (认罪认罚具结书) was signed with a lawyer as witness. A duty lawyer may not
    witness where the suspect has a defense lawyer; the defense lawyer may witness by video
    (Measures Art. 11)."""

    event_type = "PleaAgreementWitnessed"

    suspect_id: UUID = Field(description="The suspect who signed.")
    witnessed_at: Instant = Field(description="When the agreement was signed.")
    witness_role: WitnessRole = Field(description="The defense lawyer or a duty lawyer.")
    witness_name: PersonName = Field(description="The witnessing lawyer's name.")
    lawyer_id: UUID | None = Field(
        default=None, description="The witness's roster id, for an appointed or duty lawyer."
    )
    mode: WitnessMode = Field(description="In person or by remote video.")


class DutyLawyerRequested(ProcuratorateEvent):
    """The procuratorate asked the legal aid work station for a duty lawyer (值班律师) for a
    suspect without a defender outside the mandatory scope (Measures Art. 15)."""

    event_type = "DutyLawyerRequested"

    request_id: UUID = Field(description="The request's id.")
    suspect_id: UUID = Field(description="The suspect who needs legal help.")
    purpose: DutyLawyerPurpose = Field(description="Legal help, or witnessing a plea.")
    requested_at: Instant = Field(description="When the request was made.")
    work_station: OrgName | None = Field(
        default=None, description="The legal aid work station (法律援助工作站) asked, if chosen."
    )
    note: Note | None = Field(default=None, description="What the suspect needs.")


class ProcuratorateAuditChainAnchored(ProcuratorateEvent, AuditChainAnchor):
    """The procuratorate's audit log head, anchored outside its database."""

    event_type = "ProcuratorateAuditChainAnchored"
