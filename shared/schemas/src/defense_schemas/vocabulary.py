"""The domain's closed vocabularies, shared by every event.

Values are English snake_case; each docstring gives the Chinese term and the article behind it,
so a reader can check the law. Values are part of the published contracts: add members freely,
never remove or rename one (consumers of a published version may rely on it).
"""

from __future__ import annotations

from enum import StrEnum


class GroundBasis(StrEnum):
    """The instrument a ground comes from.

    - `legal_aid_law_art_25_1`: PRC Legal Aid Law (法律援助法) Art. 25(1), applies everywhere.
    - `pilot_measures_art_2`: the Implementation Measures (实施办法) Art. 2, pilot districts only.
    """

    LEGAL_AID_LAW_ART_25_1 = "legal_aid_law_art_25_1"
    PILOT_MEASURES_ART_2 = "pilot_measures_art_2"


class Ground(StrEnum):
    """Why a suspect with no defender must get an appointed lawyer (应当通知辩护的情形).

    Legal Aid Law Art. 25(1):
    - `minor` — item 1, a minor (未成年人).
    - `visual_hearing_or_speech_disability` — item 2, visually, hearing or speech disabled
      (视力、听力、言语残疾人).
    - `limited_capacity_adult` — item 3, an adult who cannot fully recognise or control their
      own conduct (不能完全辨认自己行为的成年人).
    - `possible_life_or_death_sentence` — item 4, may be sentenced to life imprisonment or death
      (可能被判处无期徒刑、死刑的人).
    - `death_penalty_review_applicant` — item 5, applicant in a death-penalty review
      (申请法律援助的死刑复核案件被告人); does not arise at the review-for-prosecution stage.
    - `trial_in_absentia` — item 6, tried in absentia (缺席审判案件的被告人); does not arise at
      the review-for-prosecution stage.
    - `other_statutory_ground` — item 7, others named by law (法律法规规定的其他人员).

    Implementation Measures Art. 2 (pilot districts, from their start date):
    - `possible_sentence_3_years_or_more` — (a) may be sentenced to three years' fixed-term
      imprisonment or more (可能判处三年以上有期徒刑).
    - `guilt_not_admitted` — (b) the suspect or a co-suspect refuses to admit guilt
      (本人或其共同犯罪嫌疑人拒不认罪).
    - `major_and_complex_case` — (c) the case is major and complex (案情重大复杂).
    - `major_social_impact` — (d) the case may cause major social impact (可能造成重大社会影响).
    """

    MINOR = "minor"
    VISUAL_HEARING_OR_SPEECH_DISABILITY = "visual_hearing_or_speech_disability"
    LIMITED_CAPACITY_ADULT = "limited_capacity_adult"
    POSSIBLE_LIFE_OR_DEATH_SENTENCE = "possible_life_or_death_sentence"
    DEATH_PENALTY_REVIEW_APPLICANT = "death_penalty_review_applicant"
    TRIAL_IN_ABSENTIA = "trial_in_absentia"
    OTHER_STATUTORY_GROUND = "other_statutory_ground"
    POSSIBLE_SENTENCE_3_YEARS_OR_MORE = "possible_sentence_3_years_or_more"
    GUILT_NOT_ADMITTED = "guilt_not_admitted"
    MAJOR_AND_COMPLEX_CASE = "major_and_complex_case"
    MAJOR_SOCIAL_IMPACT = "major_social_impact"

    @property
    def basis(self) -> GroundBasis:
        """The instrument this ground comes from."""
        return _GROUND_CITATIONS[self][0]

    @property
    def citation(self) -> str:
        """The provision, e.g. `LAL Art. 25(1)(1)` or `Measures Art. 2(a)`."""
        return _GROUND_CITATIONS[self][1]


