"""The procuratorate's operationIds where the route function's name does not read as the
action (service_runtime.openapi.operation_ids: every other route's is its name)."""

OPERATION_IDS: dict[str, str] = {
    "POST /cases": "receiveTransferredCase",
    "GET /cases/{case_id}": "getCase",
    "GET /cases/{case_id}/timeline": "getCaseTimeline",
    "PATCH /cases/{case_id}/suspects/{suspect_id}": "correctSuspectFacts",
    "POST /cases/{case_id}/suspects/{suspect_id}/rights-notification": "recordRightsNotification",
    "POST /cases/{case_id}/suspects/{suspect_id}/defense-decision": "recordDefenseDecision",
    "GET /cases/{case_id}/notices/{notice_id}/letter.docx": "downloadNoticeLetterDocx",
    "GET /cases/{case_id}/notices/{notice_id}/letter.pdf": "downloadNoticeLetterPdf",
    "POST /cases/{case_id}/notices/{notice_id}/supplements": "supplementNotice",
    "POST /cases/{case_id}/suspects/{suspect_id}/refusals": "recordRefusal",
    "POST /cases/{case_id}/suspects/{suspect_id}/reappointment-requests": "requestReappointment",
    "POST /cases/{case_id}/suspects/{suspect_id}/self-defense": "recordSelfDefense",
    "POST /cases/{case_id}/suspects/{suspect_id}/private-counsel": "recordPrivateCounsel",
    "POST /cases/{case_id}/suspects/{suspect_id}/private-counsel/{retention_id}/dismissal": (
        "dismissPrivateCounsel"
    ),
    "POST /cases/{case_id}/suspects/{suspect_id}/file-review-requests": "requestFileReview",
    "POST /cases/{case_id}/file-review-requests/{request_id}/scheduling": "scheduleFileReview",
    "GET /cases/{case_id}/file-review-requests": "listFileReviewRequests",
    "POST /cases/{case_id}/suspects/{suspect_id}/written-opinions": "recordWrittenOpinion",
    "POST /cases/{case_id}/suspects/{suspect_id}/sentencing-consultations": (
        "recordSentencingConsultation"
    ),
    "POST /cases/{case_id}/procedural-decisions": "recordProceduralDecision",
    "POST /cases/{case_id}/expedited-procedure": "recordExpeditedProcedure",
    "POST /cases/{case_id}/suspects/{suspect_id}/plea-agreements": "recordPleaAgreement",
    "GET /ledger.xlsx": "downloadLedgerXlsx",
}
