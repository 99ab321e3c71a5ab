"""Who hears about what, channels, backoff, templates and webhook signatures."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from defense_schemas import examples as ex
from defense_schemas.events import aid_center as aid
from defense_schemas.events import procuratorate as pr
from defense_schemas.vocabulary import (
    ApplicationDecision,
    AssignmentEndReason,
    DeliveryChannel,
    ReceiptKind,
    RecipientRole,
    TerminationReason,
)
from notifier.domain.deliveries import (
    Contact,
    channel_for,
    contacts_from,
    recipients_for,
    retry_delay,
)
from notifier.domain.signature import sign, verify
from notifier.domain.templates import TemplateProblem, cn_date, render, sample_context

CONTACTS = [
    Contact(RecipientRole.PROSECUTOR, "王检察官", "wang@hedong.jcy.example"),
    Contact(RecipientRole.LAWYER, "陈律师", "chen@firm-a.example", ex.LI),
    Contact(RecipientRole.GUARDIAN, "李某", "13900000003", ex.LI),
    Contact(RecipientRole.CLOSE_RELATIVE, "张某某", "13900000001", ex.ZHANG),
    Contact(RecipientRole.CLOSE_RELATIVE, "某某", "天津市某区某路1号", ex.LI),
]


def test_channel_is_read_off_the_address() -> None:
    assert channel_for("chen@firm-a.example") is DeliveryChannel.EMAIL
    assert channel_for("13900000003") is DeliveryChannel.SMS
    assert channel_for("022-24000000") is DeliveryChannel.SMS
    assert channel_for("https://jcy.example/hooks") is DeliveryChannel.WEBHOOK
    assert channel_for("天津市某区某路1号") is None


def test_lawyer_assigned_reaches_lawyer_prosecutor_and_procuratorate_system() -> None:
    event = aid.LawyerAssigned(
        assignment_id=ex.ASSIGNMENT,
        suspect_id=ex.LI,
        basis="notice",
        notice_id=ex.NOTICE,
        lawyer=ex.LAWYER,
        assigned_at=ex.at(6),
    )
    hooks = {RecipientRole.PROCURATORATE: "https://jcy.example/hooks"}
    found = {(r.role, r.channel) for r in recipients_for(event, CONTACTS, hooks)}
    assert found == {
        (RecipientRole.LAWYER, DeliveryChannel.EMAIL),
        (RecipientRole.PROSECUTOR, DeliveryChannel.EMAIL),
        (RecipientRole.PROCURATORATE, DeliveryChannel.WEBHOOK),
    }


def test_aid_terminated_reaches_this_suspects_family_only_where_reachable() -> None:
    event = aid.AidTerminated(
        assignment_id=ex.ASSIGNMENT,
        suspect_id=ex.LI,
        reason=TerminationReason.COUNSEL_RETAINED,
        terminated_at=ex.at(8),
    )
    found = {(r.role, r.address) for r in recipients_for(event, CONTACTS, {})}
    # Zhang's relative is another suspect's; a postal address has no channel.
    assert found == {
        (RecipientRole.GUARDIAN, "13900000003"),
        (RecipientRole.LAWYER, "chen@firm-a.example"),
    }


@pytest.mark.parametrize("reason", list(AssignmentEndReason))
def test_an_ended_appointment_reaches_the_lawyer_the_handler_and_the_family(
    reason: AssignmentEndReason,
) -> None:
    event = aid.AssignmentEnded(
        assignment_id=ex.ASSIGNMENT,
        suspect_id=ex.LI,
        lawyer_id=ex.LAWYER.lawyer_id,
        notice_id=ex.NOTICE,
        reason=reason,
        ended_at=ex.at(8),
    )
    hooks = {RecipientRole.PROCURATORATE: "https://jcy.example/hooks"}
    found = {(r.role, r.address) for r in recipients_for(event, CONTACTS, hooks)}
    # Art. 5: the lawyer stops; the case handler must see the suspect defended again (counsel
    # retained, or the written request; after a failed replacement, the center's 3 days run);
    # the guardian or relatives may retain counsel for the suspect (Art. 6).
    assert found == {
        (RecipientRole.LAWYER, "chen@firm-a.example"),
        (RecipientRole.PROSECUTOR, "wang@hedong.jcy.example"),
        (RecipientRole.PROCURATORATE, "https://jcy.example/hooks"),
        (RecipientRole.GUARDIAN, "13900000003"),
    }


def test_a_suspect_at_liberty_is_reachable_and_one_in_custody_is_not() -> None:
    received = pr.CaseReceived(
        **dict(ex.CASE),
        receipt_kind=ReceiptKind.TRANSFER,
        received_at=ex.at(2),
        review_deadline=date(2026, 4, 2),
        pilot_district=True,
    )
    found, replaced = contacts_from(received)
    # Li is on bail with a phone of his own; Zhang is detained: the procuratorate tells him
    # in person, and no message goes to the detention center's line.
    assert [c for c in found if c.role is RecipientRole.SUSPECT] == [
        Contact(RecipientRole.SUSPECT, "李某某", "13900000002", ex.LI)
    ]
    assert {(RecipientRole.SUSPECT, ex.LI), (RecipientRole.SUSPECT, ex.ZHANG)} <= replaced

    ended = aid.AssignmentEnded(
        assignment_id=ex.ASSIGNMENT,
        suspect_id=ex.LI,
        lawyer_id=ex.LAWYER.lawyer_id,
        reason=AssignmentEndReason.REFUSAL_ALLOWED,
        ended_at=ex.at(8),
    )
    told = {(r.role, r.address) for r in recipients_for(ended, found, {})}
    # Art. 5 ¶1: the suspect must retain counsel or wait for another appointed lawyer.
    assert (RecipientRole.SUSPECT, "13900000002") in told


def test_a_recounted_review_deadline_reaches_every_suspects_lawyer() -> None:
    event = pr.ReviewDeadlineRecounted(
        counted_from=date(2026, 3, 2),
        review_deadline=date(2026, 4, 3),
        previous_review_deadline=date(2026, 4, 2),
        review_deadline_provisional=False,
        recounted_at=ex.at(9),
    )
    zhangs = Contact(RecipientRole.LAWYER, "赵律师", "zhao@firm-b.example", ex.ZHANG)
    found = recipients_for(event, [*CONTACTS, zhangs], {})
    # The written opinions are due before the review period ends (Art. 9): the case-wide
    # event concerns every suspect, so each defending lawyer hears of it, about their suspect.
    assert {(r.role, r.address, r.suspect_id) for r in found} == {
        (RecipientRole.LAWYER, "chen@firm-a.example", ex.LI),
        (RecipientRole.LAWYER, "zhao@firm-b.example", ex.ZHANG),
    }


def test_backoff_doubles_and_is_capped() -> None:
    assert [retry_delay(n, 30, 100) for n in (1, 2, 3, 4)] == [
        timedelta(seconds=30),
        timedelta(seconds=60),
        timedelta(seconds=100),
        timedelta(seconds=100),
    ]


def test_templates_render_chinese_dates_and_refuse_unsafe_or_unknown_names() -> None:
    message = render(
        "通知：{{ suspect_name }}",
        "期限至{{ d | cn_date }}",
        {"suspect_name": "张某", "d": "2026-04-02"},
    )
    assert (message.subject, message.body) == ("通知：张某", "期限至2026年4月2日")
    assert cn_date("2026-03-02T07:00:00Z") == "2026年3月2日 15:00"
    with pytest.raises(TemplateProblem) as unsafe:
        render("x", "{{ event.__class__.__mro__ }}", sample_context())
    assert unsafe.value.part == "body"
    with pytest.raises(TemplateProblem) as unknown:
        render("{{ nobody }}", "x", sample_context())
    assert unknown.value.part == "subject"
    with pytest.raises(TemplateProblem):
        render("x", "{% if %}", sample_context())


def test_webhook_signature_covers_timestamp_and_body() -> None:
    signature = sign("secret", 1700000000, b'{"a":1}')
    assert signature.startswith("sha256=")
    assert verify("secret", 1700000000, b'{"a":1}', signature)
    assert not verify("secret", 1700000001, b'{"a":1}', signature)
    assert not verify("other", 1700000000, b'{"a":1}', signature)


def _revision(name: str) -> Any:
    import importlib.util
    from pathlib import Path

    import notifier

    path = Path(notifier.__file__).parent / "migrations/versions" / name
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _application_templates() -> dict[str, tuple[str, str]]:
    """The applicant's templates as the notifier's migrations leave them: subjects seeded by
    0016, bodies as 0021 rewrote them."""
    seeded = _revision("0016_application_decision_templates.py")._TEMPLATES
    bodies = _revision("0021_applicant_relationship_templates.py").BODIES
    return {event: (subject, bodies[event]) for event, _, subject, _ in seeded}


def test_the_applicant_is_told_the_refusal_with_reasons_and_where_to_object() -> None:
    """LAL Art. 43, 49: the contact comes with the decision itself; nobody else is told."""
    refused = next(e for e in ex.EXAMPLES if isinstance(e, aid.ApplicationDecided))
    found, replaced = contacts_from(refused)
    assert replaced == {(RecipientRole.APPLICANT, refused.suspect_id)}

    (recipient,) = recipients_for(refused, [*CONTACTS, *found], {})
    assert (recipient.role, recipient.address) == (RecipientRole.APPLICANT, "13800000003")
    assert recipient.channel is DeliveryChannel.SMS

    subject, body = _application_templates()["ApplicationDecided"]
    context = {
        "suspect_name": "张某某",
        "recipient_name": refused.applicant_name,
        "event": refused.model_dump(mode="json"),
    }
    message = render(subject, body, context)
    assert message.subject == "不予法律援助决定书"
    assert "申请人家庭经济状况不符合经济困难标准" in message.body
    assert "天津市河东区司法局" in message.body and "第四十九条" in message.body


def test_the_applicant_is_asked_for_the_missing_material_by_a_day() -> None:
    asked = next(e for e in ex.EXAMPLES if isinstance(e, aid.ApplicationMaterialsRequested))
    found, _ = contacts_from(asked)
    (recipient,) = recipients_for(asked, found, {})
    assert recipient.role is RecipientRole.APPLICANT

    subject, body = _application_templates()["ApplicationMaterialsRequested"]
    message = render(
        subject,
        body,
        {
            "suspect_name": "张某某",
            "recipient_name": "张父",
            "event": asked.model_dump(mode="json"),
        },
    )
    assert "经济困难状况说明表" in message.body and "2026年3月10日" in message.body
    assert "视为撤回申请" in message.body


def _told(event: aid.ApplicationDecided | aid.ApplicationMaterialsRequested, **update: Any) -> str:
    subject, body = _application_templates()[event.event_type]
    changed = event.model_copy(update=update)
    context = {
        "suspect_name": "张某某",
        "recipient_name": changed.applicant_name,
        "event": changed.model_dump(mode="json"),
    }
    return render(subject, body, context).body


@pytest.mark.parametrize("event_type", [aid.ApplicationDecided, aid.ApplicationMaterialsRequested])
def test_the_applicant_is_addressed_as_who_they_are_to_the_suspect(event_type: type) -> None:
    """A father hears about the application he made for his son; the suspect who applied
    hears about his own; with no relationship known the suspect is named as before."""
    event = next(e for e in ex.EXAMPLES if isinstance(e, event_type))

    assert "张父：您作为犯罪嫌疑人张某某的父亲为其提出的法律援助申请" in _told(event)
    own = _told(event, applicant_name="张某某", applicant_relationship="本人")
    assert own.startswith("张某某：您提出的法律援助申请") and "犯罪嫌疑人张某某" not in own
    unknown = _told(event, applicant_relationship=None)
    assert "您为犯罪嫌疑人张某某提出的法律援助申请" in unknown and "None" not in unknown


def test_each_decision_reads_whole_for_the_suspects_own_application() -> None:
    decided = next(e for e in ex.EXAMPLES if isinstance(e, aid.ApplicationDecided))
    granted = _told(
        decided,
        decision=ApplicationDecision.GRANTED,
        reasons=None,
        objection_to=None,
        assignment_due_on=date(2026, 3, 8),
        applicant_relationship="本人",
    )
    assert "决定给予法律援助，将于2026年3月8日前指派律师为您提供辩护" in granted
    withdrawn = _told(
        decided, decision=ApplicationDecision.DEEMED_WITHDRAWN, reasons="视为撤回申请"
    )
    assert withdrawn.endswith("提出的法律援助申请，视为撤回申请。")
