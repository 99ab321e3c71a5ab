"""Every service logs JSON lines with its ids, and never personal data."""

from __future__ import annotations

import io
import json
import logging
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from defense_messaging.log_context import bound
from service_runtime.logs import configure_logging
from tests.messaging.test_hostile_messages import running_probe  # noqa: F401
from tests.observability.conftest import WorkedPlatform


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_a_line_carries_the_service_the_replica_and_the_ids_bound_where_it_was_logged() -> None:
    out = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("aid_center", "pod-7", "INFO", stream=out)
        logging.getLogger("aid_center.x").debug("not at INFO")
        with bound(request_id="r-1", case_id=uuid.UUID(int=1)):
            logging.getLogger("aid_center.x").info("assigned %s", "a lawyer")
        logging.getLogger("uvicorn.error").warning("uvicorn says")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("aid_center.x").exception("failed")
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    first, uvicorn, failed = _lines(out.getvalue())
    assert {key: first[key] for key in ("level", "service", "replica", "logger", "message")} == {
        "level": "INFO",
        "service": "aid_center",
        "replica": "pod-7",
        "logger": "aid_center.x",
        "message": "assigned a lawyer",
    }
    assert (first["request_id"], first["case_id"]) == ("r-1", str(uuid.UUID(int=1)))
    assert first["ts"].endswith("+00:00")
    assert (uvicorn["logger"], uvicorn["level"], uvicorn["service"]) == (
        "uvicorn.error",
        "WARNING",
        "aid_center",
    )
    assert "request_id" not in uvicorn  # bound only inside the block
    assert "ValueError: boom" in failed["exception"]


pytestmark_integration = pytest.mark.integration

# Everything personal the end-to-end run sends: the suspect's and guardian's names and
# contacts, the place of detention, the lawyer's name, licence and phone, the prosecutor's.
PERSONAL = (
    "王小明",
    "王大明",
    "022-12345678",
    "13800000000",
    "天津市河东区看守所",
    "赵律师",
    "11201200000001",
    "13900000001",
    "李检察官",
    "022-87654321",
)


