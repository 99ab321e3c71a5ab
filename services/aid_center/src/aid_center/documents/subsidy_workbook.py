"""The finance office's workbook of case subsidies (办案补贴发放明细): one row per claim, amounts
in yuan with two decimals (stored as integer fen, divided only here), then the figures per
lawyer, per firm and per period. Pure: the rows come from the query layer."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from openpyxl import Workbook

from aid_center.domain.subsidies import REVIEW_STAGE, SubsidyFigures, SubsidyStatistics
from defense_schemas.vocabulary import CaseKind
from official_documents.workbook import (
    YUAN_FORMAT,
    Column,
    bold_last_row,
    wall_time,
    workbook_bytes,
    write_table,
    yuan,
)

STAGE_LABELS = {REVIEW_STAGE: "审查起诉阶段"}
CASE_KIND_LABELS = {
    CaseKind.ORDINARY.value: "普通案件",
    CaseKind.MAJOR_OR_COMPLEX.value: "重大案件",
}
STATUS_LABELS = {
    "open": "待提交结案材料",
    "submitted": "待审核",
    "approved": "待发放",
    "paid": "已发放",
}
OVERDUE_STATUS = "逾期未发放"
YES, NO = "是", "否"


@dataclass(frozen=True)
class ClaimLine:
    """One claim with the names a clerk reads."""

    lawyer: str
    firm: str
    procuratorate_unit: str | None
    document_number: str | None
    """The notice-of-defense letter's number; none for an aid granted on an application."""
    stage: str
    case_kind: str
    standard_fen: int | None
    status: str
    overdue: bool
    opened_at: datetime
    materials_submitted_at: datetime | None
    approved_fen: int | None
    reduction_reason: str | None
    approved_at: datetime | None
    due_on: date | None
    paid_fen: int | None
    paid_on: date | None
    reference: str | None
    paid_late: bool | None
    paid_short: bool | None


def _yuan(header: str) -> Column:
    return Column(header, YUAN_FORMAT)


CLAIM_COLUMNS = (
    Column("律师"),
    Column("律师事务所"),
    Column("检察院"),
    Column("通知辩护公函文号"),
    Column("诉讼阶段"),
    Column("案件类别"),
    _yuan("补贴标准（元）"),
    Column("状态"),
    Column("办结时间"),
    Column("结案材料提交时间"),
    Column("审核时间"),
    _yuan("核定金额（元）"),
    Column("核减理由"),
    Column("应发放日期"),
    Column("发放日期"),
    _yuan("发放金额（元）"),
    Column("发放凭证号"),
    Column("逾期发放"),
    Column("未足额发放"),
)

FIGURE_COLUMNS: tuple[tuple[Column, Callable[[SubsidyFigures], object]], ...] = (
    (Column("核定件数"), lambda f: f.approved_count),
    (_yuan("核定金额（元）"), lambda f: yuan(f.approved_fen)),
    (Column("待发放件数"), lambda f: f.owed_count),
    (_yuan("待发放金额（元）"), lambda f: yuan(f.owed_fen)),
    (Column("逾期未发放件数"), lambda f: f.overdue_count),
    (_yuan("逾期未发放金额（元）"), lambda f: yuan(f.overdue_fen)),
    (Column("已发放件数"), lambda f: f.paid_count),
    (_yuan("已发放金额（元）"), lambda f: yuan(f.paid_fen)),
    (Column("逾期发放件数"), lambda f: f.late_count),
    (_yuan("逾期发放金额（元）"), lambda f: yuan(f.late_fen)),
    (Column("未足额发放件数"), lambda f: f.short_count),
    (_yuan("少发金额（元）"), lambda f: yuan(f.short_fen)),
)


def _flag(value: bool | None) -> str | None:
    return None if value is None else (YES if value else NO)


def _claim_row(line: ClaimLine) -> tuple[object, ...]:
    return (
        line.lawyer,
        line.firm,
        line.procuratorate_unit,
        line.document_number or "（依申请）",
        STAGE_LABELS.get(line.stage, line.stage),
        CASE_KIND_LABELS.get(line.case_kind, line.case_kind),
        yuan(line.standard_fen),
        OVERDUE_STATUS if line.overdue else STATUS_LABELS.get(line.status, line.status),
        wall_time(line.opened_at),
        wall_time(line.materials_submitted_at),
        wall_time(line.approved_at),
        yuan(line.approved_fen),
        line.reduction_reason,
        line.due_on,
        line.paid_on,
        yuan(line.paid_fen),
        line.reference,
        _flag(line.paid_late),
        _flag(line.paid_short),
    )


def _figures_sheet(
    book: Workbook,
    title: str,
    key_columns: Sequence[Column],
    groups: Sequence[tuple[Sequence[object], SubsidyFigures]],
    total: SubsidyFigures,
) -> None:
    sheet = book.create_sheet(title)
    blank = (None,) * (len(key_columns) - 1)
    rows = [(*keys, *(value(f) for _, value in FIGURE_COLUMNS)) for keys, f in groups]
    rows.append(("合计", *blank, *(value(total) for _, value in FIGURE_COLUMNS)))
    write_table(sheet, [*key_columns, *(c for c, _ in FIGURE_COLUMNS)], rows)
    bold_last_row(sheet)


def subsidy_workbook(
    lines: Sequence[ClaimLine],
    statistics: SubsidyStatistics,
    *,
    lawyers: Mapping[UUID, tuple[str, str]],
    firms: Mapping[UUID, str],
    period_caption: str,
) -> bytes:
    """办案补贴明细 (one row per claim), then 按律师, 按律师事务所 and 按期间 (the approved
    claims' figures, and the total)."""
    book = Workbook()
    detail = book.active
    detail.title = "办案补贴明细"
    write_table(detail, CLAIM_COLUMNS, [_claim_row(line) for line in lines])
    _figures_sheet(
        book,
        "按律师",
        [Column("律师"), Column("律师事务所")],
        [
            (lawyers.get(lawyer_id, ("", "")), figures)
            for lawyer_id, figures in sorted(
                statistics.by_lawyer.items(), key=lambda item: lawyers.get(item[0], ("", ""))
            )
        ],
        statistics.total,
    )
    _figures_sheet(
        book,
        "按律师事务所",
        [Column("律师事务所")],
        [
            ((firms.get(firm_id, ""),), figures)
            for firm_id, figures in sorted(
                statistics.by_firm.items(), key=lambda item: firms.get(item[0], "")
            )
        ],
        statistics.total,
    )
    _figures_sheet(
        book,
        "按期间",
        [Column(f"期间（{period_caption}）")],
        [((period,), figures) for period, figures in statistics.by_period.items()],
        statistics.total,
    )
    return workbook_bytes(book)
