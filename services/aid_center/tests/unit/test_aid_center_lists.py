"""The aid center's list and roster use cases on the fake unit of work: what each list holds, in
which order, and how its pages are walked (keyset order, cursors bound to their list), plus the
roster's and the rota's refusals. The API tests prove the same lists on PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aid_center.db.personal import NOTICE_SUSPECT_NAME
from aid_center.domain.commands import (
    AddFirm,
    AddLawyer,
    AddWorkStation,
    AssignmentsQuery,
    LogActivity,
    PutOnRota,
    RecordLeave,
    ReviewQuality,
    UpdateLawyer,
)
from aid_center.domain.errors import NotKnown, RuleViolation, StateConflict
from aid_center.domain.status import AssignmentStatus, DutyRequestStatus, NoticeStatus
from aid_center.use_cases import assignments, duty, notices, roster, rota
from aid_center.use_cases.appointing import appoint
from defense_schemas.vocabulary import (
    ActivityKind,
    Gender,
    QualityMeasure,
    QualityRating,
    ServiceMode,
)
from legal_calendar import legal_date
from service_runtime.errors import InvalidInput
from service_runtime.paging import PageRequest

sys.path.insert(0, str(Path(__file__).parent))
from fake_aid_center_unit_of_work import NOW, FakeAid, FakeUnitOfWork, next_page, page_request

HEDONG = "天津市河东区法律援助中心"
HEPING = "天津市和平区法律援助中心"


async def _walk(
    path: str, limit: int, list_page: Callable[[PageRequest], Awaitable[list[Any]]]
) -> list[list[Any]]:
    """Every page of a list, as a client follows ``next_cursor`` from the first."""
    pages = []
    page: PageRequest | None = page_request(path, limit)
    while page is not None:
        pages.append(await list_page(page))
        page = next_page(page)
    return pages


def _lawyer(firm_id: uuid.UUID, licence: str, name: str = "王丽华") -> AddLawyer:
    return AddLawyer(
        firm_id=firm_id,
        name=name,
        license_number=licence,
        contact="13820001234",
        gender=Gender.FEMALE,
        criminal_practice_years=5,
        max_concurrent_cases=4,
    )


async def test_walking_the_lawyers_pages_gives_each_once_in_licence_order() -> None:
    uow = FakeUnitOfWork()
    firm = await roster.add_firm(uow, AddFirm(name="天津津河律师事务所", contact="022-24310000"))
    licences = [f"112012015101{n:05d}" for n in (7, 3, 9, 1, 5, 8, 2)]
    for licence in licences:
        await roster.add_lawyer(uow, _lawyer(firm["firm_id"], licence))

    pages = await _walk("/lawyers", 3, lambda p: roster.lawyers(uow, page=p))

    assert [len(p) for p in pages] == [3, 3, 1]
    assert [row["license_number"] for p in pages for row in p] == sorted(licences)
    assert all(row["firm_name"] == "天津津河律师事务所" for p in pages for row in p)


async def test_a_lawyer_shows_caseload_and_todays_leave() -> None:
    uow = FakeUnitOfWork()
    lawyer_id = uow.aid.add_lawyer("甲律师事务所", "王律师")
    await appoint(uow, uow.aid.add_notice(uuid.uuid4())["notice_id"], caused_by=None)
    today = legal_date(NOW)
    await roster.record_leave(
        uow, RecordLeave(lawyer_id=lawyer_id, starts_on=today, ends_on=today + timedelta(days=2))
    )

    shown = await roster.lawyer(uow, lawyer_id)

    assert shown["active_cases"] == 1
    assert shown["on_leave_today"] is True
    assert [leave["starts_on"] for leave in shown["leaves"]] == [today]
    uow.now_is = NOW + timedelta(days=3)
    assert (await roster.lawyer(uow, lawyer_id))["on_leave_today"] is False


async def test_the_roster_refuses_duplicates_and_unknown_firms() -> None:
    uow = FakeUnitOfWork()
    firm = await roster.add_firm(uow, AddFirm(name="天津津河律师事务所", contact="022-24310000"))
    with pytest.raises(StateConflict) as same_name:
        await roster.add_firm(uow, AddFirm(name="天津津河律师事务所", contact="022-1"))
    assert same_name.value.field == "name"

    with pytest.raises(RuleViolation) as no_firm:
        await roster.add_lawyer(uow, _lawyer(uuid.uuid4(), "11201201510100001"))
    assert no_firm.value.field == "firm_id"

    added = await roster.add_lawyer(uow, _lawyer(firm["firm_id"], "11201201510100001"))
    with pytest.raises(StateConflict) as same_licence:
        await roster.add_lawyer(uow, _lawyer(firm["firm_id"], "11201201510100001", "李建国"))
    assert same_licence.value.field == "license_number"

    updated = await roster.update_lawyer(
        uow, UpdateLawyer(added["lawyer_id"], {"max_concurrent_cases": 9})
    )
    assert updated["max_concurrent_cases"] == 9
    assert updated["contact"] == "13820001234"  # absent from the change: kept
    assert added["lawyer_id"] in uow.aid.held_lawyers  # changed under its row's lock
    with pytest.raises(NotKnown):
        await roster.update_lawyer(uow, UpdateLawyer(uuid.uuid4(), {"active": False}))
    with pytest.raises(NotKnown):
        await roster.firm(uow, uuid.uuid4())


async def test_notices_list_the_centers_own_by_receipt_and_filtered() -> None:
    uow = FakeUnitOfWork()
    case_id = uuid.uuid4()
    mine = [_notice(uow, case_id, n, received_at=NOW - timedelta(hours=n)) for n in (2, 0, 1)]
    # Two letters received at the same instant: the notice id orders them.
    mine += [_notice(uow, case_id, 3) for _ in range(2)]
    _notice(uow, case_id, 9, addressee_center=HEPING)
    mine[0]["status"] = NoticeStatus.UNASSIGNABLE

    pages = await _walk("/notices", 2, lambda p: notices.notices(uow, HEDONG, page=p))

    listed = [n for p in pages for n in p]
    expected = sorted(mine, key=lambda n: (n["received_at"], n["notice_id"]))
    assert [n["notice_id"] for n in listed] == [n["notice_id"] for n in expected]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert listed[0]["suspect_name"] == "张小明2"  # opened for staff
    unassignable = await notices.notices(uow, HEDONG, status=NoticeStatus.UNASSIGNABLE)
    assert [n["notice_id"] for n in unassignable] == [mine[0]["notice_id"]]
    with pytest.raises(NotKnown):
        await notices.notice(uow, uuid.uuid4())


def _notice(uow: FakeUnitOfWork, case_id: uuid.UUID, n: int, **values: Any) -> dict[str, Any]:
    notice = uow.aid.add_notice(case_id, **values)
    notice["suspect_name"] = uow.cipher.encrypt(
        f"张小明{n}", field=NOTICE_SUSPECT_NAME, record_id=notice["notice_id"]
    )
    return notice


async def test_a_cursor_is_bound_to_its_list() -> None:
    uow = FakeUnitOfWork()
    for name in ("甲律师事务所", "乙律师事务所", "丙律师事务所"):
        await roster.add_firm(uow, AddFirm(name=name, contact="022-24310000"))
    first = page_request("/firms", 1)
    await roster.firms(uow, first)
    assert first.next_cursor is not None

    with pytest.raises(InvalidInput) as refused:
        page_request("/lawyers", 1, first.next_cursor)
    assert refused.value.field == "cursor"
    assert await roster.firms(uow, page_request("/firms", 1, first.next_cursor))


async def _appointed(uow: FakeUnitOfWork, center: str = HEDONG, **notice: Any) -> dict[str, Any]:
    made = await appoint(
        uow,
        uow.aid.add_notice(uuid.uuid4(), addressee_center=center, **notice)["notice_id"],
        caused_by=None,
    )
    assert made.assignment_id is not None
    return uow.aid.assignments[made.assignment_id]


async def test_assignments_a_lawyer_sees_their_own_and_staff_their_centers() -> None:
    uow = FakeUnitOfWork()
    first = uow.aid.add_lawyer("甲律师事务所", "王律师", places=10)
    uow.aid.add_lawyer("乙律师事务所", "李律师", places=10)
    made = []
    for hour in range(6):
        uow.now_is = NOW + timedelta(hours=hour)
        made.append(await _appointed(uow))
    other_center = await _appointed(uow, HEPING)

    staff_pages = await _walk(
        "/assignments",
        4,
        lambda p: assignments.assignments_where(uow, AssignmentsQuery(center=HEDONG), p),
    )
    listed = [a["assignment_id"] for p in staff_pages for a in p]
    assert listed == [a["assignment_id"] for a in made]  # by assignment time
    assert other_center["assignment_id"] not in listed

    own = await assignments.assignments_where(uow, AssignmentsQuery(own_lawyer_id=first))
    assert own and all(a["lawyer_id"] == first for a in own)
    assert {a["assignment_id"] for a in own} == {
        a["assignment_id"] for a in [*made, other_center] if a["lawyer_id"] == first
    }
    ended = await assignments.assignments_where(
        uow, AssignmentsQuery(center=HEDONG, status=AssignmentStatus.ENDED)
    )
    assert ended == []


async def test_overdue_meetings_flag_the_unmet_by_assignment_day() -> None:
    uow = FakeUnitOfWork()
    uow.aid.add_lawyer("甲律师事务所", "王律师", places=10)
    uow.aid.add_lawyer("乙律师事务所", "李律师", places=10)
    made = []
    for day in (3, 1, 2):
        uow.now_is = NOW + timedelta(days=day)
        made.append(await _appointed(uow))
    uow.now_is = NOW + timedelta(days=3)
    await assignments.log_activity(
        uow,
        LogActivity(
            assignment_id=made[1]["assignment_id"],
            kind=ActivityKind.MEETING,
            performed_on=legal_date(uow.now_is),
        ),
    )
    flag_after = uow.settings.meeting_flag_days
    judged_on = legal_date(NOW) + timedelta(days=2 + flag_after + 1)

    pages = await _walk(
        "/assignments/overdue-meetings",
        1,
        lambda p: assignments.overdue_meetings(uow, HEDONG, as_of=judged_on, page=p),
    )

    # Day 1's lawyer met the suspect; day 2's is overdue; day 3's is not overdue yet.
    flagged = [m for p in pages for m in p]
    assert [m["assignment_id"] for m in flagged] == [made[2]["assignment_id"]]
    assert flagged[0]["days_since_assignment"] == flag_after + 1
    assert await assignments.overdue_meetings(uow, HEPING, as_of=judged_on) == []


async def test_activities_and_quality_reviews_list_in_their_order() -> None:
    uow = FakeUnitOfWork()
    uow.aid.add_lawyer("甲律师事务所", "王律师")
    uow.now_is = NOW - timedelta(days=10)
    assignment = await _appointed(uow)
    uow.now_is = NOW
    today = legal_date(NOW)
    for days_ago, kind in ((1, ActivityKind.FILE_REVIEW), (5, ActivityKind.MEETING)):
        await assignments.log_activity(
            uow,
            LogActivity(assignment["assignment_id"], kind, today - timedelta(days=days_ago)),
        )
    for rating in (QualityRating.NEEDS_IMPROVEMENT, QualityRating.SATISFACTORY):
        uow.now_is += timedelta(hours=1)
        await assignments.review_quality(
            uow,
            ReviewQuality(
                assignment["assignment_id"],
                (QualityMeasure.FILE_INSPECTION,),
                rating,
                reviewer="赵敏",
            ),
        )

    path = f"/assignments/{assignment['assignment_id']}/activities"
    activities = await _walk(
        path, 1, lambda p: assignments.activities(uow, assignment["assignment_id"], p)
    )
    assert [a["kind"] for p in activities for a in p] == ["meeting", "file_review"]
    reviews = await assignments.quality_reviews(uow, assignment["assignment_id"])
    assert [r["rating"] for r in reviews] == ["needs_improvement", "satisfactory"]
    with pytest.raises(NotKnown):
        await assignments.activities(uow, uuid.uuid4())
    with pytest.raises(NotKnown):
        await assignments.quality_reviews(uow, uuid.uuid4())


async def _station(uow: FakeUnitOfWork, name: str = "河东区人民检察院法律援助工作站") -> Any:
    return await rota.add_work_station(
        uow,
        AddWorkStation(
            name=name, district="河东区", host_kind="procuratorate", host_name="河东区人民检察院"
        ),
    )


async def test_the_rota_is_put_listed_by_day_and_station_and_kept_once_served() -> None:
    uow = FakeUnitOfWork()
    first = uow.aid.add_lawyer("甲律师事务所", "王律师")
    second = uow.aid.add_lawyer("乙律师事务所", "李律师")
    east = await _station(uow)
    jail = await _station(uow, "河东区看守所法律援助工作站")
    with pytest.raises(StateConflict):
        await _station(uow)
    monday = date(2026, 3, 9)

    def on_rota(station: Any, lawyer_id: uuid.UUID, days: int) -> PutOnRota:
        return PutOnRota(
            station_id=station["station_id"],
            lawyer_id=lawyer_id,
            starts_on=monday,
            ends_on=monday + timedelta(days=days - 1),
            mode=ServiceMode.ON_SITE,
        )

    put = await rota.put_on_rota(uow, on_rota(east, first, 3))
    assert [s["on_date"] for s in put] == [monday + timedelta(days=n) for n in range(3)]
    await rota.put_on_rota(uow, on_rota(jail, second, 2))
    with pytest.raises(StateConflict) as twice:
        await rota.put_on_rota(uow, on_rota(east, first, 1))
    assert twice.value.field == "starts_on"
    with pytest.raises(RuleViolation) as backwards:
        await rota.put_on_rota(uow, on_rota(east, second, 0))
    assert backwards.value.field == "ends_on"
    with pytest.raises(RuleViolation):
        await rota.put_on_rota(uow, on_rota(east, second, rota.MAX_SHIFT_SPAN_DAYS + 1))
    with pytest.raises(RuleViolation) as unknown:
        await rota.put_on_rota(uow, on_rota(east, uuid.uuid4(), 1))
    assert unknown.value.field == "lawyer_id"
    with pytest.raises(NotKnown):
        await rota.put_on_rota(uow, on_rota({"station_id": uuid.uuid4()}, first, 1))

    pages = await _walk(
        "/duty-rota",
        2,
        lambda p: rota.rota(uow, starts_on=monday, ends_on=monday + timedelta(days=6), page=p),
    )
    listed = [(s["on_date"], s["station_name"]) for p in pages for s in p]
    assert listed == sorted(listed) and len(listed) == 5
    at_the_jail = await rota.rota(
        uow, starts_on=monday, ends_on=monday + timedelta(days=6), station_id=jail["station_id"]
    )
    assert [s["lawyer_id"] for s in at_the_jail] == [second, second]

    served, spare = put[0]["shift_id"], put[1]["shift_id"]
    uow.aid.duty_requests[uuid.uuid4()] = {"shift_id": served}
    with pytest.raises(StateConflict):
        await rota.remove_shift(uow, served)
    await rota.remove_shift(uow, spare)
    with pytest.raises(NotKnown):
        await rota.remove_shift(uow, spare)


async def test_duty_requests_list_by_request_time_filtered_by_status() -> None:
    uow = FakeUnitOfWork()
    case_id = uuid.uuid4()
    for minutes in (30, 10, 20):
        await uow.aid.add_duty_request(
            {
                "request_id": uuid.uuid4(),
                "case_id": case_id,
                "suspect_id": uuid.uuid4(),
                "purpose": "legal_help",
                "requested_at": NOW + timedelta(minutes=minutes),
            }
        )
    first = min(uow.aid.duty_requests.values(), key=lambda r: r["requested_at"])
    await uow.aid.record_duty_outcome(first["request_id"], {"status": "assigned"})

    pages = await _walk("/duty-requests", 2, lambda p: duty.duty_requests(uow, page=p))
    times = [r["requested_at"] for p in pages for r in p]
    assert times == sorted(times) and len(times) == 3
    waiting = await duty.duty_requests(uow, status=DutyRequestStatus.UNASSIGNED)
    assert len(waiting) == 2
    assert await duty.duty_requests(uow, case_id=uuid.uuid4()) == []
    with pytest.raises(NotKnown):
        await duty.duty_request(uow, uuid.uuid4())


@functools.cache
def _settled() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@settings(max_examples=40, deadline=None)
@given(
    firms=st.lists(
        st.text(alphabet="甲乙丙丁戊己庚辛", min_size=1, max_size=3), unique=True, max_size=12
    ),
    limit=st.integers(min_value=1, max_value=5),
)
def test_any_walk_of_pages_lists_every_item_once_in_order(firms: list[str], limit: int) -> None:
    async def walk() -> tuple[list[Any], list[list[Any]]]:
        # A fresh repository on the settings and calendar read once (they cost more than a walk).
        uow = dataclasses.replace(_settled(), aid=FakeAid())
        for name in firms:
            await roster.add_firm(uow, AddFirm(name=name, contact="022-24310000"))
        return await roster.firms(uow), await _walk("/firms", limit, lambda p: roster.firms(uow, p))

    whole, pages = asyncio.run(walk())
    assert [f["firm_id"] for p in pages for f in p] == [f["firm_id"] for f in whole]
    assert [f["name"] for f in whole] == sorted(firms)
    assert all(len(p) == limit for p in pages[:-1]) and len(pages[-1]) <= limit
    # A page is followed only while items remain: no empty page after a full one.
    assert len(pages) == max(1, -(-len(firms) // limit))
