"""The examples the OpenAPI document shows for each request and response model: one case told
throughout (a minor suspect in 河东区, received on 2 March 2026, told of the right to counsel the
next day, the letter sent on the 4th, a lawyer appointed on the 6th), so the ids and dates of one
model's example are those another refers to. ``tests/api/test_openapi_examples.py`` checks each
against its schema."""

from __future__ import annotations

from typing import Any

CASE_ID = "3f6c2a1e-8b4d-4c2a-9e1f-5a7b9c0d1e2f"
SUSPECT_ID = "9b2e4d6f-1a3c-4e5b-8d7f-0a1b2c3d4e5f"
NOTICE_ID = "c41d8e2a-6f3b-4a9c-b2d1-7e8f9a0b1c2d"
ASSIGNMENT_ID = "5e7f9a1b-3c5d-4e6f-8a9b-0c1d2e3f4a5b"
REQUEST_ID = "8a1b2c3d-4e5f-4a6b-9c7d-1e2f3a4b5c6d"
DECISION_ID = "2d4f6a8c-0e1b-4c3d-8e5f-7a9b1c3d5e7f"
EVENT_ID = "6b8d0f2a-4c6e-4f1a-9b3d-5e7f9a1c3e5a"

RECEIVED_AT = "2026-03-02T09:00:00+08:00"
NOTIFIED_AT = "2026-03-03T10:30:00+08:00"
SENT_AT = "2026-03-04T15:00:00+08:00"
ASSIGNED_AT = "2026-03-06T11:20:00+08:00"

OFFICER: dict[str, Any] = {"name": "王检察官", "contact": "022-24000000"}
GUARDIAN: dict[str, Any] = {"name": "李某", "relationship": "父亲", "contact": "13900000003"}
CLOSE_RELATIVE: dict[str, Any] = {"name": "张某", "relationship": "母亲", "contact": "13900000004"}
RETAINED_COUNSEL: dict[str, Any] = {
    "name": "赵律师",
    "law_firm": "天津某某律师事务所",
    "contact": "13800000011",
    "license_number": "11201201010123456",
}
LAWYER_OPINION: dict[str, Any] = {
    "opinion": "犯罪嫌疑人系初犯、偶犯，建议从轻处罚",
    "response": "adopted",
    "explanation": None,
}

SUSPECT_IN: dict[str, Any] = {
    "suspect_id": SUSPECT_ID,
    "name": "李某某",
    "id_number": None,
    "birth_date": "2009-06-15",
    "offence_date": "2026-01-20",
    "gender": "male",
    "disabilities": [],
    "limited_capacity": False,
    "custody_status": "residential_surveillance",
    "place_of_detention_or_residence": "天津市河东区某街道某小区1号",
    "contacts": ["13900000002"],
    "guardian": GUARDIAN,
    "close_relatives": [CLOSE_RELATIVE],
    "charges": ["盗窃罪"],
    "likely_sentence": "one_year_or_less",
    "pleads_guilty": True,
    "admits_guilt": True,
    "retained_counsel": None,
}

CASE_TRANSFER_IN: dict[str, Any] = {
    "transfer_number": "津公东诉字〔2026〕101号",
    "transferring_agency": "天津市公安局河东分局",
    "transferring_agency_kind": "public_security",
    "procuratorate_unit": "天津市河东区人民检察院",
    "district": "河东区",
    "charges": ["盗窃罪"],
    "suspects": [SUSPECT_IN],
    "organisation_suspects": [],
    "major_and_complex": False,
    "social_impact": False,
    "case_id": None,
    "received_at": RECEIVED_AT,
    "prosecutor": OFFICER,
}

ORGANISATION_SUSPECT: dict[str, Any] = {
    "suspect_id": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
    "name": "天津某某商贸有限公司",
    "credit_code": "91120102MA05XXXX1Q",
    "charges": ["单位行贿罪"],
}

