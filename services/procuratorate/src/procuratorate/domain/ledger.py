"""The work ledger (工作台账): one line per suspect with the defense status, the grounds, the
clocks and their outcomes (domain "The work ledger and statistics"), and its XLSX export.

Pure: the lines are built by the query layer; this module only holds their shape, the Chinese
labels of the official vocabulary and the workbook layout."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import partial
from uuid import UUID

from openpyxl import Workbook

from defense_schemas.vocabulary import ClockKind, DefenseStatus, Ground, TerminationReason
from legal_calendar import LEGAL_TIMEZONE
from legal_calendar.deadlines import LetterTrigger
from official_documents.workbook import (
    PERCENT_FORMAT,
    Column,
    bold_last_row,
    wall_time,
    workbook_bytes,
    write_table,
)
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
    "lapsed": "逾期后终止",
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
    TerminationReason.OBTAINED_BY_DECEPTION.value: "以不正当手段获得援助",
    TerminationReason.FACTS_CONCEALED.value: "隐瞒事实或提供虚假证据",
    TerminationReason.UNLAWFUL_USE.value: "利用援助从事违法活动",
    TerminationReason.ECONOMIC_SITUATION_CHANGED.value: "经济状况变化",
    TerminationReason.RECIPIENT_REQUEST.value: "受援人要求终止",
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
    reply_number: str | None = None
    """For an appointed lawyer: the number of the center's reply that named them (函告)."""


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


class Urgency(StrEnum):
    """How pressing an open clock is on a given legal day (今日工作): past its deadline, due
    that very day, due within the next few days, or later."""

    OVERDUE = "overdue"
    DUE_TODAY = "due_today"
    APPROACHING = "approaching"
    LATER = "later"


def urgency(due_on: date, closes_at: datetime, now: datetime, approaching_days: int) -> Urgency:
    """An open clock's urgency at ``now``. Overdue is the statistics' rule (open at or after
    its exclusive close, the 00:00 after the due day); the other states count legal
    (Asia/Shanghai) days, as the deadline itself is a legal day."""
    if now >= closes_at:
        return Urgency.OVERDUE
    today = now.astimezone(LEGAL_TIMEZONE).date()
    if due_on <= today:
        return Urgency.DUE_TODAY
    if (due_on - today).days <= approaching_days:
        return Urgency.APPROACHING
    return Urgency.LATER


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
    "指派函告文号",
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

WORKLOAD_HEADERS = ("所属区", "统计期间", "律师（律师事务所）", "指派案件数", "在办案件数")

SUBJECT_LABELS: dict[str, str] = {
    LetterTrigger.RIGHTS_NOTIFICATION.value: "告知诉讼权利后",
    LetterTrigger.DECISION.value: "不委托辩护人的决定后",
    LetterTrigger.DISMISSAL.value: "解除委托后",
    LetterTrigger.TERMINATION.value: "终止法律援助后",
    LetterTrigger.REFUSAL_ALLOWED.value: "准许拒绝指派律师后",
    "extension": "延长审查起诉期限",
    **{ground.value: f"新发现情形：{label}" for ground, label in GROUND_LABELS.items()},
}
"""What a clock is about, in words: its subject is a code, or the id of a request (shown as
nothing: the kind and the dates say which)."""

PERIOD_ALL = "全部"


def subject_label(subject: str | None) -> str | None:
    if subject is None:
        return None
    return SUBJECT_LABELS.get(subject)


def period_caption(period: str) -> str:
    """`2026-03` → 2026年3月, `2026-Q1` → 2026年第一季度, `2026` → 2026年, `all` → 全部."""
    if period == "all":
        return PERIOD_ALL
    year, _, rest = period.partition("-")
    if not rest:
        return f"{year}年"
    if rest.startswith("Q"):
        return f"{year}年第{'一二三四'[int(rest[1:]) - 1]}季度"
    return f"{year}年{int(rest)}月"


def _clock_result(clock: LedgerClock) -> str:
    return (
        OVERDUE_LABEL if clock.overdue else OUTCOME_LABELS.get(clock.outcome, clock.outcome or "")
    )


def _clock_summary(clock: LedgerClock) -> str:
    label = CLOCK_LABELS.get(clock.kind, clock.kind)
    provisional = "（临时）" if clock.provisional else ""
    return f"{label} {clock.due_on.isoformat()}{provisional} {_clock_result(clock)}"


Measure = tuple[Column, Callable[[Statistics], object]]


