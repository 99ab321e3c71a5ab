"""A calendar year published by the procuratorate, applied by one replica's consumer, reaches
the other replica too and recounts provisional clocks."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest

from defense_schemas import examples as ex
from defense_schemas.events import procuratorate as pr
from defense_schemas.vocabulary import ReceiptKind
from notifier.service import create_app
from tests.infrastructure import operator, run_service

from .helpers import eventually, publish, wrap

pytestmark = pytest.mark.integration


async def test_a_year_loaded_on_one_replica_recounts_provisional_clocks_on_every_replica(
    notifier_settings: Callable[..., Any], tmp_path: Any
) -> None:
    settings = await notifier_settings("calendar", sms_file_path=tmp_path / "sms.jsonl")
    case_id = uuid4()
    async with contextlib.AsyncExitStack() as stack:
        first = await stack.enter_async_context(run_service(create_app(settings), settings))
        second = await stack.enter_async_context(run_service(create_app(settings), settings))
        for replica in (first, second):
            replica.client.headers.update(operator(settings))
        # Received on Wednesday 30 December 2026: the rights notification is due on the third
        # day, Saturday 2 January 2027 — a year the bundled calendar does not have.
        received = pr.CaseReceived(
            **dict(ex.CASE),
            receipt_kind=ReceiptKind.TRANSFER,
            received_at=datetime(2026, 12, 30, 2, 0, tzinfo=UTC),
            review_deadline=datetime(2027, 1, 29).date(),
            pilot_district=True,
            prosecutor=ex.PROSECUTOR,
        )
        await publish(
            settings.kafka_bootstrap_servers,
            settings.topic_procuratorate,
            [wrap(received, case_id, "procuratorate")],
        )

        async def rights_clock() -> dict[str, Any]:
            board = (await second.client.get("/clocks", params={"case_id": str(case_id)})).json()[
                "items"
            ]
            found = [c for c in board if c["kind"] == "rights_notification"]
            return found[0] if found else {}

        guessed = await eventually(rights_clock, lambda clock: bool(clock))
        assert guessed["provisional"] is True
        assert guessed["due_on"] == "2027-01-04"  # Sat -> Mon, guessed from weekends

        # The official 2027 calendar (here: 1–4 January off) is loaded at the procuratorate,
        # which keeps the platform's calendar; the notifier takes no load of its own.
        year = {
            "year": 2027,
            "holidays": ["2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04"],
            "makeup_workdays": [],
            "source": "test",
        }
        refused = await first.client.put("/ops/calendar/2027", json=year)
        assert refused.status_code == 409, refused.text
        loaded = pr.LegalCalendarYearLoaded(
            year=2027,
            holidays=tuple(date.fromisoformat(day) for day in year["holidays"]),
            source="test",
            revision=1,
            loaded_at=datetime.now(UTC),
        )
        # One replica's consumer stores it; its NOTIFY makes the other reload and recount too.
        await publish(
            settings.kafka_bootstrap_servers,
            settings.topic_procuratorate,
            [wrap(loaded, pr.legal_calendar_key(2027), "procuratorate")],
        )

        async def second_knows_2027() -> list[int]:
            return [y["year"] for y in (await second.client.get("/ops/calendar")).json()["items"]]

        await eventually(second_knows_2027, lambda years: 2027 in years)
        settled = await eventually(rights_clock, lambda clock: clock.get("provisional") is False)
        assert settled["due_on"] == "2027-01-05"
