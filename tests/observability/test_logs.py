"""Every service logs JSON lines with its ids, and never personal data."""

from __future__ import annotations

import io
import json
import logging
import uuid
from typing import Any

import pytest

from defense_messaging.log_context import bound
from service_runtime.logs import configure_logging
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
