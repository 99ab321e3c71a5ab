"""The deadline watch through the broker and the database, across a restart."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import pytest

from defense_schemas import examples as ex
from defense_schemas.events import procuratorate as pr
from defense_schemas.vocabulary import PersonRole, ReceiptKind
from notifier.service import create_app
from notifier.workers.deadlines import scan_deadlines
from service_runtime.unit_of_work import utc_now
from tests.infrastructure import operator, run_service

from .helpers import TopicReader, eventually, publish, wrap

pytestmark = pytest.mark.integration

SH = timezone(timedelta(hours=8))


async def open_clocks(client: Any, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/clocks", params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def deadline_gauges(client: Any) -> dict[tuple[str, str], float]:
    """``(kind, state) → value`` of this unit's ``defense_deadline_clocks`` samples."""
    text = (await client.get("/metrics")).text
    found = {}
    for line in text.splitlines():
        if line.startswith("defense_deadline_clocks{"):
            series, value = line.rsplit(" ", 1)
            labels = dict(re.findall(r'(\w+)="([^"]*)"', series))
            assert labels["agency"] == ex.PROCURATORATE_UNIT
            found[(labels["kind"], labels["state"])] = float(value)
    return found


async def test_restart_with_open_clocks_neither_loses_nor_repeats_an_alert(
    notifier_settings: Callable[..., Any],
) -> None:
    settings = await notifier_settings("watch")
    bootstrap = settings.kafka_bootstrap_servers
    case_id = uuid4()
    received = pr.CaseReceived(
        **dict(ex.CASE),
        receipt_kind=ReceiptKind.TRANSFER,
        received_at=datetime(2026, 3, 2, 15, tzinfo=SH),  # Monday
        review_deadline=date(2026, 4, 2),
        pilot_district=True,
        prosecutor=ex.PROSECUTOR,
    )
    rights_li = pr.RightsNotified(
        suspect_id=ex.LI,
        notified_at=datetime(2026, 3, 3, 10, tzinfo=SH),
        informed=(pr.InformedPerson(role=PersonRole.SUSPECT, name="李某某"),),
        legal_aid_warning_given=True,
    )
    async with run_service(create_app(settings), settings) as svc:
        svc.client.headers.update(operator(settings))  # operators may use every route
        await publish(
            bootstrap,
            settings.topic_procuratorate,
            [wrap(received, case_id, "procuratorate"), wrap(rights_li, case_id, "procuratorate")],
        )
        board = await eventually(
            lambda: open_clocks(svc.client, case_id=str(case_id)),
            lambda clocks: len(clocks) == 2,  # Zhang's rights clock and the review period
        )
        assert [(c["kind"], c["suspect_id"], c["due_on"]) for c in board] == [
            ("rights_notification", str(ex.ZHANG), "2026-03-05"),
            ("review_period", None, "2026-04-02"),
        ]
        assert all(c["overdue"] for c in board)  # the test's dates are long past
        assert board[0]["agency"] == ex.PROCURATORATE_UNIT
        # The board filters by district and agency.
        assert len(await open_clocks(svc.client, case_id=str(case_id), district="河东区")) == 2
        assert await open_clocks(svc.client, case_id=str(case_id), district="西青区") == []
        assert (
            await open_clocks(svc.client, case_id=str(case_id), agency="天津市某律师事务所") == []
        )
        stopped = await open_clocks(svc.client, case_id=str(case_id), include_stopped=True)
        li = next(c for c in stopped if c["suspect_id"] == str(ex.LI))
        assert (li["open"], li["outcome"]) == (False, "met")

        # Paging the board across midnight: on the review period's last day, Zhang's clock is
        # overdue, Li's stopped and the review period due today; a client reads two pages, the
        # day turns (the review period is overdue now), it reads on. Each clock once.
        seen = []
        cursor = None
        for day in (2, 2, 3, 3):
            moment = datetime(2026, 4, day, 23 if day == 2 else 0, 30, tzinfo=SH)
            svc.runtime.clock = lambda moment=moment: moment
            params: dict[str, Any] = {"case_id": str(case_id), "include_stopped": True, "limit": 1}
            if cursor is not None:
                params["cursor"] = cursor
            page = await svc.client.get("/clocks", params=params)
            assert page.status_code == 200, page.text
            seen += [c["clock_id"] for c in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(c["clock_id"] for c in stopped)
        svc.runtime.clock = utc_now

        # The day before Zhang's due day: one reminder, for the open clock only.
        result = await scan_deadlines(svc.runtime, datetime(2026, 3, 4, 9, tzinfo=SH))
        assert len(result.approaching) == 1 and result.breached == []
        zhang_clock = result.approaching[0]
        assert await deadline_gauges(svc.client) == {
            ("rights_notification", "approaching"): 1,
            ("review_period", "open"): 1,
        }

    # A new process on the same database: the flag survived, nothing is repeated.
    async with run_service(create_app(settings), settings) as svc:
        svc.client.headers.update(operator(settings))  # operators may use every route
        again = await scan_deadlines(svc.runtime, datetime(2026, 3, 4, 9, tzinfo=SH))
        assert again.approaching == [] and again.breached == []
        # The period closes at 00:00 after the due day: the breach, once.
        late = await scan_deadlines(svc.runtime, datetime(2026, 3, 6, 0, 30, tzinfo=SH))
        assert late.breached == [zhang_clock] and late.approaching == []
        assert (
            await scan_deadlines(svc.runtime, datetime(2026, 3, 7, tzinfo=SH)) == late.__class__()
        )
        board = await open_clocks(svc.client, case_id=str(case_id))
        assert board[0]["breached_at"] is not None
        # The deadline board's gauges, per unit: the alert rules read the breached one.
        assert await deadline_gauges(svc.client) == {
            ("rights_notification", "breached"): 1,
            ("review_period", "open"): 1,
        }

        async with TopicReader(
            bootstrap, settings.topic_notifier, case_id, settings.topic_partitions
        ) as reader:
            await eventually(reader.read, lambda _: len(reader.of_type("DeadlineBreached")) == 1)
            await eventually(reader.read, lambda _: len(reader.of_type("ClockStopped")) == 1)
        approaching = reader.of_type("DeadlineApproaching")
        breached = reader.of_type("DeadlineBreached")
        assert [e["payload"]["clock_id"] for e in approaching] == [str(zhang_clock)]
        assert [e["payload"]["clock_id"] for e in breached] == [str(zhang_clock)]
        assert approaching[0]["payload"]["days_left"] == 1
        assert len(reader.of_type("ClockScheduled")) == 3  # two rights clocks, review period
        [stopped_event] = reader.of_type("ClockStopped")
        assert stopped_event["payload"]["suspect_id"] == str(ex.LI)
        assert stopped_event["payload"]["outcome"] == "met"
