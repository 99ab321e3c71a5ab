"""The defense path's legal errors found in review, each end to end through the real broker
and database: every suspect in the scope reaches a defender, every deadline is kept."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from defense_schemas.events.aid_center import AidTerminated, DutyLawyerAssigned, LawyerAssigned
from tests.infrastructure import RunningService

sys.path.insert(0, str(Path(__file__).parent))
from procuratorate_factories import NOW, aid_center, case, eventually, lawyer, suspect

from tests.problems import at_fault, problem

pytestmark = pytest.mark.integration


async def received(service: RunningService, *people: dict[str, Any], **overrides: Any) -> str:
    response = await service.client.post("/cases", json=case(*people, **overrides))
    assert response.status_code == 201, response.text
    return str(response.json()["case_id"])


async def the_suspect(service: RunningService, case_id: str, position: int = 0) -> Any:
    return (await service.client.get(f"/cases/{case_id}")).json()["suspects"][position]


def open_letter_clocks(got: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in got["clocks"] if c["kind"] == "notice_dispatch" and c["outcome"] is None]


async def test_duty_lawyer_help_then_a_new_ground_brings_the_letter(
    service: RunningService, producer: AIOKafkaProducer
) -> None:
    plain = suspect()
    case_id = await received(service, plain, district="和平区")
    url = f"/cases/{case_id}/suspects/{plain['suspect_id']}"
    decision = await service.client.post(f"{url}/defense-decision", json={"choice": "no_counsel"})
    request_id = decision.json()["duty_lawyer_request_id"]
    await aid_center(
        service,
        producer,
        case_id,
        DutyLawyerAssigned(
            request_id=uuid.UUID(request_id),
            suspect_id=uuid.UUID(plain["suspect_id"]),
            lawyer=lawyer("孙律师"),
            work_station="和平区检察院法律援助工作站",
            mode="on_site",
            assigned_at=NOW,
        ),
    )

    async def duty() -> Any:
        return (await the_suspect(service, case_id))["defense_status"] == "duty_lawyer_only"

    await eventually(duty)
    # A speech disability comes to light: LAL Art. 25(1). Duty-lawyer help is no defender.
    await service.client.patch(url, json={"disabilities": ["speech"]})
    assert open_letter_clocks(await the_suspect(service, case_id))
    again = await service.client.post(f"{url}/defense-decision", json={"choice": "no_counsel"})
    assert again.status_code == 200, again.text
    assert again.json()["notice_id"] is not None
    assert not open_letter_clocks(await the_suspect(service, case_id))


async def test_a_suspect_in_scope_who_never_decides_has_a_letter_clock(
    service: RunningService,
) -> None:
    deaf = suspect(disabilities=["hearing"])
    case_id = await received(service, deaf, district="和平区")
    notified = await service.client.post(
        f"/cases/{case_id}/suspects/{deaf['suspect_id']}/rights-notification",
        json={
            "informed": [{"role": "suspect", "name": "张三"}],
            "notified_at": "2026-03-03T10:00:00+08:00",
        },
    )
    assert notified.status_code == 200, notified.text
    # The procuratorate's rules Art. 42: 3 days from finding the suspect has no defender.
    [clock] = open_letter_clocks(await the_suspect(service, case_id))
    assert (clock["trigger_on"], clock["due_on"]) == ("2026-03-03", "2026-03-06")
    rows = (await service.client.get("/ledger", params={"district": "和平区"})).json()["items"]
    [row] = [r for r in rows if r["suspect_id"] == deaf["suspect_id"]]
    assert row["overdue"] is True  # the test's dates are long past: the gap shows


async def test_defend_self_in_the_decision_is_refused_on_a_legal_aid_law_ground(
    service: RunningService,
) -> None:
    minor = suspect(name="王小明", birth_date="2010-01-01")
    case_id = await received(service, minor)
    refused = await service.client.post(
        f"/cases/{case_id}/suspects/{minor['suspect_id']}/defense-decision",
        json={"choice": "defend_self"},
    )
    assert refused.status_code == 409, refused.text
    assert at_fault(refused) == ["#/choice"]
    assert "CPL Art. 35" in problem(refused)["detail"]
    assert (await the_suspect(service, case_id))["decision"] is None


async def test_admitting_guilt_without_accepting_punishment_is_no_art_2_ground(
    service: RunningService,
) -> None:
    admits = suspect(pleads_guilty=False, admits_guilt=True)
    case_id = await received(service, admits, suspect(name="李四"))
    assert (await the_suspect(service, case_id))["grounds"] == []
    assert (await the_suspect(service, case_id, 1))["grounds"] == []
    denies = suspect(pleads_guilty=False, admits_guilt=False)
    case_id = await received(service, denies, suspect(name="李四"))
    assert (await the_suspect(service, case_id, 1))["grounds"] == ["guilt_not_admitted"]


async def test_expedited_period_runs_from_receipt_and_not_for_a_minor(
    service: RunningService,
) -> None:
    pleads = suspect(custody_status="bail")
    case_id = await received(service, pleads, district="和平区")
    applied = await service.client.post(
        f"/cases/{case_id}/expedited-procedure",
        json={
            "suspect_ids": [pleads["suspect_id"]],
            "decided_at": "2026-03-09T10:00:00+08:00",
        },
    )
    assert applied.status_code == 200, applied.text
    # Received Mon 03-02: 10 days (a likely sentence of a year or less) end Thu 03-12.
    assert applied.json()["review_deadline"] == {
        "due_on": "2026-03-12",
        "provisional": False,
        "missing_years": [],
    }
    # The review period's clock moved with the case's last day: one day everywhere.
    view = (await service.client.get(f"/cases/{case_id}")).json()
    [review_clock] = [c for c in view["case_clocks"] if c["outcome"] is None]
    assert review_clock["kind"] == "review_period" and review_clock["due_on"] == "2026-03-12"

    minor = suspect(birth_date="2010-01-01")
    case_id = await received(service, minor, district="和平区")
    refused = await service.client.post(
        f"/cases/{case_id}/expedited-procedure", json={"suspect_ids": [minor["suspect_id"]]}
    )
    assert refused.status_code == 409 and "minor" in problem(refused)["detail"]


async def test_a_detained_suspects_review_period_does_not_roll_over_national_day(
    service: RunningService,
) -> None:
    at = "2026-09-01T09:00:00+08:00"
    detained = await received(service, suspect(), district="和平区", received_at=at)
    at_liberty = await received(
        service, suspect(custody_status="bail"), district="和平区", received_at=at
    )
    # One month from 09-01 is 10-01, National Day (CPL Art. 105 proviso for custody).
    view = (await service.client.get(f"/cases/{detained}")).json()
    assert view["review_deadline"]["due_on"] == "2026-10-01"
    liberty_view = (await service.client.get(f"/cases/{at_liberty}")).json()
    assert liberty_view["review_deadline"]["due_on"] > "2026-10-07"


async def test_renotification_after_dismissal_carries_the_first_letters_materials(
    service: RunningService, producer: AIOKafkaProducer
) -> None:
    minor = suspect(name="王小明", birth_date="2010-01-01")
    case_id = await received(service, minor)
    url = f"/cases/{case_id}/suspects/{minor['suspect_id']}"
    first = await service.client.post(
        f"{url}/defense-decision",
        json={"choice": "no_counsel", "materials": ["起诉意见书", "证据目录"]},
    )
    notice_id = first.json()["notice_id"]
    assignment_id = uuid.uuid4()
    await aid_center(
        service,
        producer,
        case_id,
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
        return (await the_suspect(service, case_id))["defense_status"] == "appointed_on_notice"

    await eventually(appointed)
    retained = await service.client.post(
        f"{url}/private-counsel", json={"counsel": {"name": "钱律师", "contact": "1"}}
    )
    retention_id = retained.json()["retention_id"]
    # Art. 6: aid ends when counsel is retained; never two defenders of different kinds.
    got = await the_suspect(service, case_id)
    assert [d["kind"] for d in got["defenders"] if d["ended_at"] is None] == ["retained"]
    await aid_center(
        service,
        producer,
        case_id,
        AidTerminated(
            assignment_id=assignment_id,
            suspect_id=uuid.UUID(minor["suspect_id"]),
            reason="counsel_retained",
            terminated_at=NOW,
        ),
    )

    async def terminated() -> Any:
        timeline = (await service.client.get(f"/cases/{case_id}/timeline")).json()["items"]
        return any(e["event_type"] == "AidTerminated" for e in timeline)

    await eventually(terminated)
    dismissed = await service.client.post(
        f"{url}/private-counsel/{retention_id}/dismissal", json={}
    )
    assert dismissed.status_code == 200, dismissed.text
    assert dismissed.json()["renotify"] is True
    second = dismissed.json()["notice_id"]
    timeline = (await service.client.get(f"/cases/{case_id}/timeline")).json()["items"]
    [again] = [
        e["payload"]
        for e in timeline
        if e["event_type"] == "DefenseNoticeSent" and e["payload"]["notice_id"] == second
    ]
    assert again["materials"] == ["起诉意见书", "证据目录"]


async def test_letters_go_to_the_registered_center_and_an_unknown_district_is_refused(
    service: RunningService,
) -> None:
    minor = suspect(birth_date="2010-01-01")
    case_id = await received(service, minor)
    sent = await service.client.post(
        f"/cases/{case_id}/suspects/{minor['suspect_id']}/defense-decision",
        json={"choice": "no_counsel"},
    )
    notice = (
        await service.client.get(f"/cases/{case_id}/notices/{sent.json()['notice_id']}")
    ).json()
    assert notice["letter"]["addressee_center"] == "天津市河东区法律援助中心"

    elsewhere = suspect(birth_date="2010-01-01")
    case_id = await received(service, elsewhere, district="某某区")
    refused = await service.client.post(
        f"/cases/{case_id}/suspects/{elsewhere['suspect_id']}/defense-decision",
        json={"choice": "no_counsel"},
    )
    assert refused.status_code == 409 and at_fault(refused) == ["#/district"]


async def test_a_suspect_who_offended_at_17_is_a_minor_on_rest_intake(
    service: RunningService,
) -> None:
    """18 on receipt (2026-03-02), 17 at the offence: LAL Art. 25(1)(1) by age at the offence;
    without the offence date, judged at receipt. A date before birth is a 422 naming it."""
    stated = suspect(birth_date="2008-01-10", offence_date="2025-12-20")
    unstated = suspect(birth_date="2008-01-10")
    case_id = await received(service, stated, unstated, district="和平区")
    got = (await service.client.get(f"/cases/{case_id}")).json()["suspects"]
    grounds = {s["suspect_id"]: s["grounds"] for s in got}
    assert grounds[stated["suspect_id"]] == ["minor"]
    assert grounds[unstated["suspect_id"]] == []

    bad = await service.client.post(
        "/cases", json=case(suspect(birth_date="2008-01-10", offence_date="2007-12-31"))
    )
    assert at_fault(bad, 422)[0].endswith("/offence_date")
