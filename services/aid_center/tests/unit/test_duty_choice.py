"""The duty-lawyer choice (Measures Art. 15) on hand-made rotas."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from uuid import UUID, uuid4

from aid_center.domain.duty import (
    DutyFailure,
    DutyNeed,
    DutyPassOver,
    DutyShiftView,
    choose_duty_lawyer,
)
from defense_schemas.vocabulary import DutyLawyerPurpose, ServiceMode

DAY = date(2026, 3, 2)
STATION_P = "河东区检察院法律援助工作站"
STATION_D = "河东区看守所法律援助工作站"


def shift(
    license_number: str,
    *,
    station: str = STATION_P,
    district: str = "河东区",
    on_date: date = DAY,
    mode: ServiceMode = ServiceMode.ON_SITE,
    firm_id: UUID | None = None,
    **extra: object,
) -> DutyShiftView:
    return DutyShiftView(
        shift_id=uuid4(),
        station_id=uuid4(),
        station_name=station,
        station_district=district,
        lawyer_id=uuid4(),
        lawyer_name=f"律师{license_number}",
        license_number=license_number,
        firm_id=firm_id or uuid4(),
        on_date=on_date,
        mode=mode,
        **extra,  # type: ignore[arg-type]
    )


def need(**extra: object) -> DutyNeed:
    base = DutyNeed(
        suspect_id=uuid4(),
        on_date=DAY,
        purpose=DutyLawyerPurpose.LEGAL_HELP,
        district="河东区",
    )
    return replace(base, **extra)  # type: ignore[arg-type]


def reasons_of(choice: object, s: DutyShiftView) -> tuple[DutyPassOver, ...]:
    return next(p.reasons for p in choice.passed_over if p.shift_id == s.shift_id)  # type: ignore[attr-defined]


def test_requested_station_wins_over_a_less_busy_lawyer_elsewhere() -> None:
    there = shift("B2", served_that_day=3)
    elsewhere = shift("A1", station=STATION_D)
    choice = choose_duty_lawyer(need(requested_station=STATION_P), [there, elsewhere])
    assert choice.chosen == there
    assert reasons_of(choice, elsewhere) == (DutyPassOver.NOT_REQUESTED_STATION,)


def test_falls_back_to_another_station_of_the_district_never_another_district() -> None:
    away = shift("A1", station="和平区工作站", district="和平区")
    on_leave = shift("A2", on_leave=True)
    fallback = shift("C3", station=STATION_D, mode=ServiceMode.PHONE)
    choice = choose_duty_lawyer(need(requested_station=STATION_P), [away, on_leave, fallback])
    assert choice.chosen == fallback
    assert any("another station" in r for r in choice.reasons)
    assert reasons_of(choice, away) == (DutyPassOver.OTHER_DISTRICT,)
    assert reasons_of(choice, on_leave) == (DutyPassOver.ON_LEAVE,)


def test_nobody_on_the_rota_that_day_is_explicit() -> None:
    tomorrow = shift("A1", on_date=date(2026, 3, 3))
    choice = choose_duty_lawyer(need(), [tomorrow])
    assert choice.chosen is None
    assert choice.failure is DutyFailure.NOBODY_ON_ROTA
    assert reasons_of(choice, tomorrow) == (DutyPassOver.OTHER_DATE,)
    assert choice.explanation()["failure"] == "nobody_on_rota"


def test_everyone_unavailable_is_a_different_failure_than_an_empty_rota() -> None:
    firm = uuid4()
    conflicted = shift("A1", firm_id=firm)
    inactive = shift("A2", active=False)
    choice = choose_duty_lawyer(need(co_suspect_firms={firm: (uuid4(),)}), [conflicted, inactive])
    assert choice.chosen is None
    assert choice.failure is DutyFailure.NOBODY_AVAILABLE
    assert reasons_of(choice, conflicted) == (DutyPassOver.CO_SUSPECT_FIRM,)
    assert reasons_of(choice, inactive) == (DutyPassOver.INACTIVE,)


def test_plea_witness_prefers_on_site_and_load_then_licence_breaks_ties() -> None:
    phone = shift("A0", mode=ServiceMode.PHONE)
    busy = shift("A1", served_that_day=2)
    free_b = shift("B1")
    free_a = shift("A9")
    choice = choose_duty_lawyer(
        need(purpose=DutyLawyerPurpose.PLEA_WITNESS), [phone, busy, free_b, free_a]
    )
    assert choice.chosen == free_a
    assert reasons_of(choice, phone) == (DutyPassOver.NOT_ON_SITE,)
    assert reasons_of(choice, busy) == (DutyPassOver.BUSIER,)
    assert reasons_of(choice, free_b) == (DutyPassOver.TIE_BREAK,)


def test_plea_witness_with_only_phone_duty_is_still_served_and_says_so() -> None:
    phone = shift("A0", mode=ServiceMode.ONLINE)
    choice = choose_duty_lawyer(need(purpose=DutyLawyerPurpose.PLEA_WITNESS), [phone])
    assert choice.chosen == phone
    assert any("nobody on site" in r for r in choice.reasons)