_GROUND_CITATIONS: dict[Ground, tuple[GroundBasis, str]] = {
    Ground.MINOR: (GroundBasis.LEGAL_AID_LAW_ART_25_1, "LAL Art. 25(1)(1)"),
    Ground.VISUAL_HEARING_OR_SPEECH_DISABILITY: (
        GroundBasis.LEGAL_AID_LAW_ART_25_1,
        "LAL Art. 25(1)(2)",
    ),
    Ground.LIMITED_CAPACITY_ADULT: (GroundBasis.LEGAL_AID_LAW_ART_25_1, "LAL Art. 25(1)(3)"),
    Ground.POSSIBLE_LIFE_OR_DEATH_SENTENCE: (
        GroundBasis.LEGAL_AID_LAW_ART_25_1,
        "LAL Art. 25(1)(4)",
    ),
    Ground.DEATH_PENALTY_REVIEW_APPLICANT: (
        GroundBasis.LEGAL_AID_LAW_ART_25_1,
        "LAL Art. 25(1)(5)",
    ),
    Ground.TRIAL_IN_ABSENTIA: (GroundBasis.LEGAL_AID_LAW_ART_25_1, "LAL Art. 25(1)(6)"),
    Ground.OTHER_STATUTORY_GROUND: (GroundBasis.LEGAL_AID_LAW_ART_25_1, "LAL Art. 25(1)(7)"),
    Ground.POSSIBLE_SENTENCE_3_YEARS_OR_MORE: (
        GroundBasis.PILOT_MEASURES_ART_2,
        "Measures Art. 2(a)",
    ),
    Ground.GUILT_NOT_ADMITTED: (GroundBasis.PILOT_MEASURES_ART_2, "Measures Art. 2(b)"),
    Ground.MAJOR_AND_COMPLEX_CASE: (GroundBasis.PILOT_MEASURES_ART_2, "Measures Art. 2(c)"),
    Ground.MAJOR_SOCIAL_IMPACT: (GroundBasis.PILOT_MEASURES_ART_2, "Measures Art. 2(d)"),
}


class DefenseStatus(StrEnum):
    """A suspect's defense status at the review stage, as the work ledger (工作台账) counts it.

    - `retained` — retained counsel (委托辩护).
    - `appointed_on_notice` — lawyer appointed on the procuratorate's notice (通知辩护).
    - `appointed_on_application` — lawyer appointed on the suspect's application (申请指派).
    - `duty_lawyer_only` — legal help of a duty lawyer only (值班律师法律帮助), Measures Art. 15.
    - `self_defense` — permitted to defend themselves (自行辩护), Measures Art. 5.
    - `none` — no defender yet: a gap to chase.
    """

    RETAINED = "retained"
    APPOINTED_ON_NOTICE = "appointed_on_notice"
    APPOINTED_ON_APPLICATION = "appointed_on_application"
    DUTY_LAWYER_ONLY = "duty_lawyer_only"
    SELF_DEFENSE = "self_defense"
    NONE = "none"


class Gender(StrEnum):
    """A suspect's gender (性别) as on the identity document."""

    MALE = "male"
    FEMALE = "female"


class Disability(StrEnum):
    """The disabilities of LAL Art. 25(1)(2): visual (视力), hearing (听力), speech (言语)."""

    VISUAL = "visual"
    HEARING = "hearing"
    SPEECH = "speech"


class CustodyStatus(StrEnum):
    """The compulsory measure a suspect is under (强制措施).

    - `detained` — held in a detention center (羁押, 逮捕/拘留).
    - `residential_surveillance` — residential surveillance (监视居住), including at a designated
      residence.
    - `bail` — released on bail pending trial (取保候审).
    - `not_restricted` — no compulsory measure.
    """

    DETAINED = "detained"
    RESIDENTIAL_SURVEILLANCE = "residential_surveillance"
    BAIL = "bail"
    NOT_RESTRICTED = "not_restricted"


class SentenceBand(StrEnum):
    """The likely sentence, as the bands the rules turn on.

    - `one_year_or_less` — up to one year, or a lighter punishment; expedited review 10 days.
    - `over_1_under_3_years` — over one year and under three; expedited review 15 days
      (CPL Art. 172).
    - `3_years_or_more` — three years' fixed-term imprisonment or more: Measures Art. 2(a).
    - `life_or_death` — life imprisonment or death: LAL Art. 25(1)(4), and only lawyers with
      3+ years of relevant practice (LAL Art. 26).
    """

    ONE_YEAR_OR_LESS = "one_year_or_less"
    OVER_1_UNDER_3_YEARS = "over_1_under_3_years"
    THREE_YEARS_OR_MORE = "3_years_or_more"
    LIFE_OR_DEATH = "life_or_death"