DEADLINE: dict[str, Any] = {"due_on": "2026-04-01", "provisional": False, "missing_years": []}
LATEST_REVIEW: dict[str, Any] = {"due_on": "2026-03-13", "provisional": False, "missing_years": []}

CLOCK: dict[str, Any] = {
    "kind": "assignment",
    "subject": "津河东检〔2026〕12号",
    "trigger_on": "2026-03-04",
    "due_on": "2026-03-09",
    "closes_at": "2026-03-10T00:00:00+08:00",
    "provisional": False,
    "missing_years": [],
    "met_at": ASSIGNED_AT,
    "outcome": "met",
}
REVIEW_CLOCK: dict[str, Any] = {
    **CLOCK,
    "kind": "review_period",
    "subject": None,
    "trigger_on": "2026-03-02",
    "due_on": "2026-04-01",
    "closes_at": "2026-04-02T00:00:00+08:00",
    "met_at": None,
    "outcome": None,
}

DEFENDER: dict[str, Any] = {
    "kind": "appointed_on_notice",
    "name": "王律师",
    "firm": "天津某某律师事务所",
    "contact": "13800000001",
    "assignment_id": ASSIGNMENT_ID,
    "retention_id": None,
    "reply_number": "津河东援函〔2026〕3号",
    "started_at": ASSIGNED_AT,
    "ended_at": None,
    "end_reason": None,
}

LETTER: dict[str, Any] = {
    "document_number": {
        "issuing_unit": "津河东检",
        "year": 2026,
        "sequence": 12,
        "text": "津河东检〔2026〕12号",
    },
    "procuratorate_unit": "天津市河东区人民检察院",
    "addressee_center": "天津市河东区法律援助中心",
    "suspect_name": "李某某",
    "charges": ["盗窃罪"],
    "transferring_agency": "天津市公安局河东分局",
    "grounds": ["minor"],
    "place_of_detention_or_residence": "天津市河东区某街道某小区1号",
    "suspect_contact": "13900000002",
    "guardian": GUARDIAN,
    "case_handler": OFFICER,
    "copy_number": 2,
    "copy_label": "送法律援助中心",
}

NOTICE: dict[str, Any] = {
    "notice_id": NOTICE_ID,
    "suspect_id": SUSPECT_ID,
    "document_number": "津河东检〔2026〕12号",
    "sent_at": SENT_AT,
    "status": "lawyer_assigned",
    "missing_items": [],
    "supplement_detail": None,
    "letter": LETTER,
}

SUSPECT_VIEW: dict[str, Any] = {
    "suspect_id": SUSPECT_ID,
    "name": "李某某",
    "grounds": ["minor"],
    "defense_status": "appointed_on_notice",
    "decision": "no_counsel",
    "rights_notified_at": NOTIFIED_AT,
    "self_defense_permitted_at": None,
    "current_defender": DEFENDER,
    "defenders": [DEFENDER],
    "clocks": [CLOCK],
    "facts": {"birth_date": "2009-06-15", "custody_status": "residential_surveillance"},
}

CASE_VIEW: dict[str, Any] = {
    "case_id": CASE_ID,
    "transfer_number": "津公东诉字〔2026〕101号",
    "transferring_agency": "天津市公安局河东分局",
    "procuratorate_unit": "天津市河东区人民检察院",
    "district": "河东区",
    "charges": ["盗窃罪"],
    "pilot_district": True,
    "received_at": RECEIVED_AT,
    "receipt_kind": "transfer",
    "review_deadline": DEADLINE,
    "review_status": "under_review",
    "extended": False,
    "expedited": False,
    "supplementary_investigations": 0,
    "major_and_complex": False,
    "social_impact": False,
    "suspects": [SUSPECT_VIEW],
    "notices": [NOTICE],
    "case_clocks": [REVIEW_CLOCK],
}

SUSPECT_SUMMARY: dict[str, Any] = {
    "suspect_id": SUSPECT_ID,
    "name": "李某某",
    "defense_status": "appointed_on_notice",
}

