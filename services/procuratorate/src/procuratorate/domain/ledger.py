"""The work ledger (工作台账): one line per suspect with the defense status, the grounds, the
clocks and their outcomes (domain "The work ledger and statistics"), and its XLSX export.

Pure: the lines are built by the query layer; this module only holds their shape, the Chinese
labels of the official vocabulary and the workbook layout."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from defense_schemas.vocabulary import ClockKind, DefenseStatus, Ground, TerminationReason
from legal_calendar import LEGAL_TIMEZONE
from procuratorate.domain.letter import GROUND_LABELS
from procuratorate.domain.statistics import (
    Appointment,
    ClockRecord,
    Statistics,
    SuspectRecord,
    is_overdue,
)

STATUS_LABELS: dict[DefenseStatus, str] = {
    DefenseStatus.RETAINED: "委托辩护",
    DefenseStatus.APPOINTED_ON_NOTICE: "通知辩护",
    DefenseStatus.APPOINTED_ON_APPLICATION: "申请指派",
    DefenseStatus.DUTY_LAWYER_ONLY: "值班律师",
    DefenseStatus.SELF_DEFENSE: "自行辩护",
    DefenseStatus.NONE: "尚无辩护人",
}

CLOCK_LABELS: dict[str, str] = {
    ClockKind.RIGHTS_NOTIFICATION.value: "告知诉讼权利",
    ClockKind.NOTICE_DISPATCH.value: "送达通知辩护公函",
    ClockKind.ASSIGNMENT.value: "指派律师",
    ClockKind.FILE_REVIEW.value: "安排阅卷",
    ClockKind.WRITTEN_OPINION.value: "书面辩护意见",
    ClockKind.REVIEW_PERIOD.value: "审查起诉期限",
}

OUTCOME_LABELS: dict[str | None, str] = {
    "met": "按期完成",
    "met_late": "逾期完成",
    "cancelled": "撤销",
    None: "进行中",
}
OVERDUE_LABEL = "已超期"

TERMINATION_LABELS: dict[str, str] = {
    TerminationReason.COUNSEL_RETAINED.value: "另行委托辩护人",
    TerminationReason.SELF_DEFENSE_PERMITTED.value: "自行辩护",
    TerminationReason.PROCEEDINGS_ENDED.value: "诉讼终止",
    TerminationReason.JURISDICTION_CHANGED.value: "移送管辖",
    TerminationReason.STAGE_ENDED.value: "诉讼阶段结束",
    TerminationReason.NO_LONGER_ELIGIBLE.value: "不再符合条件",
    TerminationReason.OTHER.value: "其他",
}

REVIEW_STATUS_LABELS: dict[str, str] = {
    "under_review": "审查起诉中",
    "returned": "退回补充侦查",
    "indicted": "已提起公诉",
    "non_prosecuted": "不起诉",
    "transferred_out": "移送管辖",
}


@dataclass(frozen=True)
class LedgerClock:
    clock_id: UUID
    scope: str  # "suspect", or "case" for the review period shared by co-suspects
    kind: str
    subject: str | None
    trigger_on: date
    due_on: date
    closes_at: datetime
    provisional: bool
    met_at: datetime | None
    outcome: str | None
    overdue: bool
    missing_years: tuple[int, ...] = ()
    """The calendar years a provisional due day was guessed for."""

    def record(self) -> ClockRecord:
        return ClockRecord(
            kind=self.kind,
            closes_at=self.closes_at,
            met_at=None if self.outcome == "cancelled" else self.met_at,
            cancelled=self.outcome == "cancelled",
            clock_id=self.clock_id,
        )


@dataclass(frozen=True)
class LedgerDefender:
    kind: str
    name: str
    firm: str | None
    contact: str | None
    started_at: datetime


@dataclass(frozen=True)
class LedgerLine:
    case_id: UUID
    transfer_number: str
    procuratorate_unit: str
    district: str
    received_at: datetime
    review_status: str
    review_deadline: date | None
    suspect_id: UUID
    suspect_name: str
    defense_status: DefenseStatus
    grounds: tuple[Ground, ...]
    current_defender: LedgerDefender | None
    clocks: tuple[LedgerClock, ...]
    terminations: tuple[str, ...] = ()
    appointments: tuple[Appointment, ...] = field(default=())
    review_deadline_missing_years: tuple[int, ...] = ()
    """The years the review period's last day was guessed for (empty: not provisional)."""

    @property
    def in_mandatory_scope(self) -> bool:
        return bool(self.grounds)

    @property
    def overdue(self) -> bool:
        """A clock of the suspect (or the case's review period) is open past its deadline."""
        return any(clock.overdue for clock in self.clocks)

    def record(self) -> SuspectRecord:
        return SuspectRecord(
            district=self.district,
            status=self.defense_status,
            in_mandatory_scope=self.in_mandatory_scope,
            clocks=tuple(clock.record() for clock in self.clocks),
            received_on=self.received_at.astimezone(LEGAL_TIMEZONE).date(),
            terminations=self.terminations,
            appointments=self.appointments,
        )


def clock_overdue(
    closes_at: datetime, met_at: datetime | None, outcome: str | None, now: datetime
) -> bool:
    return is_overdue(
        ClockRecord(kind="", closes_at=closes_at, met_at=met_at, cancelled=outcome == "cancelled"),
        now,
    )


