"""How many SQL statements the pipeline's three requests cost: the case received, the rights
notification and the decision that sends the letter. Each statement is a round trip to
PostgreSQL under the request's locks; the counts are pinned so they cannot grow back
unnoticed."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.sql.cache_key import HasCacheKey

from defense_schemas import Envelope
from defense_schemas.events.aid_center import LawyerAssigned, NoticeAccepted
from defense_schemas.events.common import DocumentNumber
from procuratorate.handlers import event_handlers
from tests.infrastructure import RunningService

sys.path.insert(0, str(Path(__file__).parent))
from procuratorate_factories import NOW, case, lawyer, suspect

pytestmark = pytest.mark.integration


@contextmanager
def statements_of_this_task(service: RunningService) -> Iterator[list[str]]:
    """The statements sent while the block runs by the current task (the in-process request:
    the relay, the consumer and the audit log's group writer run in tasks of their own)."""
    seen: list[str] = []
    task = asyncio.current_task()
    engine = service.runtime.engine.sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if asyncio.current_task() is task:
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


@contextmanager
def statements_built_in_this_task(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The statements whose cache key SQLAlchemy computed while the block ran, in the current
    task: one for every statement built for the occasion (a statement built once and kept
    computes its key once, at its first execution). Building a statement and walking it for
    its key cost the procuratorate more CPU than PostgreSQL's answer."""
    built: list[str] = []
    task = asyncio.current_task()
    compute = HasCacheKey._generate_cache_key

    def counted(self: HasCacheKey) -> Any:
        if asyncio.current_task() is task:
            built.append(" ".join(str(self).split())[:70])
        return compute(self)

    monkeypatch.setattr(HasCacheKey, "_generate_cache_key", counted)
    try:
        yield built
    finally:
        monkeypatch.setattr(HasCacheKey, "_generate_cache_key", compute)


async def test_the_pipeline_requests_statement_counts(service: RunningService) -> None:
    suspect_id = str(uuid.uuid4())
    with statements_of_this_task(service) as received:
        created = await service.client.post(
            "/cases",
            json=case(
                suspect(
                    suspect_id=suspect_id,
                    birth_date="2010-01-01",
                    guardian={"name": "张大", "relationship": "父亲", "contact": "13800000000"},
                )
            ),
        )
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    with statements_of_this_task(service) as notified:
        response = await service.client.post(
            f"/cases/{case_id}/suspects/{suspect_id}/rights-notification",
            json={
                "informed": [
                    {"role": "suspect", "name": "张三"},
                    {"role": "guardian", "name": "张大"},
                ],
                "notified_at": (NOW + timedelta(minutes=10)).isoformat(),
            },
        )
    assert response.status_code == 200, response.text
    with statements_of_this_task(service) as decided:
        response = await service.client.post(
            f"/cases/{case_id}/suspects/{suspect_id}/defense-decision",
            json={"choice": "no_counsel", "materials": ["起诉意见书"]},
        )
    assert response.status_code in (200, 201), response.text
    notice_id = uuid.UUID(response.json()["notice_id"])
    # The aid center's answer, as the consumer applies a poll's records: one transaction.
    events = [
        NoticeAccepted(
            notice_id=notice_id,
            suspect_id=uuid.UUID(suspect_id),
            received_at=NOW,
            accepted_at=NOW,
        ),
        LawyerAssigned(
            assignment_id=uuid.uuid4(),
            suspect_id=uuid.UUID(suspect_id),
            basis="notice",
            notice_id=notice_id,
            lawyer=lawyer(),
            assigned_at=NOW,
            document_number=DocumentNumber.of("津河东援函", 2026, 3),
        ),
    ]
    applied = [
        (Envelope.for_event(event, case_id=uuid.UUID(case_id), producer="aid-center"), event)
        for event in events
    ]
    runtime = service.runtime
    with statements_of_this_task(service) as consumed:
        async with runtime.sessions() as session, session.begin():
            await event_handlers(runtime).apply(session, applied)
    counts = {
        "case": len(received),
        "rights": len(notified),
        "decision": len(decided),
        "aid center's answer": len(consumed),
    }
    assert counts == {"case": 10, "rights": 9, "decision": 10, "aid center's answer": 16}, (
        "\n".join(
            [
                str(counts),
                *(
                    " ".join(text.split())[:120]
                    for text in received + notified + decided + consumed
                ),
            ]
        )
    )


async def test_a_new_cases_view_is_the_one_read_back(service: RunningService) -> None:
    """POST /cases answers with the rows it wrote instead of reading them again: the answer
    must be what GET shows."""
    created = await service.client.post("/cases", json=case(suspect(), suspect(name="李四")))
    assert created.status_code == 201, created.text
    read = await service.client.get(f"/cases/{created.json()['case_id']}")
    assert read.status_code == 200, read.text
    assert created.json() == read.json()


async def test_the_pipeline_requests_build_few_statements(
    service: RunningService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The statements a request sends on every call are built once and kept; what is still
    built per request is pinned, so per-request construction cannot creep back unnoticed."""
    # The first request of each kind builds the kept statements' keys: warm up on another
    # suspect first.
    await _aid_centers_answer(service, *await _three_requests(service, {}))
    built: dict[str, list[str]] = {}
    answered = await _three_requests(service, built, monkeypatch)
    with statements_built_in_this_task(monkeypatch) as built["aid center's answer"]:
        await _aid_centers_answer(service, *answered)
    counts = {step: len(names) for step, names in built.items()}
    assert counts == {"case": 0, "rights": 0, "decision": 0, "aid center's answer": 0}, built


async def _three_requests(
    service: RunningService,
    built: dict[str, list[str]],
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> tuple[str, str, str]:
    """The three requests for a new suspect; returns the case, suspect and letter ids."""

    def watch(step: str) -> Any:
        if monkeypatch is None:
            return nullcontext([])
        return statements_built_in_this_task(monkeypatch)

    suspect_id = str(uuid.uuid4())
    body = case(
        suspect(
            suspect_id=suspect_id,
            birth_date="2010-01-01",
            guardian={"name": "张大", "relationship": "父亲", "contact": "13800000000"},
        )
    )
    with watch("case") as built["case"]:
        created = await service.client.post("/cases", json=body)
    assert created.status_code == 201, created.text
    url = f"/cases/{created.json()['case_id']}/suspects/{suspect_id}"
    rights = {
        "informed": [{"role": "suspect", "name": "张三"}, {"role": "guardian", "name": "张大"}],
        "notified_at": (NOW + timedelta(minutes=10)).isoformat(),
    }
    with watch("rights") as built["rights"]:
        response = await service.client.post(f"{url}/rights-notification", json=rights)
    assert response.status_code == 200, response.text
    decision = {"choice": "no_counsel", "materials": ["起诉意见书"]}
    with watch("decision") as built["decision"]:
        response = await service.client.post(f"{url}/defense-decision", json=decision)
    assert response.status_code in (200, 201), response.text
    return created.json()["case_id"], suspect_id, response.json()["notice_id"]


async def _aid_centers_answer(
    service: RunningService, case_id: str, suspect_id: str, notice_id: str
) -> None:
    """The letter accepted and a lawyer assigned, applied as the consumer applies a poll."""
    events = [
        NoticeAccepted(
            notice_id=uuid.UUID(notice_id),
            suspect_id=uuid.UUID(suspect_id),
            received_at=NOW,
            accepted_at=NOW,
        ),
        LawyerAssigned(
            assignment_id=uuid.uuid4(),
            suspect_id=uuid.UUID(suspect_id),
            basis="notice",
            notice_id=uuid.UUID(notice_id),
            lawyer=lawyer(),
            assigned_at=NOW,
            document_number=DocumentNumber.of("津河东援函", 2026, 3),
        ),
    ]
    applied = [
        (Envelope.for_event(event, case_id=uuid.UUID(case_id), producer="aid-center"), event)
        for event in events
    ]
    async with service.runtime.sessions() as session, session.begin():
        await event_handlers(service.runtime).apply(session, applied)