class TransferringAgencyKind(StrEnum):
    """The kind of agency that transfers a case for review (移送审查起诉).

    - `public_security` — public security organ (公安机关).
    - `state_security` — state security organ (国家安全机关).
    - `supervisory_commission` — supervisory commission (监察机关).
    - `customs_anti_smuggling` — customs anti-smuggling department (海关缉私部门).
    - `prison` — prison (监狱), for crimes during a sentence.
    - `other` — another investigating agency; its name is in the transfer.
    """

    PUBLIC_SECURITY = "public_security"
    STATE_SECURITY = "state_security"
    SUPERVISORY_COMMISSION = "supervisory_commission"
    CUSTOMS_ANTI_SMUGGLING = "customs_anti_smuggling"
    PRISON = "prison"
    OTHER = "other"


class TransferKind(StrEnum):
    """Why an agency transfers the case now.

    - `initial` — the first transfer for review (移送审查起诉).
    - `after_supplementary_investigation` — re-transfer after a return for supplementary
      investigation (补充侦查后重新移送, CPL Art. 175): the review period restarts.
    """

    INITIAL = "initial"
    AFTER_SUPPLEMENTARY_INVESTIGATION = "after_supplementary_investigation"


class ReceiptKind(StrEnum):
    """How a procuratorate came to receive the case; each restarts the review period.

    - `transfer` — the agency's first transfer.
    - `retransfer_after_supplementary_investigation` — re-transferred after supplementary
      investigation (CPL Art. 175).
    - `jurisdiction_change` — received from another procuratorate on a change of jurisdiction.
    """

    TRANSFER = "transfer"
    RETRANSFER_AFTER_SUPPLEMENTARY_INVESTIGATION = "retransfer_after_supplementary_investigation"
    JURISDICTION_CHANGE = "jurisdiction_change"


class PersonRole(StrEnum):
    """Who acted for or about the suspect: the suspect (犯罪嫌疑人), a close relative (近亲属)
    or the legal guardian (监护人/法定代理人)."""

    SUSPECT = "suspect"
    CLOSE_RELATIVE = "close_relative"
    GUARDIAN = "guardian"


class AssessmentTrigger(StrEnum):
    """Why eligibility was (re)assessed.

    - `case_received` — on receipt of the case.
    - `new_information` — a fact came to light (e.g. a disability, a co-suspect's denial of guilt,
      a corrected birth date); per the procuratorate's rules the 3 days for notifying legal aid
      run from the day a ground is discovered.
    """

    CASE_RECEIVED = "case_received"
    NEW_INFORMATION = "new_information"


class DefenseChoice(StrEnum):
    """What the suspect decided about a defender (Measures Art. 3, 6).

    - `retain_counsel` — will retain a defender (委托辩护人).
    - `no_counsel` — will not retain one (决定不自行委托); in the mandatory scope this triggers the
      notice-of-defense letter within 3 days.
    - `apply_for_legal_aid` — applies for legal aid (申请法律援助), outside the mandatory scope.
    - `defend_self` — wants to defend themselves (自行辩护).
    """

    RETAIN_COUNSEL = "retain_counsel"
    NO_COUNSEL = "no_counsel"
    APPLY_FOR_LEGAL_AID = "apply_for_legal_aid"
    DEFEND_SELF = "defend_self"


class NoticeItem(StrEnum):
    """An item of the notice-of-defense letter or its materials (Measures Art. 3) that the aid
    center finds missing or that the procuratorate supplements."""

    SUSPECT_NAME = "suspect_name"
    CHARGES = "charges"
    PLACE_OF_DETENTION_OR_RESIDENCE = "place_of_detention_or_residence"
    GROUNDS = "grounds"
    CASE_HANDLER_CONTACT = "case_handler_contact"
    SUSPECT_CONTACT = "suspect_contact"
    GUARDIAN = "guardian"
    TRANSFERRING_AGENCY = "transferring_agency"
    CASE_MATERIALS = "case_materials"
    OTHER = "other"