CASE_SUMMARY: dict[str, Any] = {
    "case_id": CASE_ID,
    "transfer_number": "津公东诉字〔2026〕101号",
    "transferring_agency": "天津市公安局河东分局",
    "district": "河东区",
    "received_at": RECEIVED_AT,
    "review_status": "under_review",
    "review_deadline": "2026-04-01",
    "suspects": [SUSPECT_SUMMARY],
}

TIMELINE_ENTRY: dict[str, Any] = {
    "event_id": EVENT_ID,
    "event_type": "LawyerAssigned",
    "producer": "aid-center",
    "occurred_at": ASSIGNED_AT,
    "suspect_id": SUSPECT_ID,
    "payload": {
        "notice_id": NOTICE_ID,
        "assignment_id": ASSIGNMENT_ID,
        "document_number": "津河东援函〔2026〕3号",
    },
}

SUSPECT_FACTS_PATCH: dict[str, Any] = {
    "custody_status": "detained",
    "place_of_detention_or_residence": "天津市河东区看守所",
}

REASSESSMENT: dict[str, Any] = {
    "grounds": {SUSPECT_ID: ["minor"]},
    "discovered": {},
}

INFORMED_PERSON: dict[str, Any] = {
    "role": "suspect",
    "name": "李某某",
    "informed_at": NOTIFIED_AT,
    "told_legal_aid_will_appoint": True,
}

RIGHTS_NOTIFICATION_IN: dict[str, Any] = {
    "informed": [
        INFORMED_PERSON,
        {
            "role": "guardian",
            "name": "李某",
            "informed_at": NOTIFIED_AT,
            "told_legal_aid_will_appoint": True,
        },
    ],
    "notified_at": NOTIFIED_AT,
    "relatives_not_informed_reason": None,
}

RIGHTS_NOTIFICATION_OUT: dict[str, Any] = {
    "suspect_id": SUSPECT_ID,
    "notified_at": NOTIFIED_AT,
    "legal_aid_warning_given": True,
    "in_time": True,
    "letter_clock_opened": True,
}

DEFENSE_DECISION_IN: dict[str, Any] = {
    "choice": "no_counsel",
    "decided_by": "suspect",
    "decided_at": "2026-03-03T11:00:00+08:00",
    "note": "犯罪嫌疑人及其法定代理人表示不委托辩护人",
    "case_handler": OFFICER,
    "materials": ["起诉意见书", "未成年人身份证明"],
}

LEGAL_AID_APPLICATION_IN: dict[str, Any] = {
    "applicant_name": "赵父",
    "relationship": "父亲",
    "contact": "13700000007",
    "economic_hardship_statement": "家庭收入微薄，无力委托辩护人",
    "exemption_grounds": [],
    "materials": ["法律援助申请表", "经济困难状况说明表"],
}

DEFENSE_DECISION_OUT: dict[str, Any] = {
    "notice_id": NOTICE_ID,
    "duty_lawyer_request_id": None,
    "legal_aid_application_id": None,
}

SUPPLEMENT_IN: dict[str, Any] = {
    "items": ["guardian"],
    "added_materials": ["法定代理人身份证明"],
    "supplemented_at": "2026-03-05T09:30:00+08:00",
}

SUPPLEMENT_OUT: dict[str, Any] = {"review_deadline": DEADLINE, "days_left": 27, "warning": None}

REFUSAL_IN: dict[str, Any] = {
    "assignment_id": ASSIGNMENT_ID,
    "refusal_reason": "犯罪嫌疑人表示不需要该律师辩护",
    "outcome": "change_of_lawyer",
    "explanation": "已告知犯罪嫌疑人可另行申请指派",
}

REFUSAL_OUT: dict[str, Any] = {"reappointment_request_id": REQUEST_ID}

REAPPOINTMENT_IN: dict[str, Any] = {"assignment_id": ASSIGNMENT_ID}

SELF_DEFENSE_IN: dict[str, Any] = {"statement": "本人具有完全行为能力，决定自行辩护"}