@pytestmark_integration
async def test_the_end_to_end_run_logs_json_with_ids_and_no_personal_data(
    worked: WorkedPlatform,
) -> None:
    procuratorate = worked.platform.procuratorate.client
    response = await procuratorate.get(
        f"/cases/{worked.case_id}", headers={"X-Request-ID": "obs-check-0001"}
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "obs-check-0001"
    minted = (await procuratorate.get("/health", headers={"X-Request-ID": "bad id\t"})).headers
    assert minted["x-request-id"] != "bad id\t" and len(minted["x-request-id"]) == 32

    text = worked.logs.getvalue()
    lines = _lines(text)  # every line is one JSON object
    assert [word for word in PERSONAL if word in text] == []

    access = [line for line in lines if line["logger"] == "defense.access"]
    assert {line["service"] for line in access} == {"procuratorate", "aid-center", "notifier"}
    mine = [line for line in access if line.get("request_id") == "obs-check-0001"]
    assert [(m["http"]["route"], m["http"]["status"], m["case_id"]) for m in mine] == [
        ("/cases/{case_id}", 200, worked.case_id)
    ]
    assert all(str(worked.case_id) not in line["message"] for line in access)


async def test_each_handled_event_binds_its_ids_for_the_handlers_log_lines() -> None:
    from defense_messaging import PerEventHandlers
    from defense_messaging.log_context import current
    from defense_schemas import Envelope
    from tests.messaging import probe

    seen: list[dict[str, str]] = []

    async def handler(session: Any, envelope: Envelope, event: Any) -> None:
        seen.append(dict(current()))

    first, second = (
        Envelope.for_event(probe.decision(note), case_id=uuid.uuid4(), producer="procuratorate")
        for note in ("a", "b")
    )
    applier = PerEventHandlers({type(probe.decision("x")): handler})
    with bound(service="probe"):
        await applier.apply(None, [(first, probe.decision("a")), (second, probe.decision("b"))])
    assert [(s["service"], s["event_id"], s["case_id"]) for s in seen] == [
        ("probe", str(first.event_id), str(first.case_id)),
        ("probe", str(second.event_id), str(second.case_id)),
    ]
    assert seen[0]["correlation_id"] == str(first.correlation_id)
    assert current() == {}


@pytestmark_integration
async def test_a_handlers_exception_quoting_personal_data_stays_out_of_logs_and_dlq_headers(
    running_probe: Any,  # noqa: F811
) -> None:
    """A handler (a parser, a library) fails with a message that quotes the event's personal
    field. The batch it came in falls back, the handler is retried and the event dead-lettered:
    no log line and no header of the Kafka copy holds the value; the sealed row has it whole,
    and every line about the event names it by id."""
    from defense_messaging.dead_letters import opened_error
    from defense_schemas import dead_letter_topic
    from service_runtime.logs import JsonFormatter
    from tests.infrastructure import eventually, read_topic
    from tests.messaging.probe import platform
    from tests.messaging.test_delivery_guarantees import _envelope
    from tests.messaging.test_hostile_messages import _applied, _filed, _send

    personal = "王小明 13800000000"
    settings = running_probe.settings
    topic = settings.topic_procuratorate
    case_id = uuid.uuid4()
    failing = _envelope(f"unparseable:{personal}", case_id)
    good = _envelope("fine", case_id)  # same case, same partition: one poll, one batch
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter("probe", "replica-1"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        await _send(
            settings,
            topic,
            [(failing.key, failing.to_bytes(), []), (good.key, good.to_bytes(), [])],
            linger_ms=200,  # both in one produce request, so the consumer polls them together
        )
        await eventually(lambda: _filed(running_probe, 1), what="the dead letter")
        await eventually(lambda: _applied(running_probe, good), what="the event after it")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)

    text = out.getvalue()
    assert personal not in text and "13800000000" not in text
    lines = _lines(text)
    failed = [line for line in lines if line["message"].startswith("handler failed")]
    assert len(failed) == 1
    assert failed[0]["event_id"] == str(failing.event_id)
    assert failed[0]["case_id"] == str(case_id)
    assert "ValueError [message withheld" in failed[0]["message"]
    assert "Traceback" in failed[0]["exception"] and "probe.py" in failed[0]["exception"]
    retries = [line for line in lines if line["message"].startswith(f"applying {topic}")]
    assert retries and {line.get("event_id") for line in retries} == {str(failing.event_id)}

    dead = platform.messaging.dead_letters
    async with running_probe.runtime.sessions() as session:
        row = (await session.execute(sa.select(dead))).mappings().one()
        assert personal in opened_error(session, row), "the sealed row keeps the full reason"
    records = await read_topic(
        settings.kafka_bootstrap_servers, dead_letter_topic(topic), until=lambda r: len(r) >= 1
    )
    headers = {name: raw.decode() for name, raw in records[0].headers}
    assert not [name for name, value in headers.items() if "13800000000" in value]
    assert "dlq.error" not in headers
    assert headers["dlq.error_kind"] == "handler_error"
    assert headers["dlq.reason"] == "the handler kept failing (ValueError)"
    assert headers["dlq.dead_letter_id"] == str(row["id"])


async def test_a_unit_of_work_batch_binds_each_events_ids_while_its_handler_runs() -> None:
    """The consumer hands a whole transaction's events to the applier at once; each handler's
    log lines must still name its own event, not none (nor the batch's first)."""
    from types import SimpleNamespace

    from defense_messaging.log_context import current
    from defense_schemas import Envelope
    from service_runtime.unit_of_work import HandlersInUnitOfWork
    from tests.messaging import probe

    seen: list[dict[str, str]] = []

    async def handler(uow: Any, envelope: Envelope, event: Any) -> None:
        seen.append(dict(current()))

    async def flush() -> None:
        return None

    uow = SimpleNamespace(flush=flush, audit=SimpleNamespace(flush=flush))
    runtime = SimpleNamespace(
        definition=SimpleNamespace(
            unit_of_work=SimpleNamespace(joining=lambda *_, **__: uow),
        )
    )
    events = [
        (Envelope.for_event(e, case_id=uuid.uuid4(), producer="procuratorate"), e)
        for e in (probe.decision("a"), probe.decision("b"))
    ]
    applier = HandlersInUnitOfWork(runtime, {type(events[0][1]): handler})  # type: ignore[arg-type]
    await applier.apply(None, events)  # type: ignore[arg-type]
    assert [(s["event_id"], s["case_id"]) for s in seen] == [
        (str(envelope.event_id), str(envelope.case_id)) for envelope, _ in events
    ]
    assert current() == {}
