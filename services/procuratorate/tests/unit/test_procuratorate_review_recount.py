"""The review period's last day, counted on a guessed calendar at receipt, is counted again when
the missing year is loaded, and published (``ReviewDeadlineRecounted``): on the fake unit of
work, in milliseconds."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from defense_schemas.events.common import SuspectParticulars
from defense_schemas.events.procuratorate import ReviewDeadlineRecounted
from defense_schemas.vocabulary import ClockKind
from legal_calendar import CalendarYear
from procuratorate.db.repository import review_values
from procuratorate.domain.clocks import review_deadline, review_period
from procuratorate.workflow.calendar import recount_review_deadlines

sys.path.insert(0, str(Path(__file__).parent))
from fake_unit_of_work import CALENDAR, FakeUnitOfWork

RECEIVED = datetime(2026, 12, 30, 2, 0, tzinfo=UTC)  # Wednesday 30 December, 10:00 in Tianjin
YEAR_2027 = CalendarYear(
    year=2027,
    holidays=[date(2027, 1, 1), date(2027, 2, 1)],
    makeup_workdays=[],
    source="test",
)


def a_case_received_at_the_years_end(custody: str) -> tuple[FakeUnitOfWork, Any]:
    uow = FakeUnitOfWork()
    facts = SuspectParticulars.model_validate(
        {
            "suspect_id": "5b0c4a8e-6d1f-4c3e-9a47-2f0e8d1c7b11",
            "name": "张三",
            "birth_date": "1990-05-01",
            "gender": "male",
            "limited_capacity": False,
            "custody_status": custody,
            "place_of_detention_or_residence": "天津市河东区",
            "contacts": ["022-12345678"],
            "charges": ["盗窃罪"],
            "likely_sentence": "one_year_or_less",
            "pleads_guilty": True,
        }
    )
    due = review_deadline(
        date(2026, 12, 30), review_period(), CALENDAR, in_custody=custody == "detained"
    )
    case = uow.cases.add_case(received_at=RECEIVED, **review_values(due))
    uow.cases.add_suspect(case, facts, grounds=())
    return uow, case


async def test_a_guessed_review_deadline_is_recounted_and_published_when_its_year_loads() -> None:
    uow, case = a_case_received_at_the_years_end("bail")
    # One month from 30 December: Saturday 30 January 2027, guessed onto Monday 1 February.
    assert (case.review_deadline, case.review_deadline_provisional) == (date(2027, 2, 1), True)
    assert case.review_deadline_missing_years == [2027]
    await uow.cases.start_clock(
        case_id=case.case_id,
        suspect_id=None,
        kind=ClockKind.REVIEW_PERIOD,
        started_at=RECEIVED,
        period=review_period(),
    )

    uow.calendar = CALENDAR.with_year(YEAR_2027)  # 1 February 2027 is (here) a holiday
    assert await recount_review_deadlines(uow) == 1  # type: ignore[arg-type]

    assert (case.review_deadline, case.review_deadline_provisional) == (date(2027, 2, 2), False)
    assert case.review_deadline_missing_years == []
    (clock,) = [c for c in uow.cases.clocks if c.kind == ClockKind.REVIEW_PERIOD.value]
    assert (clock.due_on, clock.provisional, clock.missing_years) == (date(2027, 2, 2), False, [])
    (recounted,) = uow.events(ReviewDeadlineRecounted)
    assert recounted.previous_review_deadline == date(2027, 2, 1)
    assert recounted.review_deadline == date(2027, 2, 2)
    assert recounted.counted_from == date(2026, 12, 30)
    assert recounted.review_deadline_provisional is False
    # A second replica finds nothing left to do.
    assert await recount_review_deadlines(uow) == 0  # type: ignore[arg-type]
    assert len(uow.events(ReviewDeadlineRecounted)) == 1


async def test_a_detained_suspects_review_deadline_is_never_guessed_nor_recounted() -> None:
    uow, case = a_case_received_at_the_years_end("detained")
    # CPL Art. 105 proviso: the calendar plays no part, so nothing was guessed.
    assert (case.review_deadline, case.review_deadline_provisional) == (date(2027, 1, 30), False)
    uow.calendar = CALENDAR.with_year(YEAR_2027)
    assert await recount_review_deadlines(uow) == 0  # type: ignore[arg-type]
    assert uow.events(ReviewDeadlineRecounted) == []
