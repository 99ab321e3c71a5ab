"""The Chinese words the pages show for the APIs' codes; an unknown code is shown as it is."""

from __future__ import annotations

LABELS: dict[str, str] = {
    # grounds (应当通知辩护的情形)
    "minor": "未成年人",
    "visual_hearing_or_speech_disability": "视力、听力、言语残疾人",
    "limited_capacity_adult": "不能完全辨认自己行为的成年人",
    "possible_life_or_death_sentence": "可能被判处无期徒刑、死刑",
    "death_penalty_review_applicant": "死刑复核案件申请人",
    "trial_in_absentia": "缺席审判",
    "other_statutory_ground": "法律规定的其他情形",
    "possible_sentence_3_years_or_more": "可能判处三年以上有期徒刑",
    "guilt_not_admitted": "拒不认罪",
    "major_and_complex_case": "重大复杂案件",
    "major_social_impact": "可能造成重大社会影响",
    # defense status
    "retained": "委托辩护",
    "appointed_on_notice": "通知辩护",
    "appointed_on_application": "申请指派",
    "duty_lawyer_only": "值班律师法律帮助",
    "self_defense": "自行辩护",
    "none": "尚无辩护人",
    # decisions
    "retain_counsel": "自行委托辩护人",
    "no_counsel": "不自行委托",
    "apply_for_legal_aid": "申请法律援助",
    "defend_self": "自行辩护",
    # people
    "suspect": "犯罪嫌疑人",
    "close_relative": "近亲属",
    "guardian": "监护人",
    # clocks
    "rights_notification": "告知诉讼权利（3日）",
    "notice_dispatch": "发出通知辩护公函（3日）",
    "assignment": "指派律师（3日）",
    "file_review": "安排阅卷（3个工作日）",
    "written_opinion": "书面辩护意见",
    "review_period": "审查起诉期限",
    "subsidy_payment": "发放办案补贴",
    "application_review": "审查法律援助申请（7日）",
    "application_assignment": "准予援助后指派律师（3日）",
    # review status
    "under_review": "审查中",
    "returned": "退回补充侦查",
    "indicted": "已起诉",
    "non_prosecuted": "不起诉",
    "transferred_out": "已移送管辖",
    # notices at the aid center
    "supplement_requested": "要求补充材料",
    "accepted": "已接收，待指派",
    "assigned": "已指派",
    "unassignable": "无法指派",
    "awaiting_reappointment": "待另行指派",
    "closed": "已结束",
    # applications (LAL Art. 41-43)
    "materials_requested": "已一次性告知补充材料",
    "refused": "不予法律援助",
    "withdrawn": "视为撤回申请",
    "granted": "给予法律援助",
    "deemed_withdrawn": "视为撤回申请",
    # why aid ended (LAL Art. 48; Measures Art. 5, 6, 13)
    "counsel_retained": "已委托辩护人",
    "self_defense_permitted": "准许自行辩护",
    "proceedings_ended": "诉讼终止",
    "jurisdiction_changed": "案件移送管辖",
    "stage_ended": "本诉讼阶段结束",
    "no_longer_eligible": "不再符合法律援助条件",
    "obtained_by_deception": "以欺骗等不正当手段获得法律援助",
    "facts_concealed": "故意隐瞒重要事实或者提供虚假证据",
    "unlawful_use": "利用法律援助从事违法活动",
    "economic_situation_changed": "经济状况改善，不再符合条件",
    "recipient_request": "受援人有正当理由要求终止",
    "other": "法律法规规定的其他情形",
    "sent": "已发出",
    "active": "承办中",
    "ended": "已结束",
    # the engine's reasons for passing a lawyer over
    "district_not_served": "不服务该区",
    "insufficient_experience": "刑事执业年限不足（法律援助法第26条）",
    "co_suspect_firm": "同案犯罪嫌疑人的律师同所（第13条）",
    "firm_conflict_reported": "律所报告利益冲突",
    "inactive": "已停用",
    "on_leave": "休假中",
    "at_capacity": "承办量已满",
    "not_named_by_recipient": "非受援人指定",
    "not_previous_stage_lawyer": "非前一阶段律师",
    "not_juvenile_specialist": "非未成年人案件专长",
    "language_not_spoken": "不通晓所需语言",
    "gender_not_wished": "性别不符受援人意愿",
    "higher_load": "承办量较高",
    "more_recent_assignments": "近期指派较多",
    "tie_break": "同等条件下顺序在后",
    # lawyer's work
    "meeting": "会见",
    "investigation": "调查取证",
    # duty rota
    "on_site": "现场",
    "phone": "电话",
    "online": "网络",
}


def zh(code: object) -> str:
    if code is None:
        return "—"
    return LABELS.get(str(code), str(code))