class RefusalOutcome(StrEnum):
    """The procuratorate's ruling on a suspect's refusal of the appointed lawyer (Measures Art. 5).

    - `rejected` — no justified reason; the appointed lawyer stays.
    - `self_defense_denied` — the suspect insisted on defending themselves and it was not
      permitted (e.g. an LAL Art. 25(1) ground requires a defender, CPL Art. 35, 278).
    - `allowed_must_retain_counsel` — justified; the suspect must retain another defender, and if
      they do not, the procuratorate asks the center in writing to appoint another lawyer.
    - `change_of_lawyer` — a justified request to change lawyer; the center appoints another.

    A permitted self-defense is its own event, `SelfDefensePermitted`.
    """

    REJECTED = "rejected"
    SELF_DEFENSE_DENIED = "self_defense_denied"
    ALLOWED_MUST_RETAIN_COUNSEL = "allowed_must_retain_counsel"
    CHANGE_OF_LAWYER = "change_of_lawyer"


class ReappointmentReason(StrEnum):
    """Why the procuratorate asks the center to appoint another lawyer (Measures Art. 5).

    - `refusal_allowed_no_counsel_retained` — a refusal was allowed and the suspect retained no
      other defender (另行指派).
    - `change_of_lawyer_allowed` — a justified request to change lawyer was allowed.
    """

    REFUSAL_ALLOWED_NO_COUNSEL_RETAINED = "refusal_allowed_no_counsel_retained"
    CHANGE_OF_LAWYER_ALLOWED = "change_of_lawyer_allowed"


class ProceduralDecisionKind(StrEnum):
    """A major procedural decision the lawyer must be told of promptly (Measures Art. 10).

    - `return_for_supplementary_investigation` — 退回补充侦查 (CPL Art. 175), at most twice, one
      month each; the review period restarts on re-transfer.
    - `extension` — extension of the review period (延长审查起诉期限), +15 days (CPL Art. 172).
    - `indictment` — 提起公诉; the case moves to the trial stage.
    - `non_prosecution` — 不起诉.
    - `jurisdiction_change` — 改变管辖; the clock restarts from the new procuratorate's receipt.
    """

    RETURN_FOR_SUPPLEMENTARY_INVESTIGATION = "return_for_supplementary_investigation"
    EXTENSION = "extension"
    INDICTMENT = "indictment"
    NON_PROSECUTION = "non_prosecution"
    JURISDICTION_CHANGE = "jurisdiction_change"


class OpinionResponse(StrEnum):
    """How the procuratorate answered one of the lawyer's opinions in a sentencing consultation
    (Measures Art. 11): `adopted` (予以吸收和采纳) or `explained` (not adopted, with an
    explanation, 予以解释和说明)."""

    ADOPTED = "adopted"
    EXPLAINED = "explained"


class WitnessRole(StrEnum):
    """Who witnessed a plea agreement (见证具结): the suspect's `defense_lawyer` or a
    `duty_lawyer` (值班律师). A duty lawyer may not witness where the suspect has a defense
    lawyer (Measures Art. 11)."""

    DEFENSE_LAWYER = "defense_lawyer"
    DUTY_LAWYER = "duty_lawyer"


class WitnessMode(StrEnum):
    """How the witness attended: `in_person`, or `remote_video` where the defense lawyer cannot
    attend for objective reasons (远程视频方式见证具结, Measures Art. 11)."""

    IN_PERSON = "in_person"
    REMOTE_VIDEO = "remote_video"


class DutyLawyerPurpose(StrEnum):
    """What a duty lawyer is asked for (Measures Art. 15): `legal_help` (法律帮助) for a suspect
    outside the mandatory scope with no defender, or `plea_witness` (见证具结) for a suspect with
    no defense lawyer."""

    LEGAL_HELP = "legal_help"
    PLEA_WITNESS = "plea_witness"


class ServiceMode(StrEnum):
    """How a duty lawyer serves from a legal aid work station (法律援助工作站): `on_site`
    (现场值班), by `phone` (电话值班) or `online` (网络值班)."""

    ON_SITE = "on_site"
    PHONE = "phone"
    ONLINE = "online"