def current_defender(
    defenders: Sequence[LedgerDefender], ended: Sequence[bool]
) -> LedgerDefender | None:
    """The defender acting now: the latest active defense lawyer, else a duty lawyer."""
    active = [d for d, gone in zip(defenders, ended, strict=True) if not gone]
    lawyers = [d for d in active if d.kind != DefenseStatus.DUTY_LAWYER_ONLY.value]
    chosen = lawyers or active
    return chosen[-1] if chosen else None


# --- the XLSX export ----------------------------------------------------------------------

LEDGER_HEADERS = (
    "受理单位",
    "所属区",
    "移送案号",
    "受理时间",
    "审查状态",
    "审查期限届满日",
    "犯罪嫌疑人",
    "辩护状态",
    "应当通知辩护情形",
    "辩护人",
    "律师事务所",
    "期限及结果",
    "是否超期",
)

CLOCK_HEADERS = (
    "移送案号",
    "犯罪嫌疑人",
    "期限类别",
    "事项",
    "起算日",
    "届满日",
    "届满日为临时计算",
    "完成时间",
    "结果",
)

STATISTICS_HEADERS = ("所属区", "统计期间", "指标", "数值")


def _local(instant: datetime | None) -> str | None:
    """openpyxl cannot store aware datetimes: the Asia/Shanghai wall time as text."""
    return instant.astimezone(LEGAL_TIMEZONE).strftime("%Y-%m-%d %H:%M") if instant else None


def _clock_result(clock: LedgerClock) -> str:
    return (
        OVERDUE_LABEL if clock.overdue else OUTCOME_LABELS.get(clock.outcome, clock.outcome or "")
    )


def _clock_summary(clock: LedgerClock) -> str:
    label = CLOCK_LABELS.get(clock.kind, clock.kind)
    provisional = "（临时）" if clock.provisional else ""
    return f"{label} {clock.due_on.isoformat()}{provisional} {_clock_result(clock)}"


def _autosize(sheet: object, headers: Sequence[str]) -> None:
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, 2 * len(header) + 4)  # type: ignore[attr-defined]


def statistics_rows(district: str, period: str, stats: Statistics) -> list[tuple[object, ...]]:
    """The statistics of one group as (district, period, measure, value) lines."""
    rows: list[tuple[object, ...]] = [
        (district, period, "犯罪嫌疑人数", stats.suspects),
        (district, period, "已有辩护或法律帮助人数", stats.covered),
        (district, period, "覆盖率", stats.coverage_rate),
        (district, period, "应当通知辩护人数", stats.mandatory_scope),
        (district, period, "应当通知辩护已辩护人数", stats.mandatory_covered),
        (district, period, "应当通知辩护覆盖率", stats.mandatory_coverage_rate),
    ]
    for status, count in stats.by_status.items():
        rows.append((district, period, f"辩护状态：{STATUS_LABELS[DefenseStatus(status)]}", count))
    for rate in stats.clocks:
        label = CLOCK_LABELS.get(rate.kind, rate.kind)
        rows.append((district, period, f"{label}按期率", rate.on_time_rate))
        rows.append((district, period, f"{label}超期未办", rate.overdue_open))
    for reason, count in stats.terminations.items():
        rows.append(
            (district, period, f"终止法律援助：{TERMINATION_LABELS.get(reason, reason)}", count)
        )
    for load in stats.lawyer_workload:
        rows.append((district, period, f"律师承办量：{load.lawyer}", load.appointments))
    return rows


def _cells(*values: object) -> tuple[object, ...]:
    """Text as a worksheet can hold it: XML forbids most control characters, and text that came
    from another agency's system may carry them."""
    return tuple(
        ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value
        for value in values
    )


def ledger_workbook(
    lines: Sequence[LedgerLine], statistics: Sequence[tuple[str, str, Statistics]] = ()
) -> bytes:
    """The ledger as an XLSX workbook: 工作台账 (one row per suspect), 期限明细 (one row per
    clock) and 统计 (the statistics by district and period)."""
    book = Workbook()
    ledger = book.active
    ledger.title = "工作台账"
    ledger.append(LEDGER_HEADERS)
    for line in lines:
        defender = line.current_defender
        ledger.append(
            _cells(
                line.procuratorate_unit,
                line.district,
                line.transfer_number,
                _local(line.received_at),
                REVIEW_STATUS_LABELS.get(line.review_status, line.review_status),
                line.review_deadline,
                line.suspect_name,
                STATUS_LABELS[line.defense_status],
                "、".join(GROUND_LABELS[g] for g in line.grounds) or "不属于应当通知辩护情形",
                defender.name if defender else None,
                defender.firm if defender else None,
                "；".join(_clock_summary(c) for c in line.clocks),
                "是" if line.overdue else "否",
            )
        )
    clocks = book.create_sheet("期限明细")
    clocks.append(CLOCK_HEADERS)
    for line in lines:
        for clock in line.clocks:
            clocks.append(
                _cells(
                    line.transfer_number,
                    line.suspect_name,
                    CLOCK_LABELS.get(clock.kind, clock.kind),
                    clock.subject,
                    clock.trigger_on,
                    clock.due_on,
                    "是" if clock.provisional else "否",
                    _local(clock.met_at),
                    _clock_result(clock),
                )
            )
    summary = book.create_sheet("统计")
    summary.append(STATISTICS_HEADERS)
    for district, period, stats in statistics:
        for row in statistics_rows(district, period, stats):
            summary.append(_cells(*row))
    for sheet, headers in (
        (ledger, LEDGER_HEADERS),
        (clocks, CLOCK_HEADERS),
        (summary, STATISTICS_HEADERS),
    ):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        _autosize(sheet, headers)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
