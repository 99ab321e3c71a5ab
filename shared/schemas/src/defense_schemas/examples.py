"""A worked example of every event: one case in 河东区 with two co-suspects, an adult who
denies guilt and a minor with a guardian.

Used by the tests (every registered event must have an example that round-trips) and embedded in
the AsyncAPI document. Deterministic: ids are uuid5 of a name, times are fixed.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from uuid import NAMESPACE_URL, UUID, uuid5

from defense_schemas.base import BaseEvent
from defense_schemas.envelope import Envelope
from defense_schemas.events import aid_center as aid
from defense_schemas.events import intake
from defense_schemas.events import notifier as nt
from defense_schemas.events import procuratorate as pr
from defense_schemas.events.common import (
    Applicant,
    CaseParticulars,
    CloseRelative,
    DefenderRef,
    DocumentNumber,
    Guardian,
    Lawyer,
    Officer,
    RetainedCounsel,
    SuspectParticulars,
)
from defense_schemas.topics import Producer
from defense_schemas.vocabulary import (
    ActivityKind,
    ApplicationDecision,
    AppointmentBasis,
    AssessmentTrigger,
    AssignmentEndReason,
    AssignmentFailureReason,
    CaseKind,
    ClockKind,
    ClockOutcome,
    ConflictKind,
    CustodyStatus,
    DefenseChoice,
    DefenseStatus,
    DeliveryChannel,
    DutyLawyerPurpose,
    Gender,
    Ground,
    NoticeItem,
    OpinionResponse,
    PersonRole,
    ProceduralDecisionKind,
    QualityMeasure,
    QualityRating,
    ReappointmentReason,
    ReceiptKind,
    RecipientRole,
    RefusalOutcome,
    ReplacementReason,
    ResponsibleParty,
    SentenceBand,
    ServiceMode,
    TerminationReason,
    TransferKind,
    TransferringAgencyKind,
    WitnessMode,
    WitnessRole,
)

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def example_id(name: str) -> UUID:
    """A stable id for an example entity."""
    return uuid5(NAMESPACE_URL, f"urn:defense-coverage:example:{name}")


def at(day: int, hour: int = 10) -> datetime:
    """A fixed instant in March 2026, Asia/Shanghai."""
    return datetime(2026, 3, day, hour, 0, tzinfo=SHANGHAI)


CASE_ID = example_id("case")
ZHANG = example_id("suspect-zhang")
LI = example_id("suspect-li")
NOTICE = example_id("notice-li")
ASSIGNMENT = example_id("assignment-li")
ASSIGNMENT_2 = example_id("assignment-li-2")
RETENTION = example_id("retention-zhang")
PROCURATORATE_UNIT = "天津市河东区人民检察院"
CENTER = "天津市河东区法律援助中心"
AGENCY = "天津市公安局河东分局"
PROSECUTOR = Officer(name="王检察官", contact="022-24000000")

LAWYER = Lawyer(
    lawyer_id=example_id("lawyer-chen"),
    name="陈律师",
    firm_id=example_id("firm-a"),
    firm_name="天津甲律师事务所",
    contact="13800000001",
)
LAWYER_2 = Lawyer(
    lawyer_id=example_id("lawyer-zhou"),
    name="周律师",
    firm_id=example_id("firm-b"),
    firm_name="天津乙律师事务所",
    contact="13800000002",
)
APPOINTED = DefenderRef(name=LAWYER_2.name, assignment_id=ASSIGNMENT_2)

SUSPECTS = (
    SuspectParticulars(
        suspect_id=ZHANG,
        name="张某",
        id_number="120102199001011234",
        birth_date=date(1990, 1, 1),
        gender=Gender.MALE,
        limited_capacity=False,
        custody_status=CustodyStatus.DETAINED,
        place_of_detention_or_residence="天津市河东区看守所",
        close_relatives=(CloseRelative(name="张某某", relationship="配偶", contact="13900000001"),),
        charges=("盗窃罪",),
        likely_sentence=SentenceBand.THREE_YEARS_OR_MORE,
        pleads_guilty=False,
    ),
    SuspectParticulars(
        suspect_id=LI,
        name="李某某",
        birth_date=date(2009, 5, 20),
        gender=Gender.MALE,
        limited_capacity=False,
        custody_status=CustodyStatus.BAIL,
        place_of_detention_or_residence="天津市河东区某街道某小区1号",
        contacts=("13900000002",),
        guardian=Guardian(name="李某", relationship="父亲", contact="13900000003"),
        charges=("盗窃罪",),
        likely_sentence=SentenceBand.OVER_1_UNDER_3_YEARS,
        pleads_guilty=True,
    ),
)
CASE = CaseParticulars(
    transfer_number="津公河(刑)移诉字〔2026〕15号",
    transferring_agency=AGENCY,
    transferring_agency_kind=TransferringAgencyKind.PUBLIC_SECURITY,
    procuratorate_unit=PROCURATORATE_UNIT,
    district="河东区",
    charges=("盗窃罪",),
    suspects=SUSPECTS,
    major_and_complex=False,
    social_impact=False,
)
LETTER = pr.NoticeOfDefenseLetter(
    document_number=DocumentNumber.of("津河东检", 2026, 12),
    procuratorate_unit=PROCURATORATE_UNIT,
    addressee_center=CENTER,
    suspect_name="李某某",
    charges=("盗窃罪",),
    transferring_agency=AGENCY,
    grounds=(Ground.MINOR,),
    place_of_detention_or_residence="天津市河东区某街道某小区1号",
    suspect_contact="13900000002",
    guardian=Guardian(name="李某", relationship="父亲", contact="13900000003"),
    case_handler=PROSECUTOR,
    copy_number=2,
    copy_label="送法律援助中心",
    rendered_text="人民检察院通知辩护公函\n津河东检〔2026〕12号\n天津市河东区法律援助中心：\n"
    "犯罪嫌疑人李某某涉嫌盗窃罪一案，已由天津市公安局河东分局移送本院审查起诉，因其属于未成年人，"
    "符合《中华人民共和国法律援助法》第二十五条第一款规定的情形，请指派律师为其提供辩护。\n"
    "犯罪嫌疑人联系方式：13900000002\n未成年犯罪嫌疑人法定代理人：李某 联系方式：13900000003\n"
    "案件承办人：王检察官 联系方式：022-24000000\n第二联 送法律援助中心",
)

EXAMPLES: tuple[BaseEvent, ...] = (
    intake.CaseTransferred(
        **dict(CASE),
        transfer_kind=TransferKind.INITIAL,
        transferred_at=at(2, 9),
        agency_officer=Officer(name="赵警官", contact="022-24111111"),
    ),
    pr.CaseReceived(
        **dict(CASE),
        receipt_kind=ReceiptKind.TRANSFER,
        received_at=at(2, 15),
        review_deadline=date(2026, 4, 2),
        pilot_district=True,
        prosecutor=PROSECUTOR,
    ),
    pr.EligibilityAssessed(
        suspect_id=ZHANG,
        assessed_at=at(2, 16),
        trigger=AssessmentTrigger.CASE_RECEIVED,
        grounds=(Ground.POSSIBLE_SENTENCE_3_YEARS_OR_MORE, Ground.GUILT_NOT_ADMITTED),
        discovered_grounds=(Ground.POSSIBLE_SENTENCE_3_YEARS_OR_MORE, Ground.GUILT_NOT_ADMITTED),
        pilot_district=True,
    ),
    pr.RightsNotified(
        suspect_id=LI,
        notified_at=at(3),
        informed=(
            pr.InformedPerson(role=PersonRole.SUSPECT, name="李某某"),
            pr.InformedPerson(role=PersonRole.GUARDIAN, name="李某"),
        ),
        grounds=(Ground.MINOR, Ground.GUILT_NOT_ADMITTED),
        legal_aid_warning_given=True,
    ),
    pr.DefenseDecisionRecorded(
        suspect_id=LI,
        choice=DefenseChoice.NO_COUNSEL,
        decided_by=PersonRole.SUSPECT,
        decided_at=at(3, 11),
    ),
    pr.LegalAidApplicationForwarded(
        application_id=example_id("application"),
        suspect_id=ZHANG,
        applied_by=PersonRole.CLOSE_RELATIVE,
        applied_at=at(3),
        forwarded_at=at(3, 14),
        addressee_center=CENTER,
        applicant=Applicant(name="张父", contact="13800000003", relationship="父亲"),
        economic_hardship_statement="家庭无固定收入，无力委托律师",
        materials=("法律援助申请表", "身份证明"),
    ),
    aid.ApplicationMaterialsRequested(
        application_id=example_id("application"),
        suspect_id=ZHANG,
        missing=("经济困难状况说明表",),
        requested_at=at(3, 16),
        due_on=date(2026, 3, 10),
        applicant_name="张父",
        applicant_contact="13800000003",
        applicant_relationship="父亲",
    ),
    aid.ApplicationMaterialsSupplied(
        application_id=example_id("application"),
        suspect_id=ZHANG,
        supplied_at=at(4, 10),
        review_due_on=date(2026, 3, 11),
    ),
    aid.ApplicationDecided(
        application_id=example_id("application"),
        suspect_id=ZHANG,
        decision=ApplicationDecision.REFUSED,
        decided_at=at(5, 10),
        reasons="申请人家庭经济状况不符合经济困难标准",
        objection_to="天津市河东区司法局",
        applicant_name="张父",
        applicant_contact="13800000003",
        applicant_relationship="父亲",
    ),
    pr.DefenseNoticeSent(
        notice_id=NOTICE,
        suspect_id=LI,
        sent_at=at(4),
        letter=LETTER,
        materials=("起诉意见书", "户籍证明"),
    ),
    aid.SupplementRequested(
        notice_id=NOTICE,
        suspect_id=LI,
        requested_at=at(4, 14),
        missing_items=(NoticeItem.CASE_MATERIALS,),
        detail="缺少起诉意见书副本",
    ),
    pr.NoticeSupplemented(
        notice_id=NOTICE,
        suspect_id=LI,
        supplemented_at=at(4, 16),
        supplemented_items=(NoticeItem.CASE_MATERIALS,),
        added_materials=("起诉意见书副本",),
        review_deadline=date(2026, 4, 2),
    ),
    aid.NoticeAccepted(
        notice_id=NOTICE,
        suspect_id=LI,
        received_at=at(4, 10),
        accepted_at=at(4, 17),
        aid_case_number="津河东援〔2026〕88号",
    ),
    aid.LawyerAssigned(
        assignment_id=ASSIGNMENT,
        suspect_id=LI,
        basis=AppointmentBasis.NOTICE,
        notice_id=NOTICE,
        lawyer=LAWYER,
        assigned_at=at(5),
        document_number=DocumentNumber.of("津河东援函", 2026, 30),
    ),
    aid.ConflictReported(
        assignment_id=ASSIGNMENT,
        suspect_id=LI,
        lawyer_id=LAWYER.lawyer_id,
        firm_id=LAWYER.firm_id,
        kind=ConflictKind.CO_SUSPECT_SAME_FIRM,
        conflicting_suspect_ids=(ZHANG,),
        reported_at=at(5, 15),
    ),
    aid.LawyerReplaced(
        suspect_id=LI,
        previous_assignment_id=ASSIGNMENT,
        assignment_id=ASSIGNMENT_2,
        lawyer=LAWYER_2,
        reason=ReplacementReason.CONFLICT_OF_INTEREST,
        replaced_at=at(6),
    ),
    aid.AssignmentFailed(
        suspect_id=ZHANG,
        application_id=example_id("application"),
        reason=AssignmentFailureReason.ALL_FIRMS_CONFLICTED,
        failed_at=at(6, 12),
        detail="两家律师事务所均已承办本案共同犯罪嫌疑人",
    ),
    aid.AssignmentEnded(
        assignment_id=ASSIGNMENT_2,
        suspect_id=LI,
        lawyer_id=LAWYER_2.lawyer_id,
        notice_id=NOTICE,
        reason=AssignmentEndReason.REFUSAL_ALLOWED,
        ended_at=at(6, 16),
        detail="犯罪嫌疑人拒绝该律师辩护，理由正当，人民检察院准许",
    ),
    pr.LawyerRefusalRuled(
        suspect_id=LI,
        assignment_id=ASSIGNMENT_2,
        refusal_reason="希望更换熟悉未成年人案件的律师",
        outcome=RefusalOutcome.CHANGE_OF_LAWYER,
        ruled_at=at(7),
    ),
    pr.ReappointmentRequested(
        request_id=example_id("reappointment"),
        suspect_id=LI,
        previous_assignment_id=ASSIGNMENT_2,
        reason=ReappointmentReason.CHANGE_OF_LAWYER_ALLOWED,
        requested_at=at(7, 11),
        addressee_center=CENTER,
    ),
    pr.SelfDefensePermitted(
        suspect_id=ZHANG,
        grounds=(Ground.POSSIBLE_SENTENCE_3_YEARS_OR_MORE, Ground.GUILT_NOT_ADMITTED),
        statement="本人坚持自行辩护",
        permitted_at=at(7, 15),
    ),
    pr.PrivateCounselRetained(
        retention_id=RETENTION,
        suspect_id=ZHANG,
        counsel=RetainedCounsel(name="孙律师", law_firm="天津丙律师事务所", contact="13800000003"),
        retained_by=PersonRole.CLOSE_RELATIVE,
        retained_at=at(8),
    ),
    pr.PrivateCounselDismissed(retention_id=RETENTION, suspect_id=ZHANG, dismissed_at=at(20)),
    aid.AidTerminated(
        assignment_id=ASSIGNMENT_2,
        suspect_id=LI,
        reason=TerminationReason.STAGE_ENDED,
        terminated_at=at(25),
        detail="审判阶段另行指派",
    ),
    pr.DefenseStatusChanged(
        suspect_id=LI,
        status=DefenseStatus.APPOINTED_ON_NOTICE,
        previous_status=DefenseStatus.NONE,
        changed_at=at(5),
    ),
    pr.ExpeditedProcedureApplied(
        suspect_ids=(LI,), decided_at=at(10), review_deadline=date(2026, 3, 25)
    ),
    pr.ReviewDeadlineRecounted(
        counted_from=date(2026, 12, 30),
        review_deadline=date(2027, 2, 1),
        previous_review_deadline=date(2027, 1, 30),
        review_deadline_provisional=False,
        recounted_at=at(12),
    ),
    pr.LegalCalendarYearLoaded(
        year=2027,
        holidays=(date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)),
        makeup_workdays=(),
        source="国务院办公厅 2026-11 notice",
        revision=1,
        loaded_at=at(12),
    ),
    pr.FileReviewRequested(
        request_id=example_id("file-review"),
        suspect_id=LI,
        defender=APPOINTED,
        requested_at=at(9),
    ),
    pr.FileReviewScheduled(
        request_id=example_id("file-review"),
        suspect_id=LI,
        scheduled_at=at(9, 11),
        review_starts_at=at(11, 9),
        location="河东区人民检察院案件管理中心阅卷室",
        delay_explanation="阅卷室当日已约满",
    ),
    aid.LawyerActivityLogged(
        activity_id=example_id("meeting"),
        assignment_id=ASSIGNMENT_2,
        suspect_id=LI,
        lawyer_id=LAWYER_2.lawyer_id,
        kind=ActivityKind.MEETING,
        performed_on=date(2026, 3, 10),
        duration_minutes=90,
    ),
    pr.WrittenOpinionReceived(
        opinion_id=example_id("opinion"),
        suspect_id=LI,
        defender=APPOINTED,
        received_at=at(18),
        covers_plea_matters=True,
        copy_filed=True,
    ),
    pr.ProceduralDecisionMade(
        decision_id=example_id("extension"),
        kind=ProceduralDecisionKind.EXTENSION,
        suspect_ids=(ZHANG,),
        decided_at=at(30),
        review_deadline=date(2026, 4, 17),
    ),
    pr.SentencingConsultationHeld(
        consultation_id=example_id("consultation"),
        suspect_id=LI,
        defender=APPOINTED,
        held_at=at(19),
        recommendation="有期徒刑一年，缓刑一年",
        opinions=(
            pr.LawyerOpinion(
                opinion="系初犯、偶犯，建议适用缓刑", response=OpinionResponse.ADOPTED
            ),
        ),
        recording_ref="河东检录〔2026〕7号",
    ),
    pr.PleaAgreementWitnessed(
        suspect_id=LI,
        witnessed_at=at(19, 15),
        witness_role=WitnessRole.DEFENSE_LAWYER,
        witness_name=LAWYER_2.name,
        lawyer_id=LAWYER_2.lawyer_id,
        mode=WitnessMode.REMOTE_VIDEO,
    ),
    pr.DutyLawyerRequested(
        request_id=example_id("duty-request"),
        suspect_id=ZHANG,
        purpose=DutyLawyerPurpose.LEGAL_HELP,
        requested_at=at(21),
        work_station="河东区人民检察院法律援助工作站",
    ),
    aid.DutyLawyerAssigned(
        request_id=example_id("duty-request"),
        suspect_id=ZHANG,
        lawyer=LAWYER,
        work_station="河东区人民检察院法律援助工作站",
        mode=ServiceMode.ON_SITE,
        assigned_at=at(21, 14),
    ),
    aid.QualityReviewRecorded(
        review_id=example_id("quality"),
        assignment_id=ASSIGNMENT_2,
        suspect_id=LI,
        lawyer_id=LAWYER_2.lawyer_id,
        measures=(QualityMeasure.FILE_INSPECTION, QualityMeasure.RECIPIENT_FOLLOW_UP),
        rating=QualityRating.SATISFACTORY,
        service_standard_met=True,
        reviewer="刘主任",
        reviewed_at=at(28),
    ),
    aid.SubsidyClaimed(
        claim_id=example_id("subsidy"),
        assignment_id=ASSIGNMENT_2,
        suspect_id=LI,
        lawyer_id=LAWYER_2.lawyer_id,
        firm_id=LAWYER_2.firm_id,
        stage="review_for_prosecution",
        case_kind=CaseKind.ORDINARY,
        standard_amount_fen=150000,
        opened_at=at(29),
    ),
    aid.SubsidyApproved(
        claim_id=example_id("subsidy"),
        lawyer_id=LAWYER_2.lawyer_id,
        approved_amount_fen=120000,
        standard_amount_fen=150000,
        reduction_reason="未提交书面辩护意见",
        approved_at=at(30),
        payment_due_on=date(2026, 5, 1),
        suspect_id=LI,
    ),
    aid.SubsidyPaymentDueRecounted(
        claim_id=example_id("subsidy"),
        lawyer_id=LAWYER_2.lawyer_id,
        suspect_id=LI,
        approved_at=at(30),
        payment_due_on=date(2027, 1, 21),
        previous_payment_due_on=date(2027, 1, 19),
        payment_due_provisional=False,
        recounted_at=at(31),
    ),
    aid.SubsidyPaid(
        claim_id=example_id("subsidy"),
        lawyer_id=LAWYER_2.lawyer_id,
        paid_amount_fen=120000,
        paid_on=date(2026, 4, 20),
        reference="津河东财付〔2026〕88号",
        payment_due_on=date(2026, 5, 1),
        late=False,
        short=False,
    ),
    pr.StageHandedOver(
        suspect_id=LI,
        court="天津市河东区人民法院",
        indictment_number="津河东检刑诉〔2026〕40号",
        handed_over_at=at(24),
        defense_status=DefenseStatus.APPOINTED_ON_NOTICE,
        defender=APPOINTED,
    ),
    nt.NotificationDelivered(
        notification_id=example_id("notification"),
        suspect_id=LI,
        about_event_id=example_id("event-lawyer-replaced"),
        about_event_type="LawyerReplaced",
        recipient_role=RecipientRole.PROSECUTOR,
        recipient_name=PROSECUTOR.name,
        channel=DeliveryChannel.SMS,
        address=PROSECUTOR.contact,
        attempt=1,
        delivered_at=at(6, 10),
    ),
    nt.NotificationFailed(
        notification_id=example_id("notification-2"),
        suspect_id=LI,
        about_event_id=example_id("event-expedited"),
        about_event_type="ExpeditedProcedureApplied",
        recipient_role=RecipientRole.LAWYER,
        recipient_name=LAWYER_2.name,
        channel=DeliveryChannel.EMAIL,
        address="zhou@example.com",
        attempt=1,
        failed_at=at(10, 10),
        error="550 mailbox unavailable",
        will_retry=True,
    ),
    nt.ClockScheduled(
        clock_id=example_id("clock-rights"),
        kind=ClockKind.RIGHTS_NOTIFICATION,
        suspect_id=LI,
        due_on=date(2026, 3, 5),
        responsible=ResponsibleParty.PROCURATORATE,
        started_on=date(2026, 3, 2),
        trigger_event_id=example_id("event-case-received"),
    ),
    nt.DeadlineApproaching(
        clock_id=example_id("clock-review"),
        kind=ClockKind.REVIEW_PERIOD,
        due_on=date(2026, 4, 2),
        responsible=ResponsibleParty.PROCURATORATE,
        days_left=2,
        warned_at=at(31, 9),
    ),
    nt.DeadlineBreached(
        clock_id=example_id("clock-assignment"),
        kind=ClockKind.ASSIGNMENT,
        suspect_id=ZHANG,
        due_on=date(2026, 3, 6),
        responsible=ResponsibleParty.AID_CENTER,
        breached_at=at(7, 0),
    ),
    nt.ClockStopped(
        clock_id=example_id("clock-rights"),
        kind=ClockKind.RIGHTS_NOTIFICATION,
        suspect_id=LI,
        due_on=date(2026, 3, 5),
        outcome=ClockOutcome.MET,
        stopped_at=at(3),
        stop_event_id=example_id("event-rights-notified"),
    ),
    pr.ProcuratorateAuditChainAnchored(entries=1284, head_mac="3f" * 32, anchored_at=at(6, 12)),
    aid.AidCenterAuditChainAnchored(entries=877, head_mac="a9" * 32, anchored_at=at(6, 12)),
    nt.NotifierAuditChainAnchored(entries=2310, head_mac="5c" * 32, anchored_at=at(6, 12)),
)
"""One example of every registered event."""


def example_envelope(event: BaseEvent) -> Envelope:
    """The example wrapped as published, with ids and time derived from the event's name."""
    name = event.schema_name()
    producer = "tj-psb-hedong" if event.producer is Producer.AGENCY else event.producer.value
    return Envelope.for_event(
        event,
        case_id=CASE_ID,
        producer=producer,
        correlation_id=example_id("correlation"),
        causation_id=None,
        occurred_at=at(2, 9),
    ).model_copy(update={"event_id": example_id(f"event:{name}")})