def statistics_columns(
    groups: Sequence[Statistics],
) -> list[tuple[Column, Callable[[Statistics], object]]]:
    """The measures, one column each, in a fixed order; a clock kind or a termination reason
    gets its columns when some group has it."""
    columns: list[Measure] = [
        (Column("犯罪嫌疑人数"), lambda s: s.suspects),
        (Column("已有辩护或法律帮助人数"), lambda s: s.covered),
        (Column("覆盖率", PERCENT_FORMAT), lambda s: s.coverage_rate),
        (Column("应当通知辩护人数"), lambda s: s.mandatory_scope),
        (Column("应当通知辩护已辩护人数"), lambda s: s.mandatory_covered),
        (Column("应当通知辩护覆盖率", PERCENT_FORMAT), lambda s: s.mandatory_coverage_rate),
    ]
    for status, label in STATUS_LABELS.items():
        columns.append((Column(label), partial(_status_count, status.value)))
    kinds = {rate.kind for stats in groups for rate in stats.clocks}
    for kind, label in CLOCK_LABELS.items():
        if kind not in kinds:
            continue

        columns.append((Column(f"{label}按期率", PERCENT_FORMAT), partial(_on_time_rate, kind)))
        columns.append((Column(f"{label}超期未办"), partial(_overdue_open, kind)))
    reasons = {reason for stats in groups for reason in stats.terminations}
    for reason, label in TERMINATION_LABELS.items():
        if reason in reasons:
            columns.append((Column(f"终止法律援助：{label}"), partial(_terminations, reason)))
    return columns


def _on_time_rate(kind: str, stats: Statistics) -> float | None:
    return next((r.on_time_rate for r in stats.clocks if r.kind == kind), None)


def _overdue_open(kind: str, stats: Statistics) -> int:
    return next((r.overdue_open for r in stats.clocks if r.kind == kind), 0)


def _status_count(status: str, stats: Statistics) -> int:
    return stats.by_status.get(status, 0)


def _terminations(reason: str, stats: Statistics) -> int:
    return stats.terminations.get(reason, 0)


def ledger_workbook(
    lines: Sequence[LedgerLine],
    statistics: Sequence[tuple[str, str, Statistics]] = (),
    *,
    total: Statistics | None = None,
    title: str | None = None,
) -> bytes:
    """The ledger as an XLSX workbook: 工作台账 (one row per suspect), 期限明细 (one row per
    clock), 统计 (a row per district and period, a column per measure, and the total) and
    律师承办量. With a title (a monthly report), the statistics come first under it."""
    book = Workbook()
    ledger = book.active
    ledger.title = "工作台账"
    write_table(
        ledger,
        [Column(h) for h in LEDGER_HEADERS],
        (
            (
                line.procuratorate_unit,
                line.district,
                line.transfer_number,
                wall_time(line.received_at),
                REVIEW_STATUS_LABELS.get(line.review_status, line.review_status),
                line.review_deadline,
                line.suspect_name,
                STATUS_LABELS[line.defense_status],
                "、".join(GROUND_LABELS[g] for g in line.grounds) or "不属于应当通知辩护情形",
                line.current_defender.name if line.current_defender else None,
                line.current_defender.firm if line.current_defender else None,
                line.current_defender.reply_number if line.current_defender else None,
                "；".join(_clock_summary(c) for c in line.clocks),
                "是" if line.overdue else "否",
            )
            for line in lines
        ),
    )
    write_table(
        book.create_sheet("期限明细"),
        [Column(h) for h in CLOCK_HEADERS],
        (
            (
                line.transfer_number,
                line.suspect_name,
                CLOCK_LABELS.get(clock.kind, clock.kind),
                subject_label(clock.subject),
                clock.trigger_on,
                clock.due_on,
                "是" if clock.provisional else "否",
                wall_time(clock.met_at),
                _clock_result(clock),
            )
            for line in lines
            for clock in line.clocks
        ),
    )
    every = [stats for _, _, stats in statistics] + ([total] if total else [])
    measures = statistics_columns(every)
    rows = [
        (district, period_caption(period), *(value(stats) for _, value in measures))
        for district, period, stats in statistics
    ]
    if total is not None:
        rows.append(("合计", None, *(value(total) for _, value in measures)))
    summary = book.create_sheet("统计", 0 if title else None)
    write_table(
        summary,
        [Column("所属区"), Column("统计期间"), *(column for column, _ in measures)],
        rows,
        title=title,
    )
    if total is not None:
        bold_last_row(summary)
    if title:
        book.active = 0
    write_table(
        book.create_sheet("律师承办量"),
        [Column(h) for h in WORKLOAD_HEADERS],
        (
            (district, period_caption(period), load.lawyer, load.appointments, load.active)
            for district, period, stats in statistics
            for load in stats.lawyer_workload
        ),
    )
    return workbook_bytes(book)
