"""The procuratorate's workflow end to end: real Kafka, real PostgreSQL, the app in-process."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from aiokafka import AIOKafkaProducer

from defense_schemas.events.aid_center import (
    AidTerminated,
    DutyLawyerAssigned,
    LawyerAssigned,
    NoticeAccepted,
    SupplementRequested,
)
from defense_schemas.events.common import DocumentNumber
from defense_schemas.events.intake import CaseTransferred
from official_documents import PdfConverter, docx_text
from procuratorate.api import defense as defense_api
from service_runtime.security.principal import Role
from tests.infrastructure import RunningService, bearer

sys.path.insert(0, str(Path(__file__).parent))
from procuratorate_factories import (
    NOW,
    aid_center,
    case,
    eventually,
    lawyer,
    publish,
    published,
    suspect,
)

from tests.problems import at_fault, problem

pytestmark = pytest.mark.integration


def staff(settings: Any, unit: str = "天津市河东区人民检察院") -> dict[str, str]:
    return bearer(settings, Role.PROCURATORATE_STAFF, agency=unit)


async def test_rest_intake_is_idempotent_per_transfer(service: RunningService) -> None:
    body = case(suspect(pleads_guilty=False), suspect(name="李四"))
    first = await service.client.post("/cases", json=body)
    assert first.status_code == 201, first.text
    again = await service.client.post("/cases", json=body)
    assert again.status_code == 200
    assert again.json()["case_id"] == first.json()["case_id"]
    view = first.json()
    assert view["pilot_district"] is True
    # One co-suspect denies guilt: Measures Art. 2(b) for both.
    assert [s["grounds"] for s in view["suspects"]] == [["guilt_not_admitted"]] * 2
    rights = view["suspects"][0]["clocks"][0]
    assert rights["kind"] == "rights_notification" and rights["due_on"] == "2026-03-05"
    assert view["review_deadline"] == {
        "due_on": "2026-04-02",
        "provisional": False,
        "missing_years": [],
    }
    received = await eventually(lambda: published(service, view["case_id"], "CaseReceived"))
    assert len(received) == 1


async def test_case_received_does_not_carry_id_numbers(service: RunningService) -> None:
    view = (
        await service.client.post("/cases", json=case(suspect(id_number="120102199001011234")))
    ).json()
    received = await eventually(lambda: published(service, view["case_id"], "CaseReceived"))
    assert received[0]["payload"]["suspects"][0]["id_number"] is None
    stored = (await service.client.get(f"/cases/{view['case_id']}")).json()["suspects"][0]
    assert stored["facts"]["id_number"] == "120102199001011234"


async def test_malformed_case_names_the_field(service: RunningService) -> None:
    body = case(suspect(birth_date="not a date"))
    response = await service.client.post("/cases", json=body)
    assert "#/suspects/0/birth_date" in at_fault(response, 422)
    assert (await service.client.get(f"/cases/{uuid.uuid4()}")).status_code == 404


async def test_a_nul_character_is_refused_naming_the_field(service: RunningService) -> None:
    response = await service.client.post("/cases", json=case(suspect(name="张\u0000三")))
    assert at_fault(response, 422) == ["#/suspects/0/name"]


async def test_kafka_intake_makes_one_case_from_a_duplicate_transfer(
    service: RunningService, producer: AIOKafkaProducer
) -> None:
    body = case(suspect(disabilities=["hearing"]), district="和平区")
    particulars = {k: v for k, v in body.items() if k not in ("received_at", "prosecutor")}
    event = CaseTransferred.model_validate(
        {**particulars, "transfer_kind": "initial", "transferred_at": "2026-03-02T08:00:00+08:00"}
    )
    case_id = uuid.uuid4()
    for _ in range(2):  # the same transfer delivered twice, as two distinct messages
        await publish(producer, service.settings.topic_intake, event, case_id, "tj-psb-hedong")

    async def received() -> Any:
        response = await service.client.get(f"/cases/{case_id}")
        return response.json() if response.status_code == 200 else None

    view = await eventually(received)
    assert view["pilot_district"] is False
    assert view["suspects"][0]["grounds"] == ["visual_hearing_or_speech_disability"]
    await asyncio.sleep(1.0)  # let the second delivery be consumed
    assert len(await published(service, str(case_id), "CaseReceived")) == 1


class StubConverter(PdfConverter):
    """Stands for LibreOffice: the "PDF" is the DOCX it was given, marked."""

    async def to_pdf(self, document: bytes, suffix: str = ".docx") -> bytes:
        return b"%PDF-stub:" + document


async def test_mandatory_suspect_gets_letter_and_appointed_lawyer(
    service: RunningService, producer: AIOKafkaProducer, monkeypatch: pytest.MonkeyPatch
) -> None:
    minor = suspect(
        name="王小明",
        birth_date="2009-01-01",
        guardian={"name": "王大明", "relationship": "父亲", "contact": "13800000000"},
    )
    view = (await service.client.post("/cases", json=case(minor))).json()
    case_id, suspect_id = view["case_id"], minor["suspect_id"]
    notification = f"/cases/{case_id}/suspects/{suspect_id}/rights-notification"
    # Art. 3 ¶1: the suspect *and* the relatives are told; the guardian the case names is missing.
    alone = await service.client.post(
        notification,
        json={
            "informed": [{"role": "suspect", "name": "王小明"}],
            "notified_at": "2026-03-03T10:00:00+08:00",
        },
    )
    assert alone.status_code == 400 and at_fault(alone) == ["#/informed"]
    notified = await service.client.post(
        notification,
        json={
            "informed": [
                {"role": "suspect", "name": "王小明"},
                {
                    "role": "guardian",
                    "name": "王大明",
                    "informed_at": "2026-03-03T09:30:00+08:00",
                },
            ],
            "notified_at": "2026-03-03T10:00:00+08:00",
        },
    )
    assert notified.json() == {
        "suspect_id": suspect_id,
        "notified_at": "2026-03-03T10:00:00+08:00",
        "legal_aid_warning_given": True,
        "in_time": True,
        # In the scope, no defender: the letter is due 3 days from now unless sent sooner.
        "letter_clock_opened": True,
    }
    told = (await eventually(lambda: published(service, case_id, "RightsNotified")))[0]
    assert [
        (p["role"], p["informed_at"], p["told_legal_aid_will_appoint"])
        for p in told["payload"]["informed"]
    ] == [
        ("suspect", "2026-03-03T10:00:00+08:00", True),
        ("guardian", "2026-03-03T09:30:00+08:00", True),
    ]
    decision = await service.client.post(
        f"/cases/{case_id}/suspects/{suspect_id}/defense-decision",
        json={"choice": "no_counsel", "decided_at": "2026-03-03T11:00:00+08:00"},
    )
    assert decision.status_code == 200, decision.text
    notice_id = decision.json()["notice_id"]
    notice = (await service.client.get(f"/cases/{case_id}/notices/{notice_id}")).json()
    letter = notice["letter"]
    assert letter["document_number"]["text"].startswith("津河东检〔2026〕")
    assert letter["guardian"]["name"] == "王大明"
    assert letter["grounds"] == ["minor"]
    sent = await eventually(lambda: published(service, case_id, "DefenseNoticeSent"))
    assert sent[0]["payload"]["notice_id"] == notice_id

    docx = await service.client.get(f"/cases/{case_id}/notices/{notice_id}/letter.docx")
    assert docx.status_code == 200
    text = docx_text(docx.content)
    assert "犯罪嫌疑人王小明涉嫌盗窃罪一案" in text and letter["document_number"]["text"] in text
    assert "二〇二六年三月三日" in text  # 成文日期: the day it was sent, Beijing
    disposition = docx.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="notice-of-defense-2026-')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == (
        f"通知辩护公函-{letter['document_number']['text']}-王小明.docx"
    )
    # Without LibreOffice the PDF is a 503 problem naming the DOCX; the DOCX is still served.
    monkeypatch.setattr(defense_api, "converter", lambda: PdfConverter("/nonexistent/soffice"))
    no_pdf = await service.client.get(f"/cases/{case_id}/notices/{notice_id}/letter.pdf")
    refused = problem(no_pdf, 503)["detail"]
    assert "LibreOffice" in refused and "letter.docx" in refused
    # With a converter, the PDF of that very DOCX, under the same name (the render check
    # converts with the real LibreOffice).
    monkeypatch.setattr(defense_api, "converter", lambda: StubConverter())
    pdf = await service.client.get(f"/cases/{case_id}/notices/{notice_id}/letter.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert docx_text(pdf.content.removeprefix(b"%PDF-stub:")) == text
    assert unquote(pdf.headers["content-disposition"].split("filename*=UTF-8''")[1]) == (
        f"通知辩护公函-{letter['document_number']['text']}-王小明.pdf"
    )

    # The aid center asks for a supplement, then accepts and assigns.
    await aid_center(
        service,
        producer,
        case_id,
        SupplementRequested(
            notice_id=uuid.UUID(notice_id),
            suspect_id=uuid.UUID(suspect_id),
            requested_at=NOW,
            missing_items=("case_materials",),
            detail="起诉意见书",
        ),
    )

    async def supplement_requested() -> Any:
        got = (await service.client.get(f"/cases/{case_id}/notices/{notice_id}")).json()
        return got["status"] == "supplement_requested" and got

    requested = await eventually(supplement_requested)
    assert requested["missing_items"] == ["case_materials"]
    supplement = await service.client.post(
        f"/cases/{case_id}/notices/{notice_id}/supplements",
        json={
            "items": ["case_materials"],
            "added_materials": ["起诉意见书"],
            "supplemented_at": "2026-03-30T10:00:00+08:00",
        },
    )
    assert supplement.status_code == 200, supplement.text
    assert supplement.json()["days_left"] == 3 and supplement.json()["warning"]
    again = await service.client.post(
        f"/cases/{case_id}/notices/{notice_id}/supplements", json={"items": ["case_materials"]}
    )
    assert again.status_code == 409

    assignment_id = uuid.uuid4()
    await aid_center(
        service,
        producer,
        case_id,
        NoticeAccepted(
            notice_id=uuid.UUID(notice_id),
            suspect_id=uuid.UUID(suspect_id),
            received_at=NOW,
            accepted_at=NOW,
        ),
    )
    assigned = LawyerAssigned(
        assignment_id=assignment_id,
        suspect_id=uuid.UUID(suspect_id),
        basis="notice",
        notice_id=uuid.UUID(notice_id),
        lawyer=lawyer(),
        assigned_at=NOW,
        document_number=DocumentNumber.of("津河东援函", 2026, 3),
    )
    envelope = await aid_center(service, producer, case_id, assigned)
    # The same event delivered again changes nothing.
    await producer.send_and_wait(
        service.settings.topic_aid_center, envelope.to_bytes(), key=envelope.key
    )

    async def appointed() -> Any:
        got = (await service.client.get(f"/cases/{case_id}")).json()["suspects"][0]
        return got["defense_status"] == "appointed_on_notice" and got

    person = await eventually(appointed)
    assert person["current_defender"]["name"] == "赵律师"
    # The center's reply (函告) that named the lawyer, as the procuratorate files it.
    assert person["current_defender"]["reply_number"] == "津河东援函〔2026〕3号"
    await asyncio.sleep(0.5)
    person = (await service.client.get(f"/cases/{case_id}")).json()["suspects"][0]
    assert len(person["defenders"]) == 1
    kinds = {c["kind"]: c["outcome"] for c in person["clocks"]}
    assert kinds == {
        "rights_notification": "met",
        "notice_dispatch": "met",
        "assignment": "met",
    }

    # LAL ground (minor): self-defense is refused by the named policy.
    refused = await service.client.post(
        f"/cases/{case_id}/suspects/{suspect_id}/self-defense", json={"statement": "我自己辩护"}
    )
    assert refused.status_code == 409 and at_fault(refused) == ["#/grounds"]

    # Private counsel retained by the father, accepted by the suspect; aid ends; then dismissed:
    # a minor (LAL ground) is notified again.
    retained = await service.client.post(
        f"/cases/{case_id}/suspects/{suspect_id}/private-counsel",
        json={
            "counsel": {"name": "钱律师", "law_firm": "某所", "contact": "13700000000"},
            "retained_by": "guardian",
            "suspect_accepts": True,
        },
    )
    retention_id = retained.json()["retention_id"]
    await aid_center(
        service,
        producer,
        case_id,
        AidTerminated(
            assignment_id=assignment_id,
            suspect_id=uuid.UUID(suspect_id),
            reason="counsel_retained",
            terminated_at=NOW,
        ),
    )

    async def terminated() -> Any:
        # The retention already ended the appointment here: wait for the center's termination
        # itself, or the dismissal below may come before it and find aid not yet terminated.
        timeline = (await service.client.get(f"/cases/{case_id}/timeline")).json()["items"]
        return any(e["event_type"] == "AidTerminated" for e in timeline)

    await eventually(terminated)
    person = (await service.client.get(f"/cases/{case_id}")).json()["suspects"][0]
    assert all(d["ended_at"] for d in person["defenders"] if d["assignment_id"])
    assert person["defense_status"] == "retained"
    dismissed = await service.client.post(
        f"/cases/{case_id}/suspects/{suspect_id}/private-counsel/{retention_id}/dismissal",
        json={},
    )
    assert dismissed.status_code == 200, dismissed.text
    assert dismissed.json()["renotify"] is True and dismissed.json()["notice_id"]
    timeline = (await service.client.get(f"/cases/{case_id}/timeline")).json()["items"]
    types = [entry["event_type"] for entry in timeline]
    assert types[0] == "CaseReceived"
    for expected in ("SupplementRequested", "LawyerAssigned", "AidTerminated"):
        assert expected in types
    assert types.count("DefenseNoticeSent") == 2


async def test_out_of_scope_suspect_gets_a_duty_lawyer_and_self_defense_on_art_2(
    service: RunningService, producer: AIOKafkaProducer
) -> None:
    plain = suspect()
    view = (await service.client.post("/cases", json=case(plain, district="和平区"))).json()
    case_id, suspect_id = view["case_id"], plain["suspect_id"]
    decision = await service.client.post(
        f"/cases/{case_id}/suspects/{suspect_id}/defense-decision", json={"choice": "no_counsel"}
    )
    request_id = decision.json()["duty_lawyer_request_id"]
    assert request_id and decision.json()["notice_id"] is None
    await aid_center(
        service,
        producer,
        case_id,
        DutyLawyerAssigned(
            request_id=uuid.UUID(request_id),
            suspect_id=uuid.UUID(suspect_id),
            lawyer=lawyer("孙律师"),
            work_station="河东区检察院法律援助工作站",
            mode="on_site",
            assigned_at=NOW,
        ),
    )

    async def duty() -> Any:
        got = (await service.client.get(f"/cases/{case_id}")).json()["suspects"][0]
        return got["defense_status"] == "duty_lawyer_only"

    await eventually(duty)

    # A Measures Art. 2 ground only (pilot district, denial of guilt): self-defense permitted.
    denier = suspect(pleads_guilty=False)
    view = (await service.client.post("/cases", json=case(denier))).json()
    permitted = await service.client.post(
        f"/cases/{view['case_id']}/suspects/{denier['suspect_id']}/self-defense",
        json={"statement": "坚持自行辩护"},
    )
    assert permitted.status_code == 204, permitted.text
    got = (await service.client.get(f"/cases/{view['case_id']}")).json()["suspects"][0]
    assert got["defense_status"] == "self_defense"


async def test_a_later_disability_is_a_new_ground_with_its_own_clock(
    service: RunningService,
) -> None:
    plain, other = suspect(), suspect(name="李四")
    view = (await service.client.post("/cases", json=case(plain, other, district="和平区"))).json()
    case_id = view["case_id"]
    patched = await service.client.patch(
        f"/cases/{case_id}/suspects/{plain['suspect_id']}", json={"disabilities": ["speech"]}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["discovered"] == {
        plain["suspect_id"]: ["visual_hearing_or_speech_disability"]
    }
    got = (await service.client.get(f"/cases/{case_id}")).json()["suspects"][0]
    dispatch = [c for c in got["clocks"] if c["kind"] == "notice_dispatch"]
    assert dispatch and dispatch[0]["subject"] == "visual_hearing_or_speech_disability"
    bad = await service.client.patch(
        f"/cases/{case_id}/suspects/{plain['suspect_id']}", json={"likely_sentence": "forever"}
    )
    assert bad.status_code == 422 and "likely_sentence" in bad.text
    missing = await service.client.patch(f"/cases/{case_id}/suspects/{uuid.uuid4()}", json={})
    assert missing.status_code == 404


async def test_notice_numbers_are_unique_and_gap_free_under_concurrency(
    service: RunningService,
) -> None:
    people = [suspect(name=f"嫌疑人{i}", pleads_guilty=False) for i in range(8)]
    xiqing = staff(service.settings, "天津市西青区人民检察院")  # a case of Xiqing's (西青)
    view = (
        await service.client.post(
            "/cases",
            json=case(*people, procuratorate_unit="天津市西青区人民检察院", district="西青区"),
            headers=xiqing,
        )
    ).json()
    responses = await asyncio.gather(
        *(
            service.client.post(
                f"/cases/{view['case_id']}/suspects/{p['suspect_id']}/defense-decision",
                json={"choice": "no_counsel", "decided_at": "2026-03-03T10:00:00+08:00"},
                headers=xiqing,
            )
            for p in people
        )
    )
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    # Hedong's staff do not see Xiqing's case at all.
    assert (await service.client.get(f"/cases/{view['case_id']}")).status_code == 404
    notices = (await service.client.get(f"/cases/{view['case_id']}", headers=xiqing)).json()[
        "notices"
    ]
    sequences = sorted(n["letter"]["document_number"]["sequence"] for n in notices)
    assert sequences == list(range(1, 9))


async def test_procedural_decisions_move_the_review_deadline(
    service: RunningService, producer: AIOKafkaProducer
) -> None:
    body = case(suspect(), district="和平区")
    view = (await service.client.post("/cases", json=body)).json()
    case_id = view["case_id"]
    url = f"/cases/{case_id}/procedural-decisions"
    extended = await service.client.post(
        url, json={"kind": "extension", "decided_at": "2026-03-20T10:00:00+08:00"}
    )
    assert extended.json()["review_deadline"]["due_on"] == "2026-04-17"
    for round_, number in ((1, "2"), (2, "3")):
        returned = await service.client.post(
            url, json={"kind": "return_for_supplementary_investigation"}
        )
        assert returned.json()["supplementary_investigation_round"] == round_
        assert returned.json()["review_deadline"] is None
        # A re-transfer restarts the review period (CPL Art. 175).
        again = {**body, "transfer_number": body["transfer_number"] + number}
        particulars = {k: v for k, v in again.items() if k not in ("received_at", "prosecutor")}
        event = CaseTransferred.model_validate(
            {
                **particulars,
                "transfer_kind": "after_supplementary_investigation",
                "transferred_at": "2026-05-04T09:00:00+08:00",
            }
        )
        await publish(
            producer, service.settings.topic_intake, event, uuid.UUID(case_id), "tj-psb-hedong"
        )

        async def under_review() -> Any:
            got = (await service.client.get(f"/cases/{case_id}")).json()
            return got["review_status"] == "under_review" and got

        await eventually(under_review)
    third = await service.client.post(url, json={"kind": "return_for_supplementary_investigation"})
    assert third.status_code == 409 and at_fault(third) == ["#/kind"]


async def test_a_re_transfer_under_the_first_transfer_number_restarts_the_review_period(
    service: RunningService, producer: AIOKafkaProducer
) -> None:
    body = case(suspect(), district="和平区")
    case_id = (await service.client.post("/cases", json=body)).json()["case_id"]
    url = f"/cases/{case_id}/procedural-decisions"
    returned = await service.client.post(
        url, json={"kind": "return_for_supplementary_investigation"}
    )
    assert returned.status_code == 200, returned.text
    particulars = {k: v for k, v in body.items() if k not in ("received_at", "prosecutor")}
    event = CaseTransferred.model_validate(
        {
            **particulars,
            "transfer_kind": "after_supplementary_investigation",
            "transferred_at": "2026-05-04T09:00:00+08:00",
        }
    )
    # The agency's own case id for it is not ours: the unit's transfer number names the case.
    await publish(producer, service.settings.topic_intake, event, uuid.uuid4(), "tj-psb-hedong")

    async def under_review() -> Any:
        got = (await service.client.get(f"/cases/{case_id}")).json()
        return got["review_status"] == "under_review" and got

    got = await eventually(under_review)
    # CPL Art. 172, 175: a month again from the re-transfer's receipt (its arrival, today).
    assert got["received_at"] > "2026-05-04" and got["review_deadline"]["due_on"] > "2026-06-04"
    assert got["receipt_kind"] == "retransfer_after_supplementary_investigation"


async def test_duty_lawyer_may_not_witness_when_a_defense_lawyer_acts(
    service: RunningService,
) -> None:
    person = suspect()
    view = (await service.client.post("/cases", json=case(person, district="和平区"))).json()
    url = f"/cases/{view['case_id']}/suspects/{person['suspect_id']}"
    await service.client.post(
        f"{url}/private-counsel",
        json={"counsel": {"name": "钱律师", "contact": "13700000000"}},
    )
    duty = await service.client.post(
        f"{url}/plea-agreements", json={"witness_role": "duty_lawyer", "witness_name": "孙律师"}
    )
    assert duty.status_code == 409 and at_fault(duty) == ["#/witness_role"]
    remote = await service.client.post(
        f"{url}/plea-agreements",
        json={"witness_role": "defense_lawyer", "witness_name": "钱律师", "mode": "remote_video"},
    )
    assert remote.status_code == 201
    expedited = await service.client.post(
        f"/cases/{view['case_id']}/expedited-procedure",
        json={"suspect_ids": [person["suspect_id"]]},
    )
    assert expedited.status_code == 200, expedited.text
