"""The appointed lawyer reports a ground for ending aid (LAL Art. 48 ¶2) and the center's staff
terminate on it, through the three services on the real broker: the procuratorate is told, and
a minor in the mandatory scope is not left without a defender — the letter is owed again, on
both services' boards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from service_runtime.security.principal import Role
from tests.e2e.platform import running_platform
from tests.e2e.test_deadline_agreement import (
    _appointed_minor,
    _letter_clocks,
    _notifier_letter_clocks,
)
from tests.infrastructure import bearer, eventually

pytestmark = pytest.mark.integration


async def test_a_lawyers_report_terminated_by_staff_reopens_the_minors_letter(
    service_settings: Callable[..., Any],
) -> None:
    async with running_platform(service_settings, "lawyer-report") as platform:
        procuratorate, aid_center = platform.procuratorate.client, platform.aid_center.client
        case_id, suspect_id = await _appointed_minor(platform)
        suspect = (await procuratorate.get(f"/cases/{case_id}")).json()["suspects"][0]
        assignment_id = suspect["current_defender"]["assignment_id"]
        assignment = (await aid_center.get(f"/assignments/{assignment_id}")).json()
        lawyer = bearer(
            platform.aid_center.settings, Role.LAWYER, lawyer_id=assignment["lawyer_id"]
        )

        reported = await aid_center.post(
            f"/assignments/{assignment_id}/termination-reports",
            json={"reason": "recipient_request", "statement": "受援人在会见时明确要求终止法律援助"},
            headers=lawyer,
        )
        assert reported.status_code == 201, reported.text
        decided = await aid_center.post(
            f"/termination-reports/{reported.json()['report_id']}/decision",
            json={"decision": "terminate", "reasons": "受援人有正当理由要求终止法律援助"},
        )
        assert decided.status_code == 200, decided.text

        async def procuratorate_reopened() -> Any:
            got = (await procuratorate.get(f"/cases/{case_id}")).json()["suspects"][0]
            found = _letter_clocks(got["clocks"])
            return len(found) == 2 and found

        async def notifier_reopened() -> Any:
            found = await _notifier_letter_clocks(platform, case_id, suspect_id)
            return len(found) == 2 and found

        await eventually(procuratorate_reopened, what="the procuratorate to owe the letter again")
        await eventually(notifier_reopened, what="the notifier to open the letter clock again")
        ours, theirs = (await procuratorate_reopened())[1], (await notifier_reopened())[1]
        assert ours["subject"] == "termination"
        assert ours["outcome"] is None and theirs["open"] is True
        assert ours["due_on"] == theirs["due_on"]
        timeline = (await procuratorate.get(f"/cases/{case_id}/timeline")).json()["items"]
        assert [e["event_type"] for e in timeline].count("AidTerminated") == 1
