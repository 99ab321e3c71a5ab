"""What the bench asks of the platform: a roster, and suspects pushed through the workflow.

The REST bodies are the end-to-end test's (tests/e2e/test_workflow.py): a minor in a pilot
district without counsel, so the procuratorate must send a notice of defense and the aid center
must appoint a juvenile specialist. One case per suspect spreads the cases over the partitions.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

CASES_PER_LAWYER = 100  # the roster's ceiling per lawyer (aid_center api/lawyers.py)


async def build_roster(
    aid_center: httpx.AsyncClient, suspects: int, *, exact: bool = False
) -> None:
    """Enough juvenile specialists that nobody runs out of capacity during the run; with
    ``exact``, places for exactly ``suspects`` (so that over-booking shows as a lawyer over
    capacity)."""
    firm = await aid_center.post("/firms", json={"name": "天津基准律师事务所", "contact": "022-1"})
    firm.raise_for_status()
    firm_id = firm.json()["firm_id"]
    needed = suspects // CASES_PER_LAWYER + 2
    places = [CASES_PER_LAWYER] * needed
    if exact:
        needed = max(2, -(-suspects // CASES_PER_LAWYER))
        places = [suspects // needed + (i < suspects % needed) for i in range(needed)]
    for index in range(needed):
        lawyer = await aid_center.post(
            "/lawyers",
            json={
                "firm_id": firm_id,
                "name": f"基准律师{index}",
                "license_number": f"1120120{index:07d}",
                "contact": f"139{index:08d}",
                "gender": "female",
                "criminal_practice_years": 6,
                "specialties": ["juvenile"],
                "max_concurrent_cases": places[index],
            },
        )
        lawyer.raise_for_status()


def case_body(suspect_id: uuid.UUID, received_at: datetime) -> dict[str, Any]:
    return {
        "transfer_number": f"津公东诉字〔2026〕{uuid.uuid4().hex[:12]}号",
        "transferring_agency": "天津市公安局河东分局",
        "transferring_agency_kind": "public_security",
        "procuratorate_unit": "天津市河东区人民检察院",
        "district": "河东区",
        "charges": ["盗窃罪"],
        "suspects": [
            {
                "suspect_id": str(suspect_id),
                "name": "王小明",
                "birth_date": f"{received_at.year - 16}-01-01",
                "gender": "male",
                "limited_capacity": False,
                "custody_status": "detained",
                "place_of_detention_or_residence": "天津市河东区看守所",
                "contacts": ["022-12345678"],
                "charges": ["盗窃罪"],
                "likely_sentence": "one_year_or_less",
                "pleads_guilty": True,
                "guardian": {"name": "王大明", "relationship": "父亲", "contact": "13800000000"},
            }
        ],
        "major_and_complex": False,
        "social_impact": False,
        "received_at": received_at.isoformat(),
        "prosecutor": {"name": "李检察官", "contact": "022-87654321"},
    }


Post = Callable[[httpx.AsyncClient, str, dict[str, Any]], Awaitable[httpx.Response]]
"""How a workflow step is sent: ``post(client, url, body)`` returns a 2xx answer or raises.
The fault suite passes one that retries through outages."""


def _ok(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 400:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text}")
    return response


async def post_once(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> httpx.Response:
    return _ok(await client.post(url, json=body))


async def receive_and_notify(
    procuratorate: httpx.AsyncClient, post: Post = post_once
) -> tuple[str, str]:
    """Case received and rights notified: the suspect now waits for their decision."""
    suspect_id = uuid.uuid4()
    received_at = datetime.now(UTC) - timedelta(hours=1)
    case = await post(procuratorate, "/cases", case_body(suspect_id, received_at))
    case_id = case.json()["case_id"]
    await post(
        procuratorate,
        f"/cases/{case_id}/suspects/{suspect_id}/rights-notification",
        {
            "informed": [
                {"role": "suspect", "name": "王小明"},
                {"role": "guardian", "name": "王大明"},
            ],
            "notified_at": (received_at + timedelta(minutes=10)).isoformat(),
        },
    )
    return case_id, str(suspect_id)


async def decide_without_counsel(
    procuratorate: httpx.AsyncClient, case_id: str, suspect_id: str, post: Post = post_once
) -> None:
    """No counsel of their own: the procuratorate sends the notice of defense (Art. 3)."""
    await post(
        procuratorate,
        f"/cases/{case_id}/suspects/{suspect_id}/defense-decision",
        {"choice": "no_counsel", "materials": ["起诉意见书"]},
    )


async def whole_workflow(procuratorate: httpx.AsyncClient, post: Post = post_once) -> str:
    case_id, suspect_id = await receive_and_notify(procuratorate, post)
    await decide_without_counsel(procuratorate, case_id, suspect_id, post)
    return suspect_id


async def run_workers(count: int, concurrency: int, work: Any) -> list[Any]:
    """Run ``work()`` ``count`` times with at most ``concurrency`` in flight."""
    results: list[Any] = []
    remaining = iter(range(count))

    async def worker() -> None:
        for _ in remaining:
            results.append(await work())

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results
