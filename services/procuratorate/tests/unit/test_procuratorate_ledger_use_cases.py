"""The work ledger and the calendar recount on the fake unit of work: which suspects a filter
keeps, each line's clocks and terminations, and the recount of guessed clocks — in
milliseconds."""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from defense_schemas import Envelope
from defense_schemas.events.aid_center import AidTerminated
from defense_schemas.events.common import SuspectParticulars
from defense_schemas.vocabulary import ClockKind, DefenseStatus, Ground, TerminationReason
from legal_calendar import CalendarYear
from legal_calendar.deadlines import RIGHTS_NOTIFICATION
from procuratorate.workflow.calendar import recount_provisional_clocks
from procuratorate.workflow.ledger import LedgerFilter, load_ledger

sys.path.insert(0, str(Path(__file__).parent))
from fake_unit_of_work import CALENDAR, FakeUnitOfWork

LATER = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)


def facts(name: str, **overrides: Any) -> SuspectParticulars:
    return SuspectParticulars.model_validate(
        {
            "suspect_id": str(uuid.uuid4()),
            "name": name,
            "birth_date": "1990-05-01",
            "gender": "male",
            "limited_capacity": False,
            "custody_status": "bail",
            "place_of_detention_or_residence": "天津市河东区",
            "contacts": ["022-12345678"],
            "charges": ["盗窃罪"],
            "likely_sentence": "one_year_or_less",
            "pleads_guilty": True,
            **overrides,
        }
    )


async def test_the_ledger_filters_by_district_status_and_receipt_and_marks_overdue() -> None:
    uow = FakeUnitOfWork()
    first = uow.cases.add_case(received_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    minor = uow.cases.add_suspect(first, facts("王小明"), grounds=(Ground.MINOR,))
    adult = uow.cases.add_suspect(first, facts("李四"), grounds=())
    other = uow.cases.add_case(
        district="西青区", received_at=datetime(2026, 4, 1, 1, 0, tzinfo=UTC)
    )
    uow.cases.add_suspect(other, facts("赵五"), grounds=())
    # The minor's rights notification was due on 5 March and never met.
    await uow.cases.start_clock(
        case_id=first.case_id,
        suspect_id=minor.suspect_id,
        kind=ClockKind.RIGHTS_NOTIFICATION,
        started_at=first.received_at,
        period=RIGHTS_NOTIFICATION.period,
    )
    assignment = uuid.uuid4()
    uow.cases.appoint(adult.suspect_id, assignment)
    terminated = AidTerminated(
        assignment_id=assignment,
        suspect_id=adult.suspect_id,
        reason=TerminationReason.COUNSEL_RETAINED,
        terminated_at=LATER,
    )
    uow.record_on_timeline(
        Envelope.for_event(terminated, case_id=first.case_id, producer="aid-center"),
        adult.suspect_id,
    )

    async def names(**criteria: Any) -> list[str]:
        lines = await load_ledger(uow, LedgerFilter(**criteria), LATER)  # type: ignore[arg-type]
        return [line.suspect_name for line in lines]

    assert await names() == ["王小明", "李四", "赵五"]
    assert await names(district="西青区") == ["赵五"]
    assert await names(status=DefenseStatus.APPOINTED_ON_NOTICE) == ["李四"]
    assert await names(received_from=date(2026, 3, 3)) == ["赵五"]
    assert await names(received_to=date(2026, 3, 2)) == ["王小明", "李四"]
    assert await names(overdue=True) == ["王小明"]
    lines = await load_ledger(uow, LedgerFilter(), LATER)  # type: ignore[arg-type]
    assert lines[1].terminations == ("counsel_retained",)
    assert lines[1].current_defender is not None and lines[1].current_defender.name == "王律师"
    assert [clock.kind for clock in lines[0].clocks] == ["rights_notification"]


async def test_a_loaded_year_recounts_the_guessed_clocks_once() -> None:
    uow = FakeUnitOfWork()
    case = uow.cases.add_case(received_at=datetime(2026, 12, 30, 2, 0, tzinfo=UTC))
    suspect = uow.cases.add_suspect(case, facts("王小明"), grounds=(Ground.MINOR,))
    await uow.cases.start_clock(
        case_id=case.case_id,
        suspect_id=suspect.suspect_id,
        kind=ClockKind.RIGHTS_NOTIFICATION,
        started_at=case.received_at,
        period=RIGHTS_NOTIFICATION.period,
    )
    (clock,) = uow.cases.clocks
    assert (clock.due_on, clock.missing_years) == (date(2027, 1, 4), [2027])

    uow.calendar = CALENDAR.with_year(
        CalendarYear(
            year=2027,
            holidays=[date(2027, 1, d) for d in (1, 2, 3, 4)],
            makeup_workdays=[],
            source="test",
        )
    )
    assert await recount_provisional_clocks(uow) == 1  # type: ignore[arg-type]
    assert (clock.due_on, clock.provisional, clock.missing_years) == (date(2027, 1, 5), False, [])
    assert await recount_provisional_clocks(uow) == 0  # type: ignore[arg-type]
