"""The lawyer's work (Art. 8, 9, 11), the hand-over at indictment, applications for legal aid,
letter numbering across cases, and the work ledger with its statistics and XLSX export — end to
end through the real broker and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import sys
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from openpyxl import load_workbook

from defense_schemas.events.aid_center import AidTerminated, LawyerAssigned
from procuratorate.domain.ledger import LEDGER_HEADERS
from service_runtime.security.principal import Role
from tests.infrastructure import RunningService, bearer

sys.path.insert(0, str(Path(__file__).parent))
from procuratorate_factories import NOW, aid_center, case, eventually, lawyer, published, suspect

from tests.problems import at_fault

pytestmark = pytest.mark.integration


def staff(settings: Any, unit: str = "天津市河东区人民检察院") -> dict[str, str]:
    return bearer(settings, Role.PROCURATORATE_STAFF, agency=unit)


async def test_file_review_opinions_consultation_and_hand_over(service: RunningService) -> None:
    client = service.client
    person = suspect(name="刘一")
    view = (await client.post("/cases", json=case(person, district="红桥区"))).json()
    case_id = view["case_id"]
    url = f"/cases/{case_id}/suspects/{person['suspect_id']}"

    # Without a defense lawyer there is no file review and no consultation.
    no_lawyer = await client.post(f"{url}/file-review-requests", json={})
    assert no_lawyer.status_code == 409, no_lawyer.text
    consultation = {
        "recommendation": "有期徒刑八个月",
        "recording_ref": "录像-2026-0001",
        "lawyer_attendance": "remote_video",
        "opinions": [{"opinion": "有自首情节", "response": "adopted"}],
    }
    assert (
        await client.post(f"{url}/sentencing-consultations", json=consultation)
    ).status_code == 409

    retained = await client.post(
        f"{url}/private-counsel",
        json={"counsel": {"name": "钱律师", "law_firm": "某所", "contact": "13700000000"}},
    )
    retention_id = retained.json()["retention_id"]

    # Art. 8: requested on Thursday 2026-03-05 → at the latest Tuesday 2026-03-10.
    requested = await client.post(
        f"{url}/file-review-requests", json={"requested_at": "2026-03-05T10:00:00+08:00"}
    )
    assert requested.status_code == 201, requested.text
    request = requested.json()
    assert request["latest_review_date"] == {
        "due_on": "2026-03-10",
        "provisional": False,
        "missing_years": [],
    }
    assert request["defender_name"] == "钱律师"
    scheduling = f"/cases/{case_id}/file-review-requests/{request['request_id']}/scheduling"
    too_late = await client.post(
        scheduling,
        json={
            "location": "案件管理中心阅卷室",
            "review_starts_at": "2026-03-11T09:00:00+08:00",
            "delay_explanation": "卷宗在鉴定中",
        },
    )
    assert too_late.status_code == 400 and at_fault(too_late) == ["#/review_starts_at"]
    unexplained = await client.post(
        scheduling,
        json={"location": "阅卷室", "review_starts_at": "2026-03-09T09:00:00+08:00"},
    )
    assert unexplained.status_code == 400
    assert at_fault(unexplained) == ["#/delay_explanation"]
    deferred = await client.post(
        scheduling,
        json={
            "location": "阅卷室",
            "review_starts_at": "2026-03-10T09:00:00+08:00",
            "delay_explanation": "卷宗在鉴定中",
            "scheduled_at": "2026-03-05T11:00:00+08:00",
        },
    )
    assert deferred.status_code == 200, deferred.text
    assert deferred.json()["prompt"] is False
    assert (await client.post(scheduling, json={"location": "阅卷室"})).status_code == 409
    assert (
        await client.post(
            f"/cases/{case_id}/file-review-requests/{uuid.uuid4()}/scheduling",
            json={"location": "阅卷室"},
        )
    ).status_code == 404

    second = (
        await client.post(
            f"{url}/file-review-requests", json={"requested_at": "2026-03-16T09:00:00+08:00"}
        )
    ).json()
    at_once = await client.post(
        f"/cases/{case_id}/file-review-requests/{second['request_id']}/scheduling",
        json={"location": "电子阅卷系统", "scheduled_at": "2026-03-16T10:00:00+08:00"},
    )
    assert at_once.json()["prompt"] is True and at_once.json()["delay_explanation"] is None
    reviews = (await client.get(f"/cases/{case_id}/file-review-requests")).json()["items"]
    assert [r["location"] for r in reviews] == ["阅卷室", "电子阅卷系统"]

    # Art. 9: against the review deadline 2026-04-02.
    in_time = await client.post(
        f"{url}/written-opinions",
        json={"received_at": "2026-03-20T10:00:00+08:00", "covers_plea_matters": True},
    )
    assert in_time.status_code == 201, in_time.text
    assert in_time.json()["on_time"] is True
    assert in_time.json()["review_deadline"]["due_on"] == "2026-04-02"
    assert in_time.json()["warnings"] == []
    late = await client.post(
        f"{url}/written-opinions", json={"received_at": "2026-04-03T09:00:00+08:00"}
    )
    assert late.json()["on_time"] is False
    assert "173(2)" in late.json()["warnings"][0]  # a plea case: the opinion should cover them

    # Art. 11.
    unanswered = {
        **consultation,
        "opinions": [{"opinion": "应适用缓刑", "response": "explained"}],
    }
    bad = await client.post(f"{url}/sentencing-consultations", json=unanswered)
    assert bad.status_code == 400 and at_fault(bad) == ["#/opinions/0/explanation"]
    held = await client.post(f"{url}/sentencing-consultations", json=consultation)
    assert held.status_code == 201, held.text

    # Indictment: the court is named, and each suspect is handed over with its defender.
    decisions = f"/cases/{case_id}/procedural-decisions"
    no_court = await client.post(decisions, json={"kind": "indictment"})
    assert no_court.status_code == 400 and at_fault(no_court) == ["#/court"]
    indicted = await client.post(
        decisions,
        json={
            "kind": "indictment",
            "court": "天津市红桥区人民法院",
            "document_number": "津红检刑诉〔2026〕5号",
            "decided_at": "2026-04-05T10:00:00+08:00",
        },
    )
    assert indicted.status_code == 200, indicted.text
    after = await client.post(f"{url}/written-opinions", json={})
    assert after.status_code == 409

    handed = await eventually(lambda: published(service, case_id, "StageHandedOver"))
    payload = handed[0]["payload"]
    assert payload["court"] == "天津市红桥区人民法院"
    assert payload["defense_status"] == "retained"
    assert payload["defender"] == {
        "name": "钱律师",
        "assignment_id": None,
        "retention_id": retention_id,
    }
    held_event = (await published(service, case_id, "SentencingConsultationHeld"))[0]
    assert held_event["payload"]["lawyer_attendance"] == "remote_video"
    assert len(await published(service, case_id, "FileReviewScheduled")) == 2

    rows = (await client.get("/ledger", params={"district": "红桥区"})).json()["items"]
    outcomes = sorted((c["kind"], c["outcome"]) for c in rows[0]["clocks"])
    assert ("file_review", "met") in outcomes and outcomes.count(("file_review", "met")) == 2
    assert ("written_opinion", "met") in outcomes and ("written_opinion", "met_late") in outcomes
    assert ("review_period", "met_late") in outcomes  # indicted after 2026-04-02


async def test_ledger_filters_statistics_and_xlsx(
    service: RunningService, producer: AIOKafkaProducer
) -> None:
    client = service.client
    district = "河北区"  # not a pilot district: only LAL Art. 25(1) grounds
    minor = suspect(
        name="王小明",
        birth_date="2010-01-01",
        guardian={"name": "王大明", "relationship": "父亲", "contact": "13800000000"},
    )
    adult = suspect(name="李四")
    first = (
        await client.post(
            "/cases",
            json=case(minor, adult, district=district, received_at="2026-03-02T09:00:00+08:00"),
        )
    ).json()
    deaf = suspect(name="赵五", disabilities=["hearing"])
    second = (
        await client.post(
            "/cases", json=case(deaf, district=district, received_at="2026-04-10T09:00:00+08:00")
        )
    ).json()
    elsewhere = suspect(
        name="孙六", retained_counsel={"name": "周律师", "law_firm": "某所", "contact": "1"}
    )
    await client.post("/cases", json=case(elsewhere, district="东丽区"))

    # The minor: letter, appointment, then counsel retained and aid terminated.
    notice_id = (
        await client.post(
            f"/cases/{first['case_id']}/suspects/{minor['suspect_id']}/defense-decision",
            json={"choice": "no_counsel", "decided_at": "2026-03-03T10:00:00+08:00"},
        )
    ).json()["notice_id"]
    assignment_id = uuid.uuid4()
    await aid_center(
        service,
        producer,
        first["case_id"],
        LawyerAssigned(
            assignment_id=assignment_id,
            suspect_id=uuid.UUID(minor["suspect_id"]),
            basis="notice",
            notice_id=uuid.UUID(notice_id),
            lawyer=lawyer("赵律师"),
            assigned_at=NOW,
        ),
    )

    async def appointed() -> Any:
        rows = (await client.get("/ledger", params={"status": "appointed_on_notice"})).json()[
            "items"
        ]
        return [r for r in rows if r["suspect_id"] == minor["suspect_id"]]

    row = (await eventually(appointed))[0]
    assert row["current_defender"]["name"] == "赵律师"
    await client.post(
        f"/cases/{first['case_id']}/suspects/{minor['suspect_id']}/private-counsel",
        json={"counsel": {"name": "钱律师", "law_firm": "另一所", "contact": "1"}},
    )
    await aid_center(
        service,
        producer,
        first["case_id"],
        AidTerminated(
            assignment_id=assignment_id,
            suspect_id=uuid.UUID(minor["suspect_id"]),
            reason="counsel_retained",
            terminated_at=NOW,
        ),
    )

    # The adult, outside the scope, applies for legal aid: the application is forwarded.
    applied = await client.post(
        f"/cases/{first['case_id']}/suspects/{adult['suspect_id']}/defense-decision",
        json={"choice": "apply_for_legal_aid", "decided_by": "close_relative"},
    )
    assert applied.status_code == 200, applied.text
    assert applied.json()["legal_aid_application_id"] and applied.json()["notice_id"] is None
    assert applied.json()["duty_lawyer_request_id"] is None
    forwarded = await eventually(
        lambda: published(service, first["case_id"], "LegalAidApplicationForwarded")
    )
    assert forwarded[0]["payload"]["addressee_center"] == "天津市河北区法律援助中心"
    assert forwarded[0]["payload"]["applied_by"] == "close_relative"

    # The deaf suspect: told of the rights in time (the 3 days for the letter run from then),
    # never notified; an indictment would hand an LAL Art. 25(1) suspect to the court without a
    # defender (CPL Art. 35) and is refused; the case is not prosecuted (review period met).
    await client.post(
        f"/cases/{second['case_id']}/suspects/{deaf['suspect_id']}/rights-notification",
        json={
            "informed": [{"role": "suspect", "name": "赵五"}],
            "notified_at": "2026-04-11T10:00:00+08:00",
        },
    )
    indicted = await client.post(
        f"/cases/{second['case_id']}/procedural-decisions",
        json={
            "kind": "indictment",
            "court": "天津市河北区人民法院",
            "decided_at": "2026-04-20T10:00:00+08:00",
        },
    )
    assert indicted.status_code == 409 and at_fault(indicted) == ["#/suspect_ids"]
    not_prosecuted = await client.post(
        f"/cases/{second['case_id']}/procedural-decisions",
        json={"kind": "non_prosecution", "decided_at": "2026-04-20T10:00:00+08:00"},
    )
    assert not_prosecuted.status_code == 200, not_prosecuted.text

    async def terminated() -> Any:
        rows = (await client.get("/ledger", params={"district": district})).json()["items"]
        return len(rows) == 3 and rows[0]["terminations"] == ["counsel_retained"] and rows

    rows = await eventually(terminated)
    assert [(r["suspect_name"], r["defense_status"], r["grounds"]) for r in rows] == [
        ("王小明", "retained", ["minor"]),
        ("李四", "none", []),
        ("赵五", "none", ["visual_hearing_or_speech_disability"]),
    ]
    assert rows[0]["current_defender"]["name"] == "钱律师"
    # The first case's rights notifications and review period are open past their deadlines.
    # The deaf suspect's letter was due 3 days after the rights notification and never sent;
    # the non-prosecution ended the duty, so it is no longer overdue but lapsed: a breach on
    # record, not a letter still owed.
    assert [r["overdue"] for r in rows] == [True, True, False]
    letter = next(c for c in rows[2]["clocks"] if c["kind"] == "notice_dispatch")
    assert letter["outcome"] == "lapsed"

    async def names(**params: Any) -> list[str]:
        response = await client.get("/ledger", params={"district": district, **params})
        assert response.status_code == 200, response.text
        return [r["suspect_name"] for r in response.json()["items"]]

    assert await names(status="retained") == ["王小明"]
    assert await names(received_from="2026-04-01", received_to="2026-04-30") == ["赵五"]
    assert await names(received_to="2026-03-02") == ["王小明", "李四"]
    assert await names(overdue="true") == ["王小明", "李四"]
    assert await names(overdue="false") == ["赵五"]
    # The overdue filter is a predicate of the query: a page reads its limit and one row more,
    # not every row after the cursor.
    read: list[int] = []

    def ledger_reads(_c: Any, cursor: Any, statement: str, *_: Any) -> None:
        if "JOIN suspects" in statement and "review_deadline_missing_years" in statement:
            read.append(cursor.rowcount)

    engine = service.runtime.engine.sync_engine
    sa.event.listen(engine, "after_cursor_execute", ledger_reads)
    try:
        assert await names(overdue="true", limit=1) == ["王小明"]
    finally:
        sa.event.remove(engine, "after_cursor_execute", ledger_reads)
    assert read == [2]
    assert "孙六" in [r["suspect_name"] for r in (await client.get("/ledger")).json()["items"]]
    backwards = await client.get(
        "/ledger", params={"received_from": "2026-05-01", "received_to": "2026-04-01"}
    )
    assert backwards.status_code == 400 and at_fault(backwards) == ["received_to"]
    assert (await client.get("/ledger", params={"status": "lost"})).status_code == 422

    stats = (await client.get("/statistics", params={"district": district})).json()
    total = stats["total"]
    assert (total["suspects"], total["covered"], total["mandatory_scope"]) == (3, 1, 2)
    assert total["mandatory_covered"] == 1 and total["mandatory_coverage_rate"] == 0.5
    assert total["terminations"] == {"counsel_retained": 1}
    assert total["lawyer_workload"] == [
        {"lawyer": "赵律师（天津某律师事务所）", "appointments": 1, "active": 0}
    ]
    clocks = {c["kind"]: c for c in total["clocks"]}
    assert (clocks["rights_notification"]["settled"], clocks["rights_notification"]["on_time"]) == (
        1,
        1,
    )
    assert clocks["rights_notification"]["overdue_open"] == 2
    # One review period per case, though the first case has two suspects.
    review = clocks["review_period"]
    assert (review["settled"], review["on_time"], review["overdue_open"]) == (1, 1, 1)
    # The minor's letter went in time; the deaf suspect's lapsed after its breach and counts
    # as settled late.
    letters = clocks["notice_dispatch"]
    assert (letters["settled"], letters["on_time"], letters["overdue_open"]) == (2, 1, 0)
    assert [(g["district"], g["period"], g["statistics"]["suspects"]) for g in stats["groups"]] == [
        (district, "2026-03", 2),
        (district, "2026-04", 1),
    ]
    by_quarter = (
        await client.get("/statistics", params={"district": district, "granularity": "quarter"})
    ).json()
    assert [(g["period"], g["statistics"]["suspects"]) for g in by_quarter["groups"]] == [
        ("2026-Q1", 2),
        ("2026-Q2", 1),
    ]

    export = await client.get("/ledger.xlsx", params={"district": district})
    assert export.status_code == 200
    assert export.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = export.headers["content-disposition"]
    assert "filename*=UTF-8''%E5%B7%A5%E4%BD%9C%E5%8F%B0%E8%B4%A6-" in disposition  # 工作台账-
    workbook = load_workbook(io.BytesIO(export.content))
    assert workbook.sheetnames == ["工作台账", "期限明细", "统计", "律师承办量"]
    sheet = list(workbook["工作台账"].iter_rows(values_only=True))
    assert sheet[0] == LEDGER_HEADERS
    assert [(r[6], r[7], r[8]) for r in sheet[1:]] == [
        ("王小明", "委托辩护", "未成年人"),
        ("李四", "尚无辩护人", "不属于应当通知辩护情形"),
        ("赵五", "尚无辩护人", "视力、听力、言语残疾人"),
    ]
    assert sheet[1][3] == datetime(2026, 3, 2, 9, 0) and sheet[1][9] == "钱律师"
    header, *rows = workbook["统计"].iter_rows(values_only=True)
    summary = {(r[0], r[1]): dict(zip(header, r, strict=True)) for r in rows}
    assert summary[(district, "2026年3月")]["犯罪嫌疑人数"] == 2
    assert summary[(district, "2026年3月")]["终止法律援助：另行委托辩护人"] == 1
    assert summary[("合计", None)]["犯罪嫌疑人数"] == 3

    # The monthly report: March only, one row per district and the total, under its title.
    report = await client.get(
        "/ledger/report.xlsx", params={"month": "2026-03", "district": district}
    )
    assert report.status_code == 200, report.text
    book = load_workbook(io.BytesIO(report.content))
    title, header, *rows = book["统计"].iter_rows(values_only=True)
    assert title[0].endswith("审查起诉阶段律师辩护全覆盖工作统计表（2026年3月）")
    assert [(r[0], r[1], r[2]) for r in rows] == [(district, "全部", 2), ("合计", None, 2)]
    assert [r[6] for r in book["工作台账"].iter_rows(min_row=2, values_only=True)] == [
        "王小明",
        "李四",
    ]
    for params, field in (
        ({}, "month"),
        ({"month": "2026-03", "received_from": "2026-03-01"}, "month"),
    ):
        refused = await client.get("/ledger/report.xlsx", params=params)
        assert at_fault(refused, 400) == [field]
    assert (await client.get("/ledger/report.xlsx", params={"month": "2026-13"})).status_code == 422


async def test_letter_numbers_are_gap_free_across_cases_of_one_unit(
    service: RunningService,
) -> None:
    """Concurrent letters of DIFFERENT cases (no shared case row to serialise on) of one
    issuing unit still draw 1..N without gaps or duplicates."""
    unit = f"天津市测试{uuid.uuid4().hex[:8]}人民检察院"
    as_unit = staff(service.settings, unit)  # that unit's own staff
    minors = [suspect(name=f"少年{i}", birth_date="2010-06-01") for i in range(8)]
    views = await asyncio.gather(
        *(
            client_post_case(
                service, case(m, procuratorate_unit=unit, district="蓟州区"), headers=as_unit
            )
            for m in minors
        )
    )
    responses = await asyncio.gather(
        *(
            service.client.post(
                f"/cases/{view['case_id']}/suspects/{m['suspect_id']}/defense-decision",
                json={"choice": "no_counsel", "decided_at": "2026-03-03T10:00:00+08:00"},
                headers=as_unit,
            )
            for view, m in zip(views, minors, strict=True)
        )
    )
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    numbers = []
    for view, response in zip(views, responses, strict=True):
        notice = (
            await service.client.get(
                f"/cases/{view['case_id']}/notices/{response.json()['notice_id']}",
                headers=as_unit,
            )
        ).json()
        numbers.append(notice["letter"]["document_number"])
    assert sorted(n["sequence"] for n in numbers) == list(range(1, 9))
    assert len({n["text"] for n in numbers}) == 8
    assert all(n["text"].startswith(f"{unit}〔2026〕") for n in numbers)


async def client_post_case(
    service: RunningService, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Any:
    response = await service.client.post("/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_assignment_on_application_is_recorded(
    service: RunningService, producer: AIOKafkaProducer
) -> None:
    """`LawyerAssigned` with basis `application` is stored as `appointed_on_application` (a
    value longer than the defender's kind column once was: it was dead-lettered)."""
    client = service.client
    adult = suspect(name="周七")
    created = (await client.post("/cases", json=case(adult, district="河北区"))).json()
    applied = await client.post(
        f"/cases/{created['case_id']}/suspects/{adult['suspect_id']}/defense-decision",
        json={"choice": "apply_for_legal_aid", "decided_by": "suspect"},
    )
    assert applied.status_code == 200, applied.text
    await aid_center(
        service,
        producer,
        created["case_id"],
        LawyerAssigned(
            assignment_id=uuid.uuid4(),
            suspect_id=uuid.UUID(adult["suspect_id"]),
            basis="application",
            application_id=uuid.UUID(applied.json()["legal_aid_application_id"]),
            lawyer=lawyer("孙律师"),
            assigned_at=NOW,
        ),
    )

    async def appointed() -> Any:
        rows = (await client.get("/ledger", params={"status": "appointed_on_application"})).json()[
            "items"
        ]
        return [r for r in rows if r["suspect_id"] == adult["suspect_id"]]

    assert (await eventually(appointed))[0]["current_defender"]["name"] == "孙律师"


async def test_an_application_forwards_the_applicants_form(service: RunningService) -> None:
    """The application form taken with the decision (LAL Art. 41-42) travels to the center in
    `LegalAidApplicationForwarded`; a form with another choice, or 本人 for a relative, is a
    400 naming the field, and nothing is recorded."""
    client = service.client
    adult = suspect(name="吴八")
    created = (await client.post("/cases", json=case(adult, district="河北区"))).json()
    url = f"/cases/{created['case_id']}/suspects/{adult['suspect_id']}/defense-decision"
    form = {
        "applicant_name": "吴父",
        "relationship": "父亲",
        "contact": "13700000008",
        "economic_hardship_statement": "家庭收入微薄",
        "exemption_grounds": ["assistance_recipient"],
        "materials": ["法律援助申请表", "低保证明"],
    }

    wrong_choice = await client.post(url, json={"choice": "no_counsel", "application": form})
    assert wrong_choice.status_code == 400 and at_fault(wrong_choice) == ["#/application"]
    self_for_relative = await client.post(
        url,
        json={
            "choice": "apply_for_legal_aid",
            "decided_by": "close_relative",
            "application": form | {"relationship": "本人"},
        },
    )
    assert at_fault(self_for_relative, 400) == ["#/application/relationship"]
    too_long = await client.post(
        url,
        json={
            "choice": "apply_for_legal_aid",
            "decided_by": "close_relative",
            "application": form | {"applicant_name": "吴" * 101},
        },
    )
    assert too_long.status_code in (400, 422)
    assert at_fault(too_long) == ["#/application/applicant_name"]
    duplicated = await client.post(
        url,
        json={
            "choice": "apply_for_legal_aid",
            "decided_by": "close_relative",
            "application": form | {"exemption_grounds": ["good_samaritan", "good_samaritan"]},
        },
    )
    assert at_fault(duplicated) == ["#/application/exemption_grounds"]
    assert await published(service, created["case_id"], "DefenseDecisionRecorded") == []

    applied = await client.post(
        url,
        json={"choice": "apply_for_legal_aid", "decided_by": "close_relative", "application": form},
    )
    assert applied.status_code == 200, applied.text
    (forwarded,) = await eventually(
        lambda: published(service, created["case_id"], "LegalAidApplicationForwarded")
    )
    payload = forwarded["payload"]
    assert payload["application_id"] == applied.json()["legal_aid_application_id"]
    assert payload["applicant"] == {
        "name": "吴父",
        "contact": "13700000008",
        "relationship": "父亲",
    }
    assert payload["economic_hardship_statement"] == "家庭收入微薄"
    assert payload["exemption_grounds"] == ["assistance_recipient"]
    assert payload["materials"] == ["法律援助申请表", "低保证明"]