class AppointmentBasis(StrEnum):
    """Why legal aid appoints a lawyer: the procuratorate's `notice` (通知辩护) or the
    suspect's `application` (申请指派)."""

    NOTICE = "notice"
    APPLICATION = "application"


class ReplacementReason(StrEnum):
    """Why the center replaced an appointed lawyer.

    - `conflict_of_interest` — the firm's conflict check found a conflict (Measures Art. 13).
    - `refusal_reappointment` — the suspect's refusal was allowed and no counsel was retained
      (Measures Art. 5).
    - `change_of_lawyer` — a justified request to change lawyer (Measures Art. 5).
    - `lawyer_unavailable` — the lawyer can no longer act (illness, leave, suspension).
    - `quality_concern` — quality supervision found the service inadequate (Measures Art. 14).
    """

    CONFLICT_OF_INTEREST = "conflict_of_interest"
    REFUSAL_REAPPOINTMENT = "refusal_reappointment"
    CHANGE_OF_LAWYER = "change_of_lawyer"
    LAWYER_UNAVAILABLE = "lawyer_unavailable"
    QUALITY_CONCERN = "quality_concern"


class AssignmentEndReason(StrEnum):
    """Why an appointment ended while legal aid goes on (neither a replacement nor a
    termination).

    - `refusal_allowed` — the suspect refused the lawyer and the procuratorate found the reason
      justified (正当理由, Measures Art. 5 ¶1): the suspect retains counsel, or the procuratorate
      asks in writing for another lawyer.
    - `replacement_not_found` — the lawyer had to be replaced (a conflict of interest, a change
      of lawyer, a rule such as LAL Art. 26 broken after a reassessment) and nobody qualified:
      the appointment ended and `AssignmentFailed` follows; the center's assignment period runs
      until staff appoint another.
    """

    REFUSAL_ALLOWED = "refusal_allowed"
    REPLACEMENT_NOT_FOUND = "replacement_not_found"


class ConflictKind(StrEnum):
    """A conflict of interest a law firm reports (利益冲突审查).

    - `co_suspect_same_firm` — the firm already defends a co-suspect of the same joint crime
      (Measures Art. 13).
    - `other_conflict` — any other conflict (e.g. the firm acts for the victim).
    """

    CO_SUSPECT_SAME_FIRM = "co_suspect_same_firm"
    OTHER_CONFLICT = "other_conflict"


class AssignmentFailureReason(StrEnum):
    """Why the center could not assign a lawyer in time.

    - `no_qualified_lawyer` — nobody meets the requirements (e.g. 3+ years of practice for a
      possible life or death sentence, LAL Art. 26).
    - `all_firms_conflicted` — every available firm has a conflict (Measures Art. 13).
    - `no_capacity` — every qualified lawyer is at capacity.
    - `other` — see the detail.
    """

    NO_QUALIFIED_LAWYER = "no_qualified_lawyer"
    ALL_FIRMS_CONFLICTED = "all_firms_conflicted"
    NO_CAPACITY = "no_capacity"
    OTHER = "other"