COUNSEL_IN: dict[str, Any] = {
    "counsel": RETAINED_COUNSEL,
    "retained_by": "guardian",
    "suspect_accepts": True,
    "lawyer_id": "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f",
}

COUNSEL_OUT: dict[str, Any] = {"retention_id": "7c9e1a3b-5d7f-4a2c-8e4b-6d8f0a2c4e6b"}

DISMISSAL_IN: dict[str, Any] = {"note": "犯罪嫌疑人解除委托"}

DISMISSAL_OUT: dict[str, Any] = {"renotify": True, "notice_id": NOTICE_ID}

FILE_REVIEW_REQUEST_IN: dict[str, Any] = {"requested_at": "2026-03-09T09:00:00+08:00"}

FILE_REVIEW_REQUEST_OUT: dict[str, Any] = {
    "request_id": REQUEST_ID,
    "suspect_id": SUSPECT_ID,
    "defender_name": "王律师",
    "requested_at": "2026-03-09T09:00:00+08:00",
    "latest_review_date": LATEST_REVIEW,
}

SCHEDULING_IN: dict[str, Any] = {
    "location": "天津市河东区人民检察院案件管理中心阅卷室",
    "review_starts_at": "2026-03-10T09:00:00+08:00",
    "delay_explanation": "案卷正在装订，次日安排阅卷",
    "scheduled_at": "2026-03-09T10:00:00+08:00",
}

SCHEDULING_OUT: dict[str, Any] = {
    "request_id": REQUEST_ID,
    "review_starts_at": "2026-03-10T09:00:00+08:00",
    "location": "天津市河东区人民检察院案件管理中心阅卷室",
    "prompt": False,
    "delay_explanation": "案卷正在装订，次日安排阅卷",
    "latest_review_date": LATEST_REVIEW,
}

FILE_REVIEW_VIEW: dict[str, Any] = {
    "request_id": REQUEST_ID,
    "suspect_id": SUSPECT_ID,
    "defender_name": "王律师",
    "requested_at": "2026-03-09T09:00:00+08:00",
    "latest_review_date": LATEST_REVIEW,
    "scheduled_at": "2026-03-09T10:00:00+08:00",
    "review_starts_at": "2026-03-10T09:00:00+08:00",
    "location": "天津市河东区人民检察院案件管理中心阅卷室",
    "delay_explanation": "案卷正在装订，次日安排阅卷",
}

WRITTEN_OPINION_IN: dict[str, Any] = {
    "received_at": "2026-03-20T14:00:00+08:00",
    "covers_plea_matters": True,
    "copy_filed": True,
}

WRITTEN_OPINION_OUT: dict[str, Any] = {
    "opinion_id": "1a3c5e7a-9b1d-4f3a-8c5e-7a9b1d3f5a7c",
    "defender_name": "王律师",
    "received_at": "2026-03-20T14:00:00+08:00",
    "review_deadline": DEADLINE,
    "on_time": True,
    "warnings": [],
}

CONSULTATION_IN: dict[str, Any] = {
    "recommendation": "建议判处有期徒刑六个月，缓刑一年",
    "recording_ref": "津河东检录〔2026〕45号",
    "lawyer_attendance": "in_person",
    "opinions": [LAWYER_OPINION],
    "held_at": "2026-03-23T10:00:00+08:00",
}

CONSULTATION_OUT: dict[str, Any] = {"consultation_id": "4c6e8a0c-2e4a-4c6e-9a0c-2e4a6c8e0a2c"}

PROCEDURAL_DECISION_IN: dict[str, Any] = {
    "kind": "return_for_supplementary_investigation",
    "suspect_ids": None,
    "decided_at": "2026-03-25T16:00:00+08:00",
    "document_number": "津河东检退查〔2026〕8号",
    "receiving_unit": None,
    "court": None,
    "note": "需补充被害人陈述",
}

