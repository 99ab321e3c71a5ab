"""The defense lawyer reads the procedural information of their own suspects (Measures Art. 10,
§三 信息共享): the case view, the timeline and the deadlines, read-only, through the real
database and broker. Another suspect of the same case, another lawyer's case, a lawyer whose
appointment ended: not found, exactly as another unit's case is to staff."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from defense_schemas.events.aid_center import AidTerminated, LawyerAssigned
from defense_schemas.events.common import Lawyer
from service_runtime.security.principal import Role
from tests.infrastructure import RunningService, bearer

sys.path.insert(0, str(Path(__file__).parent))
from procuratorate_factories import NOW, aid_center, case, eventually, lawyer, suspect

pytestmark = pytest.mark.integration


def as_lawyer(service: RunningService, lawyer_id: Any) -> dict[str, str]:
    return bearer(service.settings, Role.LAWYER, lawyer_id=str(lawyer_id))


async def appointed_case(
    service: RunningService, producer: AIOKafkaProducer
) -> tuple[str, dict[str, Any], dict[str, Any], Lawyer, uuid.UUID]:
    """Two minors of one case, each with a letter; a lawyer appointed for the first only."""
    defended = suspect(name="王小明", birth_date="2010-01-01")
    other = suspect(name="李小红", birth_date="2010-02-02", id_number="120102201002021234")
    response = await service.client.post("/cases", json=case(defended, other))
    assert response.status_code == 201, response.text
    case_id = str(response.json()["case_id"])
    notices = {}
    for person in (defended, other):
        decided = await service.client.post(
            f"/cases/{case_id}/suspects/{person['suspect_id']}/defense-decision",
            json={"choice": "no_counsel"},
        )
        assert decided.status_code == 200, decided.text
        notices[person["suspect_id"]] = decided.json()["notice_id"]
    appointed, assignment_id = lawyer("赵律师"), uuid.uuid4()
    await aid_center(
        service,
        producer,
        case_id,
        LawyerAssigned(
            assignment_id=assignment_id,
            suspect_id=uuid.UUID(defended["suspect_id"]),
            basis="notice",
            notice_id=uuid.UUID(notices[defended["suspect_id"]]),
            lawyer=appointed,
            assigned_at=NOW,
        ),
    )

    async def seen() -> bool:
        view = await service.client.get(f"/cases/{case_id}")
        return bool(view.json()["suspects"][0]["current_defender"])

    await eventually(seen)
    return case_id, defended, other, appointed, assignment_id


async def test_the_appointed_lawyer_reads_their_suspect_and_nobody_else(
    service: RunningService, producer: AIOKafkaProducer
) -> None:
    case_id, defended, other, appointed, _ = await appointed_case(service, producer)
    headers = as_lawyer(service, appointed.lawyer_id)

    view = await service.client.get(f"/cases/{case_id}", headers=headers)
    assert view.status_code == 200, view.text
    got = view.json()
    assert [s["suspect_id"] for s in got["suspects"]] == [defended["suspect_id"]]
    assert got["suspects"][0]["current_defender"]["name"] == "赵律师"
    assert got["review_deadline"]["due_on"]
    assert {n["suspect_id"] for n in got["notices"]} == {defended["suspect_id"]}
    assert "李小红" not in view.text and other["suspect_id"] not in view.text

    one = await service.client.get(
        f"/cases/{case_id}/suspects/{defended['suspect_id']}", headers=headers
    )
    assert one.status_code == 200 and one.json()["clocks"], one.text

    timeline = await service.client.get(f"/cases/{case_id}/timeline", headers=headers)
    assert timeline.status_code == 200, timeline.text
    entries = timeline.json()["items"]
    types = {e["event_type"] for e in entries}
    assert {"DefenseNoticeSent", "LawyerAssigned"} <= types
    # CaseReceived carries every suspect's particulars: not the lawyer's to read.
    assert "CaseReceived" not in types
    assert {e["suspect_id"] for e in entries} <= {defended["suspect_id"], None}
    assert "李小红" not in timeline.text and other["suspect_id"] not in timeline.text

    # The co-suspect is not found, as another unit's case is not found by staff.
    theirs = await service.client.get(
        f"/cases/{case_id}/suspects/{other['suspect_id']}", headers=headers
    )
    assert theirs.status_code == 404, theirs.text


async def test_a_case_decision_about_the_lawyers_suspect_is_on_their_timeline(
    service: RunningService, producer: AIOKafkaProducer
) -> None:
    case_id, defended, other, appointed, _ = await appointed_case(service, producer)
    headers = as_lawyer(service, appointed.lawyer_id)
    extended = await service.client.post(
        f"/cases/{case_id}/procedural-decisions", json={"kind": "extension"}
    )
    assert extended.status_code in (200, 201), extended.text
    returned_other = await service.client.post(
        f"/cases/{case_id}/procedural-decisions",
        json={"kind": "non_prosecution", "suspect_ids": [other["suspect_id"]]},
    )
    assert returned_other.status_code in (200, 201), returned_other.text
    timeline = await service.client.get(f"/cases/{case_id}/timeline", headers=headers)
    decisions = [e for e in timeline.json()["items"] if e["event_type"] == "ProceduralDecisionMade"]
    # The extension concerns every suspect; the other suspect's non-prosecution is theirs.
    assert [d["payload"]["kind"] for d in decisions] == ["extension"]
    assert decisions[0]["payload"]["suspect_ids"] == [defended["suspect_id"]]
    assert other["suspect_id"] not in timeline.text


async def test_another_lawyer_and_an_ended_appointment_find_nothing(
    service: RunningService, producer: AIOKafkaProducer
) -> None:
    case_id, defended, _, appointed, assignment_id = await appointed_case(service, producer)
    for stranger in (uuid.uuid4(), "not-a-uuid"):
        headers = as_lawyer(service, stranger)
        for path in ("", "/timeline", f"/suspects/{defended['suspect_id']}"):
            response = await service.client.get(f"/cases/{case_id}{path}", headers=headers)
            assert response.status_code == 404, (stranger, path, response.text)
            assert "王小明" not in response.text

    headers = as_lawyer(service, appointed.lawyer_id)
    # Read-only: the lawyer records nothing at the procuratorate through these routes.
    write = await service.client.patch(
        f"/cases/{case_id}/suspects/{defended['suspect_id']}",
        json={"pleads_guilty": False},
        headers=headers,
    )
    assert write.status_code == 403, write.text
    # Listing finds the lawyer's own case only, with their suspect only.
    listing = await service.client.get("/cases", headers=headers)
    assert listing.status_code == 200, listing.text
    assert [
        (c["case_id"], [s["suspect_id"] for s in c["suspects"]]) for c in listing.json()["items"]
    ] == [(case_id, [defended["suspect_id"]])]
    assert "李小红" not in listing.text

    await aid_center(
        service,
        producer,
        case_id,
        AidTerminated(
            assignment_id=assignment_id,
            suspect_id=uuid.UUID(defended["suspect_id"]),
            reason="counsel_retained",
            terminated_at=NOW,
        ),
    )

    async def ended() -> bool:
        response = await service.client.get(f"/cases/{case_id}", headers=headers)
        return response.status_code == 404

    await eventually(ended)
    assert (await service.client.get("/cases", headers=headers)).json()["items"] == []


async def test_retained_counsel_linked_to_a_lawyer_account_reads_their_suspect_only(
    service: RunningService,
) -> None:
    """Retained counsel is a defense lawyer as much as an appointed one (CPL Art. 40): staff who
    record the retention may name the counsel's account, which then reads that suspect's
    procedural information, until the counsel is dismissed. Counsel recorded without an
    account gives nobody access."""
    client = service.client
    defended, other = suspect(name="钱委托"), suspect(name="孙同案")
    created = await client.post("/cases", json=case(defended, other))
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    account = uuid.uuid4()
    url = f"/cases/{case_id}/suspects/{defended['suspect_id']}/private-counsel"
    counsel = {"name": "周律师", "law_firm": "某所", "contact": "13700000000"}
    retained = await client.post(url, json={"counsel": counsel, "lawyer_id": str(account)})
    assert retained.status_code == 200, retained.text
    unlinked = await client.post(
        f"/cases/{case_id}/suspects/{other['suspect_id']}/private-counsel",
        json={"counsel": {**counsel, "name": "吴律师"}},
    )
    assert unlinked.status_code == 200, unlinked.text

    seen = await client.get(f"/cases/{case_id}", headers=as_lawyer(service, account))
    assert seen.status_code == 200, seen.text
    assert [s["name"] for s in seen.json()["suspects"]] == ["钱委托"]
    assert "孙同案" not in seen.text
    co_suspect = await client.get(
        f"/cases/{case_id}/suspects/{other['suspect_id']}", headers=as_lawyer(service, account)
    )
    assert co_suspect.status_code == 404
    # The lawyer's own cases: this one, with their suspect only; another lawyer finds none.
    mine = await client.get("/cases", headers=as_lawyer(service, account))
    assert mine.status_code == 200, mine.text
    assert [(c["case_id"], [s["name"] for s in c["suspects"]]) for c in mine.json()["items"]] == [
        (case_id, ["钱委托"])
    ]
    assert "孙同案" not in mine.text
    nobody = await client.get("/cases", headers=as_lawyer(service, uuid.uuid4()))
    assert nobody.status_code == 200 and nobody.json()["items"] == []

    dismissed = await client.post(f"{url}/{retained.json()['retention_id']}/dismissal", json={})
    assert dismissed.status_code == 200, dismissed.text
    gone = await client.get(f"/cases/{case_id}", headers=as_lawyer(service, account))
    assert gone.status_code == 404
    none_left = await client.get("/cases", headers=as_lawyer(service, account))
    assert none_left.json()["items"] == []


async def test_a_malformed_counsel_account_is_named(service: RunningService) -> None:
    person = suspect(name="郑格式")
    created = await service.client.post("/cases", json=case(person))
    response = await service.client.post(
        f"/cases/{created.json()['case_id']}/suspects/{person['suspect_id']}/private-counsel",
        json={"counsel": {"name": "王律师", "contact": "1"}, "lawyer_id": "not-a-uuid"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["pointer"] == "#/lawyer_id"