class TerminationReason(StrEnum):
    """Why legal aid was terminated (终止法律援助).

    - `counsel_retained` — the suspect retained counsel, or confirmed counsel retained by a relative
      or guardian (Measures Art. 6).
    - `self_defense_permitted` — the procuratorate permitted self-defense (Measures Art. 5).
    - `proceedings_ended` — the case ended at this stage (non-prosecution, withdrawal).
    - `jurisdiction_changed` — the case moved to another procuratorate's area.
    - `stage_ended` — indicted, and the lawyer does not continue into the trial stage (Art. 13).
    - `no_longer_eligible` — no ground applies any more (e.g. a corrected birth date).
    - `obtained_by_deception` — aid obtained by deception or other improper means
      (以欺骗或者其他不正当手段获得法律援助, LAL Art. 48(1)).
    - `facts_concealed` — important facts of the case deliberately concealed, or false evidence
      given (故意隐瞒与案件有关的重要事实或者提供虚假证据, LAL Art. 48(2)).
    - `unlawful_use` — aid used for unlawful activity (利用法律援助从事违法活动, LAL Art. 48(3)).
    - `economic_situation_changed` — the recipient's economic situation changed and no longer
      meets the conditions (LAL Art. 48(4)); never for aid given without the economic test.
    - `recipient_request` — the recipient asks, with a justified reason, for aid to end
      (受援人有正当理由要求终止法律援助, LAL Art. 48(7)).
    - `other` — another ground laid down by laws or regulations (LAL Art. 48(8)); see the
      detail.
    """

    COUNSEL_RETAINED = "counsel_retained"
    SELF_DEFENSE_PERMITTED = "self_defense_permitted"
    PROCEEDINGS_ENDED = "proceedings_ended"
    JURISDICTION_CHANGED = "jurisdiction_changed"
    STAGE_ENDED = "stage_ended"
    NO_LONGER_ELIGIBLE = "no_longer_eligible"
    OBTAINED_BY_DECEPTION = "obtained_by_deception"
    FACTS_CONCEALED = "facts_concealed"
    UNLAWFUL_USE = "unlawful_use"
    ECONOMIC_SITUATION_CHANGED = "economic_situation_changed"
    RECIPIENT_REQUEST = "recipient_request"
    OTHER = "other"


class ActivityKind(StrEnum):
    """A lawyer's work the national service standard asks for in each stage (notice §五):
    `meeting` (会见), `file_review` (阅卷), `investigation` (调查取证), `written_opinion`
    (书面辩护意见)."""

    MEETING = "meeting"
    FILE_REVIEW = "file_review"
    INVESTIGATION = "investigation"
    WRITTEN_OPINION = "written_opinion"


class QualityMeasure(StrEnum):
    """A quality-supervision measure (Measures Art. 14): `court_attendance` (旁听庭审),
    `file_inspection` (案卷检查), `judicial_opinion` (征询司法机关意见),
    `recipient_follow_up` (回访受援人)."""

    COURT_ATTENDANCE = "court_attendance"
    FILE_INSPECTION = "file_inspection"
    JUDICIAL_OPINION = "judicial_opinion"
    RECIPIENT_FOLLOW_UP = "recipient_follow_up"


class QualityRating(StrEnum):
    """The outcome of a quality review: `satisfactory`, `needs_improvement`, `unsatisfactory`."""

    SATISFACTORY = "satisfactory"
    NEEDS_IMPROVEMENT = "needs_improvement"
    UNSATISFACTORY = "unsatisfactory"


class CaseKind(StrEnum):
    """The kind of case a subsidy standard is for (办案补贴标准的案件类别): `ordinary` — a
    criminal defense at one stage; `major_or_complex` — a major, complex or possible life or
    death case, which local standards pay more for."""

    ORDINARY = "ordinary"
    MAJOR_OR_COMPLEX = "major_or_complex"


class DeliveryChannel(StrEnum):
    """How the notifier delivers a message: `email`, `sms` or `webhook` (an agency system)."""

    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"


class RecipientRole(StrEnum):
    """Whom a notification is for (`applicant`: whoever applied for legal aid, LAL Art. 43;
    `suspect`: a suspect not in custody, at the suspect's own contact)."""

    LAWYER = "lawyer"
    DUTY_LAWYER = "duty_lawyer"
    PROSECUTOR = "prosecutor"
    CLOSE_RELATIVE = "close_relative"
    GUARDIAN = "guardian"
    AID_CENTER = "aid_center"
    PROCURATORATE = "procuratorate"
    APPLICANT = "applicant"
    SUSPECT = "suspect"


