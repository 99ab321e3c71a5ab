"""Choosing the duty lawyer (值班律师) for a request: a pure function over the day's rota.

Measures Art. 15 and the notice's §三: legal aid work stations (法律援助工作站) sit in
procuratorates and detention centers; duty lawyers serve them on site (现场值班), by phone (电话
值班) or online (网络值班) according to the center's rota. A suspect outside the mandatory scope
with no defender gets legal help from the duty lawyer, who also witnesses a plea where there is
no defense lawyer (Art. 11).

The rules, in order:

1. Only shifts on the request's date (the legal date of the request) count.
2. The station: the one the procuratorate named, when it has someone on duty; otherwise (or when
   it named none) any station of the case's district — the fallback is recorded in the reasons.
   Stations of other districts are never used: the duty lawyer serves where the suspect is.
3. Not a lawyer on leave or made inactive on the roster (the rota may be older than the leave).
4. Not a lawyer whose firm actively defends a co-suspect of the same case: a duty lawyer
   advising one co-suspect while a colleague defends another is the conflict Measures Art. 13
   forbids for appointed lawyers, so the same line is drawn here.
5. Preference: for a plea witness (见证具结) a lawyer on site first, since witnessing is done in
   person unless an objective reason prevents it (Art. 11); for legal help the mode does not
   matter.
6. Fair spread: the fewest requests already served that day, then the licence number
   (deterministic tie-break), so the same rota and requests always give the same choice.

When nobody qualifies the result says so with every shift passed over and why: the request stays
visibly unassigned, never a silent wait.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from uuid import UUID

from defense_schemas.vocabulary import DutyLawyerPurpose, ServiceMode


class DutyPassOver(StrEnum):
    """Why a shift on the rota was not chosen."""

    OTHER_DATE = "other_date"
    OTHER_DISTRICT = "other_district"
    NOT_REQUESTED_STATION = "not_requested_station"
    ON_LEAVE = "on_leave"
    INACTIVE = "inactive"
    CO_SUSPECT_FIRM = "co_suspect_firm"
    NOT_ON_SITE = "not_on_site"
    BUSIER = "busier"
    TIE_BREAK = "tie_break"


class DutyFailure(StrEnum):
    """Why no duty lawyer could be chosen."""

    NOBODY_ON_ROTA = "nobody_on_rota"
    """No shift at all in the district on that date."""
    NOBODY_AVAILABLE = "nobody_available"
    """Shifts exist, but every lawyer on them is on leave, inactive or conflicted."""


@dataclass(frozen=True)
class DutyShiftView:
    """One shift on the rota as the choice sees it."""

    shift_id: UUID
    station_id: UUID
    station_name: str
    station_district: str
    lawyer_id: UUID
    lawyer_name: str
    license_number: str
    firm_id: UUID
    on_date: date
    mode: ServiceMode
    served_that_day: int = 0
    on_leave: bool = False
    active: bool = True


@dataclass(frozen=True)
class DutyNeed:
    """The request: for whom, when, where."""

    suspect_id: UUID
    on_date: date
    purpose: DutyLawyerPurpose
    district: str | None
    requested_station: str | None = None
    co_suspect_firms: Mapping[UUID, tuple[UUID, ...]] = field(default_factory=dict)
    """Firm id → co-suspects of the same case whose appointed lawyer is of that firm."""


@dataclass(frozen=True)
class DutyPassedOver:
    shift_id: UUID
    lawyer_id: UUID
    name: str
    station_name: str
    reasons: tuple[DutyPassOver, ...]


@dataclass(frozen=True)
class DutyChoice:
    chosen: DutyShiftView | None
    reasons: tuple[str, ...]
    passed_over: tuple[DutyPassedOver, ...]
    failure: DutyFailure | None = None

    def explanation(self) -> dict[str, object]:
        return {
            "chosen": None
            if self.chosen is None
            else {
                "shift_id": str(self.chosen.shift_id),
                "lawyer_id": str(self.chosen.lawyer_id),
                "name": self.chosen.lawyer_name,
                "station": self.chosen.station_name,
                "mode": self.chosen.mode.value,
            },
            "reasons": list(self.reasons),
            "failure": self.failure.value if self.failure else None,
            "passed_over": [
                {
                    "shift_id": str(p.shift_id),
                    "lawyer_id": str(p.lawyer_id),
                    "name": p.name,
                    "station": p.station_name,
                    "reasons": [r.value for r in p.reasons],
                }
                for p in self.passed_over
            ],
        }


def _hard_failures(shift: DutyShiftView, need: DutyNeed) -> list[DutyPassOver]:
    failures = []
    if shift.on_date != need.on_date:
        failures.append(DutyPassOver.OTHER_DATE)
    if need.district is not None and shift.station_district != need.district:
        failures.append(DutyPassOver.OTHER_DISTRICT)
    if shift.on_leave:
        failures.append(DutyPassOver.ON_LEAVE)
    if not shift.active:
        failures.append(DutyPassOver.INACTIVE)
    if shift.firm_id in need.co_suspect_firms:
        failures.append(DutyPassOver.CO_SUSPECT_FIRM)
    return failures


def choose_duty_lawyer(need: DutyNeed, rota: Iterable[DutyShiftView]) -> DutyChoice:
    """The duty lawyer for the request, or an explicit failure; see the module docstring."""
    passed: dict[UUID, list[DutyPassOver]] = {}
    shifts = list(rota)
    in_scope = [s for s in shifts if DutyPassOver.OTHER_DATE not in _hard_failures(s, need)]
    in_scope = [s for s in in_scope if DutyPassOver.OTHER_DISTRICT not in _hard_failures(s, need)]
    eligible: list[DutyShiftView] = []
    for shift in shifts:
        failures = _hard_failures(shift, need)
        if failures:
            passed[shift.shift_id] = failures
        else:
            eligible.append(shift)
    reasons: list[str] = []

    if need.requested_station is not None:
        at_station = [s for s in eligible if s.station_name == need.requested_station]
        if at_station:
            for s in eligible:
                if s not in at_station:
                    passed.setdefault(s.shift_id, []).append(DutyPassOver.NOT_REQUESTED_STATION)
            eligible = at_station
            reasons.append(f"on duty at the requested station {need.requested_station}")
        elif eligible:
            reasons.append(
                f"nobody available at the requested station {need.requested_station}; "
                "another station of the district"
            )
    else:
        reasons.append("no station named: any station of the district")

    if eligible and need.purpose is DutyLawyerPurpose.PLEA_WITNESS:
        on_site = [s for s in eligible if s.mode is ServiceMode.ON_SITE]
        if on_site:
            for s in eligible:
                if s not in on_site:
                    passed.setdefault(s.shift_id, []).append(DutyPassOver.NOT_ON_SITE)
            eligible = on_site
            reasons.append("on site, to witness the plea in person (Measures Art. 11)")
        else:
            reasons.append("nobody on site: a phone or online duty lawyer witnesses the plea")

    by_id = {s.shift_id: s for s in shifts}
    if not eligible:
        failure = DutyFailure.NOBODY_AVAILABLE if in_scope else DutyFailure.NOBODY_ON_ROTA
        reasons.append(
            "no duty lawyer on the rota of the district that day"
            if failure is DutyFailure.NOBODY_ON_ROTA
            else "every duty lawyer on the rota that day is on leave, inactive or conflicted"
        )
        return DutyChoice(None, tuple(reasons), _passed(passed, by_id), failure)

    eligible.sort(key=lambda s: (s.served_that_day, s.license_number))
    chosen = eligible[0]
    for s in eligible[1:]:
        passed.setdefault(s.shift_id, []).append(
            DutyPassOver.BUSIER
            if s.served_that_day > chosen.served_that_day
            else DutyPassOver.TIE_BREAK
        )
    reasons.append(
        f"fewest requests served that day ({chosen.served_that_day}), then licence number"
    )
    return DutyChoice(chosen, tuple(reasons), _passed(passed, by_id))


def _passed(
    passed: Mapping[UUID, list[DutyPassOver]], by_id: Mapping[UUID, DutyShiftView]
) -> tuple[DutyPassedOver, ...]:
    return tuple(
        DutyPassedOver(
            shift_id=shift_id,
            lawyer_id=by_id[shift_id].lawyer_id,
            name=by_id[shift_id].lawyer_name,
            station_name=by_id[shift_id].station_name,
            reasons=tuple(reasons),
        )
        for shift_id, reasons in passed.items()
    )
