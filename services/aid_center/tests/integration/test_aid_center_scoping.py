"""One deployment, several centers: a center's staff see and act on the notices, applications
and assignments addressed to their own center only; another center's are a 404 (their
existence is not disclosed) and left out of lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from defense_schemas.events.aid_center import LawyerAssigned
from defense_schemas.examples import CENTER
from service_runtime.security.principal import Role
from services.aid_center.tests.integration.center import running_center
from services.aid_center.tests.integration.test_aid_center_flow import (
    add_firm,
    add_lawyer,
    new_case,
    notice_for,
)
from tests.infrastructure import bearer

pytestmark = pytest.mark.integration

OTHER_CENTER = "天津市西青区法律援助中心"


async def test_each_center_sees_and_acts_on_its_own_cases_only(
    service_settings: Callable[..., Any],
) -> None:
    async with running_center(service_settings, "aid-scope") as center:
        firm = await add_firm(center, "天津丙律师事务所")
        await add_lawyer(center, firm, "S001")
        await add_lawyer(center, firm, "S002")
        ours, theirs = [], []
        for addressee, kept in ((CENTER, ours), (OTHER_CENTER, theirs)):
            case_id, received, (adult, _) = new_case()
            await center.publish(received, case_id)
            notice = notice_for(adult, minor=False)
            notice = notice.model_copy(
                update={"letter": notice.letter.model_copy(update={"addressee_center": addressee})}
            )
            await center.publish(notice, case_id)
            assigned: LawyerAssigned = await center.log.first(
                case_id, LawyerAssigned, notice_id=notice.notice_id
            )
            kept.append((case_id, notice.notice_id, assigned.assignment_id))

        other = bearer(center.settings, Role.AID_CENTER_STAFF, agency=OTHER_CENTER)
        (our_case, our_notice, our_assignment) = ours[0]
        (their_case, their_notice, their_assignment) = theirs[0]
        client = center.client  # staff of CENTER

        notices = (await client.get("/notices")).json()["items"]
        assert [n["notice_id"] for n in notices] == [str(our_notice)]
        assert (await client.get(f"/notices/{their_notice}")).status_code == 404
        assert (await client.get(f"/notices/{our_notice}")).status_code == 200
        retried = await client.post(f"/notices/{their_notice}/assignment", json={})
        assert retried.status_code == 404
        listed = (await client.get("/assignments")).json()["items"]
        assert [a["assignment_id"] for a in listed] == [str(our_assignment)]
        assert (await client.get("/assignments", params={"case_id": str(their_case)})).json()[
            "items"
        ] == []
        for path in ("", "/activities", "/quality-reviews"):
            response = await client.get(f"/assignments/{their_assignment}{path}")
            assert response.status_code == 404, (path, response.text)
        replaced = await client.post(
            f"/assignments/{their_assignment}/replacement", json={"reason": "change_of_lawyer"}
        )
        assert replaced.status_code == 404
        overdue = await client.get("/assignments/overdue-meetings", params={"as_of": "2099-01-01"})
        assert {o["assignment_id"] for o in overdue.json()["items"]} == {str(our_assignment)}

        # And the other way round, for the other center's staff.
        theirs_seen = (await client.get("/notices", headers=other)).json()["items"]
        assert [n["notice_id"] for n in theirs_seen] == [str(their_notice)]
        assert (
            await client.get(f"/assignments/{our_assignment}", headers=other)
        ).status_code == 404
        assert (
            await client.get(f"/assignments/{their_assignment}", headers=other)
        ).status_code == 200
        assert our_case != their_case