class EconomicTestExemption(StrEnum):
    """A ground that exempts an application from the economic-hardship test.

    LAL Art. 42 (免予核查经济困难状况):
    - `special_group_without_income` — a minor, elderly or disabled person without a fixed
      source of livelihood (无固定生活来源的未成年人、老年人、残疾人等特定群体), Art. 42(1);
    - `assistance_recipient` — a recipient of social assistance, judicial assistance or special
      care (社会救助、司法救助或者优抚对象), Art. 42(2);
    - `migrant_worker_claim` — a migrant worker claiming wages or work-injury damages, Art. 42(3);
    - `other_by_law_art_42` — others named by laws, regulations or rules, Art. 42(4).
    LAL Art. 32 (不受经济困难条件的限制):
    - `hero_martyr_relative` — a close relative of a hero or martyr protecting their
      personality rights, Art. 32(1);
    - `good_samaritan` — civil rights claimed for an act of bravery (见义勇为), Art. 32(2);
    - `retrial_acquittal_compensation` — state compensation after acquittal on retrial,
      Art. 32(3);
    - `abuse_victim` — a victim of abuse, abandonment or domestic violence, Art. 32(4);
    - `other_by_law_art_32` — others named by laws, regulations or rules, Art. 32(5).
    """

    SPECIAL_GROUP_WITHOUT_INCOME = "special_group_without_income"
    ASSISTANCE_RECIPIENT = "assistance_recipient"
    MIGRANT_WORKER_CLAIM = "migrant_worker_claim"
    OTHER_BY_LAW_ART_42 = "other_by_law_art_42"
    HERO_MARTYR_RELATIVE = "hero_martyr_relative"
    GOOD_SAMARITAN = "good_samaritan"
    RETRIAL_ACQUITTAL_COMPENSATION = "retrial_acquittal_compensation"
    ABUSE_VICTIM = "abuse_victim"
    OTHER_BY_LAW_ART_32 = "other_by_law_art_32"


class ApplicationDecision(StrEnum):
    """The center's decision on an application for legal aid (LAL Art. 43): `granted`
    (给予法律援助; a lawyer within 3 days), `refused` (不予法律援助; in writing with reasons, and
    the applicant may object to the justice bureau, Art. 49), `deemed_withdrawn` (视为撤回申请:
    the missing material asked for was not supplied as asked)."""

    GRANTED = "granted"
    REFUSED = "refused"
    DEEMED_WITHDRAWN = "deemed_withdrawn"


class ClockKind(StrEnum):
    """A deadline the notifier watches.

    - `rights_notification` — inform the suspect of the right to counsel within 3 days of
      receipt (Measures Art. 3, CPL Art. 34).
    - `notice_dispatch` — send the notice-of-defense letter within 3 days of the decision not to
      retain counsel, or of a ground's discovery (Measures Art. 3).
    - `assignment` — assign a lawyer within 3 days of receiving the letter (Measures Art. 4,
      LAL Art. 36).
    - `file_review` — arrange a deferred file review within 3 working days (Measures Art. 8).
    - `written_opinion` — the lawyer's written opinion before the review period ends (Art. 9).
    - `review_period` — the review-for-prosecution period itself (CPL Art. 172).
    - `subsidy_payment` — pay an approved case subsidy by its due day (notice §四; the days after
      approval are the aid center's setting).
    - `application_review` — decide on an application for legal aid within 7 days of receiving
      it (LAL Art. 43).
    - `application_assignment` — appoint a lawyer within 3 days of granting an application
      (LAL Art. 43).
    """

    RIGHTS_NOTIFICATION = "rights_notification"
    NOTICE_DISPATCH = "notice_dispatch"
    ASSIGNMENT = "assignment"
    FILE_REVIEW = "file_review"
    WRITTEN_OPINION = "written_opinion"
    REVIEW_PERIOD = "review_period"
    SUBSIDY_PAYMENT = "subsidy_payment"
    APPLICATION_REVIEW = "application_review"
    APPLICATION_ASSIGNMENT = "application_assignment"


class ResponsibleParty(StrEnum):
    """Who must act before a clock runs out: the `procuratorate`, the `aid_center` or the
    appointed `lawyer`."""

    PROCURATORATE = "procuratorate"
    AID_CENTER = "aid_center"
    LAWYER = "lawyer"


class ClockOutcome(StrEnum):
    """How a clock ended: `met` on time, `met_late` after a breach, `cancelled` because the
    duty fell away before it was due (e.g. counsel retained before the letter was due), or
    `lapsed` because it fell away after its period had closed unmet (e.g. the case was not
    prosecuted days after the letter was due): no longer owed, but a breach on record."""

    MET = "met"
    MET_LATE = "met_late"
    CANCELLED = "cancelled"
    LAPSED = "lapsed"
