"""The procuratorate's operation descriptions, by ``"METHOD /path"``, where the route itself
gives none (service_runtime.openapi: a route's own ``description`` or docstring wins). Every
route is for procuratorate staff, and a case outside the caller's unit is a 404; the case search,
the case view, a suspect and the timeline are also for the suspect's defense lawyer, read only
and limited to the suspects they defend (any other case is a 404 to them)."""

DESCRIPTIONS: dict[str, str] = {
    "POST /cases": (
        "Enters a case transferred for review, as the transferring agency's Kafka intake does: "
        "the suspects' grounds for an appointed lawyer are assessed and the rights-notification "
        "clock starts (3 days). Publishes `CaseReceived` and `EligibilityAssessed`. Sending the "
        "same transfer again answers 200 with the existing case; another case under the same "
        "case id is a 409."
    ),
    "GET /cases/{case_id}": (
        "The case as the procuratorate's projection holds it: each suspect's facts, grounds, "
        "defense status and defender, the running statutory clocks and the notices sent. A "
        "defense lawyer (role `lawyer`) reads it too, showing only the suspects they defend "
        "and their notices (Measures Art. 10, 信息共享); a case where they defend nobody is a 404."
    ),
    "GET /cases/{case_id}/timeline": (
        "Every event of the case, the procuratorate's and the aid center's, in the order they "
        "were applied: the audit trail a reviewer reads. A defense lawyer reads their own "
        "suspects' events and the case's procedural decisions concerning them; not the "
        "transfer, which carries every co-suspect's particulars."
    ),
    "PATCH /cases/{case_id}/suspects/{suspect_id}": (
        "Corrects facts of one suspect (only the members sent change). The grounds of every "
        "suspect of the case are assessed again; a ground found now that was not there before is "
        "listed in `discovered` and starts its own clocks."
    ),
    "POST /cases/{case_id}/suspects/{suspect_id}/rights-notification": (
        "Records that the suspect (and, for a minor, the guardian) was told of the right to "
        "counsel and to legal aid, which stops the 3-day rights-notification clock. Publishes "
        "`RightsNotified`."
    ),
    "POST /cases/{case_id}/suspects/{suspect_id}/defense-decision": (
        "Records what the suspect decided about a defender. For a suspect in scope who retains "
        "no one, the numbered notice-of-defense letter is sent to the aid center "
        "(`DefenseNoticeSent`); a suspect outside the scope may have an application for legal "
        "aid forwarded (`LegalAidApplicationForwarded`) or a duty lawyer requested "
        "(`DutyLawyerRequested`). A choice the case's grounds forbid is a 409."
    ),
    "GET /cases/{case_id}/notices/{notice_id}": (
        "One notice-of-defense letter: its number, the facts it carries, and where it stands "
        "(sent, supplement requested, accepted, assigned)."
    ),
    "POST /cases/{case_id}/notices/{notice_id}/supplements": (
        "Sends the materials the aid center asked for when it found the letter incomplete "
        "(`NoticeSupplemented`); the center checks the letter again."
    ),
    "POST /cases/{case_id}/suspects/{suspect_id}/refusals": (
        "Rules on the suspect's refusal of the appointed lawyer: allowed, the appointment ends "
        "and another lawyer is asked for where the grounds require one; refused, the lawyer "
        "stays. Publishes `LawyerRefusalRuled`."
    ),
    "POST /cases/{case_id}/suspects/{suspect_id}/reappointment-requests": (
        "Asks the aid center in writing to appoint another lawyer after an allowed refusal "
        "(`ReappointmentRequested`); the center has 3 days from receipt."
    ),
    "POST /cases/{case_id}/suspects/{suspect_id}/self-defense": (
        "Records that the suspect may defend themselves after refusing appointed counsel "
        "(`SelfDefensePermitted`). Where LAL Art. 25(1) requires a lawyer this is a 409."
    ),
    "POST /cases/{case_id}/suspects/{suspect_id}/private-counsel": (
        "Records counsel retained by the suspect or, with the suspect's consent, by relatives "
        "(`PrivateCounselRetained`); an appointment in force ends (the aid is terminated)."
    ),
    "POST /cases/{case_id}/suspects/{suspect_id}/private-counsel/{retention_id}/dismissal": (
        "Records that retained counsel was dismissed (`PrivateCounselDismissed`). Where the "
        "suspect has LAL Art. 25(1) grounds a new letter is due, as after a first decision."
    ),
    "POST /cases/{case_id}/suspects/{suspect_id}/file-review-requests": (
        "The suspect's defense lawyer asks to review the case files (`FileReviewRequested`); "
        "the procuratorate must arrange it at once or within 3 working days."
    ),
    "POST /cases/{case_id}/file-review-requests/{request_id}/scheduling": (
        "Arranges a requested file review (`FileReviewScheduled`): at once, or on a day within "
        "3 working days with the reason for the delay. A later day is a 400."
    ),
    "GET /cases/{case_id}/file-review-requests": (
        "The case's file review requests, each with its arrangement and whether it was on time."
    ),
    "POST /cases/{case_id}/suspects/{suspect_id}/written-opinions": (
        "Records a written opinion of the defense lawyer (`WrittenOpinionReceived`) and whether "
        "it came before the review deadline, with the deadline as it stood then."
    ),
    "POST /cases/{case_id}/suspects/{suspect_id}/sentencing-consultations": (
        "Records a sentencing consultation held with the suspect's defense lawyer in a plea "
        "case (`SentencingConsultationHeld`). Without an appointed or retained lawyer, a 409."
    ),
    "POST /cases/{case_id}/procedural-decisions": (
        "Records a procedural decision for some or all suspects (`ProceduralDecisionMade`): a "
        "return for supplementary investigation or an extension moves the review deadline; an "
        "indictment (with the court) hands each suspect over to the trial stage with their "
        "defender (`StageHandedOver`); non-prosecution or a change of jurisdiction ends the "
        "appointments."
    ),
    "POST /cases/{case_id}/expedited-procedure": (
        "Applies the expedited procedure in a plea case (`ExpeditedProcedureApplied`): the "
        "review deadline becomes 10 days from receipt, or 15 for a sentence over one year. A "
        "case CPL Art. 222-223 exclude is a 409."
    ),
    "POST /cases/{case_id}/suspects/{suspect_id}/plea-agreements": (
        "Records who witnessed the suspect's plea agreement (`PleaAgreementWitnessed`): the "
        "defense lawyer, or a duty lawyer where the suspect has none (otherwise a 409); in "
        "person or, for objective reasons, by remote video."
    ),
    "GET /ledger": (
        "The unit's work ledger: one row per suspect with the defense status, grounds, "
        "defender and each statutory clock, filtered by district, receipt period and overdue "
        "state."
    ),
    "GET /statistics": (
        "The unit's figures for a period: coverage, each clock's on-time rate, terminations by "
        "reason and the lawyers' workload, by district."
    ),
}