PROCEDURAL_DECISION_OUT: dict[str, Any] = {
    "decision_id": DECISION_ID,
    "review_status": "returned",
    "review_deadline": None,
    "supplementary_investigation_round": 1,
}

EXPEDITED_IN: dict[str, Any] = {
    "suspect_ids": [SUSPECT_ID],
    "decided_at": "2026-03-03T15:00:00+08:00",
}

EXPEDITED_OUT: dict[str, Any] = {
    "review_deadline": {"due_on": "2026-03-12", "provisional": False, "missing_years": []}
}

WITNESS_IN: dict[str, Any] = {
    "witness_role": "defense_lawyer",
    "witness_name": "王律师",
    "lawyer_id": "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b",
    "mode": "in_person",
    "witnessed_at": "2026-03-23T10:30:00+08:00",
}

LEDGER_CLOCK: dict[str, Any] = {**CLOCK, "scope": "suspect", "overdue": False}

LEDGER_DEFENDER: dict[str, Any] = {
    "kind": "appointed_on_notice",
    "name": "王律师",
    "firm": "天津某某律师事务所",
    "contact": "13800000001",
    "started_at": ASSIGNED_AT,
    "reply_number": "津河东援函〔2026〕3号",
}

LEDGER_ROW: dict[str, Any] = {
    "case_id": CASE_ID,
    "transfer_number": "津公东诉字〔2026〕101号",
    "procuratorate_unit": "天津市河东区人民检察院",
    "district": "河东区",
    "received_at": RECEIVED_AT,
    "review_status": "under_review",
    "review_deadline": DEADLINE,
    "suspect_id": SUSPECT_ID,
    "suspect_name": "李某某",
    "defense_status": "appointed_on_notice",
    "grounds": ["minor"],
    "in_mandatory_scope": True,
    "current_defender": LEDGER_DEFENDER,
    "clocks": [LEDGER_CLOCK],
    "terminations": [],
    "overdue": False,
}

DUE_CLOCK: dict[str, Any] = {
    "clock_id": "5c8e1f0a-2b3d-4e6f-9a1b-7c2d3e4f5a6b",
    "kind": "notice_dispatch",
    "subject": None,
    "trigger_on": "2026-03-02",
    "due_on": "2026-03-05",
    "closes_at": "2026-03-06T00:00:00+08:00",
    "provisional": False,
    "missing_years": [],
    "urgency": "due_today",
    "case_id": CASE_ID,
    "transfer_number": "津公东诉字〔2026〕101号",
    "district": "河东区",
    "suspect_id": SUSPECT_ID,
    "suspect_name": "张某",
}

CLOCK_RATE: dict[str, Any] = {
    "kind": "assignment",
    "settled": 40,
    "on_time": 38,
    "overdue_open": 1,
    "on_time_rate": 0.95,
}

LAWYER_LOAD: dict[str, Any] = {
    "lawyer": "王律师（天津某某律师事务所）",
    "appointments": 6,
    "active": 2,
}

STATISTICS: dict[str, Any] = {
    "suspects": 52,
    "covered": 50,
    "coverage_rate": 0.9615,
    "mandatory_scope": 18,
    "mandatory_covered": 18,
    "mandatory_coverage_rate": 1.0,
    "by_status": {
        "appointed_on_notice": 18,
        "retained": 7,
        "duty_lawyer_only": 25,
        "none": 2,
    },
    "clocks": [CLOCK_RATE],
    "terminations": {"counsel_retained": 1},
    "lawyer_workload": [LAWYER_LOAD],
}

STATISTICS_GROUP: dict[str, Any] = {
    "district": "河东区",
    "period": "2026-03",
    "statistics": STATISTICS,
}

STATISTICS_OUT: dict[str, Any] = {
    "granularity": "month",
    "total": STATISTICS,
    "groups": [STATISTICS_GROUP],
}


def examples(*items: dict[str, Any]) -> dict[str, Any]:
    """A model's ``json_schema_extra``: its examples, as the project declares them."""
    return {"examples": list(items)}
