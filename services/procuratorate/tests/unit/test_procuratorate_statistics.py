"""The ledger's unified statistical definitions, with tables of cases, and the XLSX layout."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from defense_schemas.vocabulary import DefenseStatus, Ground
from procuratorate.domain.ledger import (
    CLOCK_HEADERS,
    LEDGER_HEADERS,
    LedgerClock,
    LedgerDefender,
    LedgerLine,
    ledger_workbook,
)
from procuratorate.domain.statistics import (
    Appointment,
    ClockRecord,
    Granularity,
    SuspectRecord,
    compute_statistics,
    group_statistics,
    period_label,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DUE = datetime(2026, 3, 5, 16, tzinfo=UTC)  # 2026-03-06 00:00 Asia/Shanghai


def clock(kind: str, met: datetime | None, *, cancelled: bool = False, **kw: object) -> ClockRecord:
    return ClockRecord(kind=kind, closes_at=DUE, met_at=met, cancelled=cancelled, **kw)  # type: ignore[arg-type]


ON_TIME = datetime(2026, 3, 4, tzinfo=UTC)
LATE = datetime(2026, 3, 7, tzinfo=UTC)


def record(
    status: DefenseStatus, scope: bool = True, *clocks: ClockRecord, **kw: object
) -> SuspectRecord:
    return SuspectRecord(
        district=str(kw.pop("district", "河东区")),
        status=status,
        in_mandatory_scope=scope,
        clocks=clocks,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("statuses_and_scope", "covered", "mandatory", "mandatory_covered"),
    [
        # Every status but `none` covers; duty-lawyer help does not satisfy the mandatory scope.
        ([(DefenseStatus.RETAINED, True)], 1, 1, 1),
        ([(DefenseStatus.APPOINTED_ON_NOTICE, True)], 1, 1, 1),
        ([(DefenseStatus.APPOINTED_ON_APPLICATION, False)], 1, 0, 0),
        ([(DefenseStatus.SELF_DEFENSE, True)], 1, 1, 1),
        ([(DefenseStatus.DUTY_LAWYER_ONLY, True)], 1, 1, 0),
        ([(DefenseStatus.DUTY_LAWYER_ONLY, False)], 1, 0, 0),
        ([(DefenseStatus.NONE, True)], 0, 1, 0),
        ([(DefenseStatus.NONE, False), (DefenseStatus.RETAINED, False)], 1, 0, 0),
    ],
)
def test_coverage_definitions(
    statuses_and_scope: list[tuple[DefenseStatus, bool]],
    covered: int,
    mandatory: int,
    mandatory_covered: int,
) -> None:
    stats = compute_statistics([record(s, scope) for s, scope in statuses_and_scope], NOW)
    assert (stats.covered, stats.mandatory_scope, stats.mandatory_covered) == (
        covered,
        mandatory,
        mandatory_covered,
    )
    assert stats.coverage_rate == covered / len(statuses_and_scope)


def test_empty_statistics_have_no_rates() -> None:
    stats = compute_statistics([], NOW)
    assert stats.suspects == 0
    assert stats.coverage_rate is None and stats.mandatory_coverage_rate is None
    assert stats.clocks == [] and stats.terminations == {} and stats.lawyer_workload == []


def test_on_time_rate_per_clock_kind() -> None:
    records = [
        record(
            DefenseStatus.NONE,
            True,
            clock("rights_notification", ON_TIME),
            clock("notice_dispatch", None),  # open past its close: overdue
        ),
        record(
            DefenseStatus.RETAINED,
            True,
            clock("rights_notification", LATE),  # met late
            clock("notice_dispatch", LATE, cancelled=True),  # the duty fell away: not counted
        ),
        record(DefenseStatus.NONE, False, clock("rights_notification", DUE)),  # at the close: late
    ]
    rates = {rate.kind: rate for rate in compute_statistics(records, NOW).clocks}
    rights = rates["rights_notification"]
    assert (rights.settled, rights.on_time, rights.overdue_open) == (3, 1, 0)
    assert rights.on_time_rate == pytest.approx(1 / 3)
    dispatch = rates["notice_dispatch"]
    assert (dispatch.settled, dispatch.on_time, dispatch.overdue_open) == (0, 0, 1)
    assert dispatch.on_time_rate is None
    # Before the close instant an open clock is not overdue yet.
    early = compute_statistics(records, datetime(2026, 3, 5, tzinfo=UTC))
    assert {r.kind: r.overdue_open for r in early.clocks}["notice_dispatch"] == 0


def test_a_case_clock_shared_by_co_suspects_counts_once() -> None:
    review = clock("review_period", None, clock_id=uuid.uuid4())
    stats = compute_statistics(
        [record(DefenseStatus.NONE, True, review), record(DefenseStatus.NONE, True, review)], NOW
    )
    assert [(r.kind, r.overdue_open) for r in stats.clocks] == [("review_period", 1)]


def test_terminations_by_reason_and_lawyer_workload() -> None:
    zhao, qian = "赵律师（某所）", "钱律师（另一所）"
    records = [
        record(
            DefenseStatus.RETAINED,
            True,
            terminations=("counsel_retained",),
            appointments=(Appointment(zhao, active=False),),
        ),
        record(
            DefenseStatus.APPOINTED_ON_NOTICE,
            True,
            terminations=("self_defense_permitted", "counsel_retained"),
            appointments=(Appointment(qian, active=False), Appointment(zhao, active=True)),
        ),
    ]
    stats = compute_statistics(records, NOW)
    assert stats.terminations == {"counsel_retained": 2, "self_defense_permitted": 1}
    assert [(w.lawyer, w.appointments, w.active) for w in stats.lawyer_workload] == [
        (zhao, 2, 1),
        (qian, 1, 0),
    ]
    assert stats.by_status == {"appointed_on_notice": 1, "retained": 1}


@pytest.mark.parametrize(
    ("day", "granularity", "label"),
    [
        (date(2026, 3, 2), Granularity.MONTH, "2026-03"),
        (date(2026, 3, 31), Granularity.QUARTER, "2026-Q1"),
        (date(2026, 4, 1), Granularity.QUARTER, "2026-Q2"),
        (date(2026, 12, 31), Granularity.QUARTER, "2026-Q4"),
        (date(2026, 12, 31), Granularity.YEAR, "2026"),
        (date(2026, 12, 31), Granularity.ALL, "all"),
        (None, Granularity.MONTH, "all"),
    ],
)
def test_period_labels(day: date | None, granularity: Granularity, label: str) -> None:
    assert period_label(day, granularity) == label


def test_grouped_by_district_and_period() -> None:
    records = [
        record(DefenseStatus.RETAINED, True, district="河东区", received_on=date(2026, 3, 2)),
        record(DefenseStatus.NONE, True, district="河东区", received_on=date(2026, 3, 30)),
        record(DefenseStatus.NONE, False, district="河东区", received_on=date(2026, 4, 1)),
        record(DefenseStatus.RETAINED, False, district="西青区", received_on=date(2026, 3, 9)),
    ]
    groups = group_statistics(records, NOW, Granularity.MONTH)
    assert [
        (g.district, g.period, g.statistics.suspects, g.statistics.covered) for g in groups
    ] == [
        ("河东区", "2026-03", 2, 1),
        ("河东区", "2026-04", 1, 0),
        ("西青区", "2026-03", 1, 1),
    ]
    quarters = group_statistics(records, NOW, Granularity.QUARTER)
    assert [(g.district, g.period, g.statistics.suspects) for g in quarters] == [
        ("河东区", "2026-Q1", 2),
        ("河东区", "2026-Q2", 1),
        ("西青区", "2026-Q1", 1),
    ]


def _ledger_line(*clocks: LedgerClock) -> LedgerLine:
    received = datetime(2026, 3, 2, 1, tzinfo=UTC)
    return LedgerLine(
        case_id=uuid.uuid4(),
        transfer_number="津公东诉字〔2026〕1号",
        procuratorate_unit="天津市河东区人民检察院",
        district="河东区",
        received_at=received,
        review_status="under_review",
        review_deadline=date(2026, 4, 2),
        suspect_id=uuid.uuid4(),
        suspect_name="王小明",
        defense_status=DefenseStatus.APPOINTED_ON_NOTICE,
        grounds=(Ground.MINOR,),
        current_defender=LedgerDefender(
            kind="appointed_on_notice",
            name="赵律师",
            firm="天津某某律师事务所",
            contact=None,
            started_at=received,
            reply_number="津河东援函〔2026〕3号",
        ),
        clocks=clocks,
    )


def _clock(kind: str, subject: str | None, **changes: object) -> LedgerClock:
    values: dict[str, object] = {
        "clock_id": uuid.uuid4(),
        "scope": "suspect",
        "kind": kind,
        "subject": subject,
        "trigger_on": date(2026, 3, 3),
        "due_on": date(2026, 3, 6),
        "closes_at": datetime(2026, 3, 6, 16, tzinfo=UTC),
        "provisional": False,
        "met_at": None,
        "outcome": None,
        "overdue": True,
    }
    return LedgerClock(**{**values, **changes})  # type: ignore[arg-type]


def _workbook(*lines: LedgerLine, title: str | None = None):  # type: ignore[no-untyped-def]
    records = [line.record() for line in lines]
    stats = compute_statistics(records, NOW)
    data = ledger_workbook(lines, [("河东区", "2026-03", stats)], total=stats, title=title)
    return load_workbook(io.BytesIO(data))


def test_ledger_workbook_has_chinese_headers_and_a_row_per_suspect() -> None:
    overdue = _clock("notice_dispatch", "decision")
    workbook = _workbook(_ledger_line(overdue))
    assert workbook.sheetnames == ["工作台账", "期限明细", "统计", "律师承办量"]
    rows = list(workbook["工作台账"].iter_rows(values_only=True))
    assert rows[0] == LEDGER_HEADERS
    # 09:00 in Beijing as a real datetime cell, the review deadline as a date cell.
    assert rows[1][:6] == (
        "天津市河东区人民检察院",
        "河东区",
        "津公东诉字〔2026〕1号",
        datetime(2026, 3, 2, 9, 0),
        "审查起诉中",
        datetime(2026, 4, 2, 0, 0),
    )
    assert rows[1][6:11] == ("王小明", "通知辩护", "未成年人", "赵律师", "天津某某律师事务所")
    # The center's reply that named the lawyer (函告), by its number.
    assert rows[1][11] == "津河东援函〔2026〕3号"
    assert rows[1][12] == "送达通知辩护公函 2026-03-06 已超期" and rows[1][13] == "是"
    sheet = workbook["工作台账"]
    assert sheet["D2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["F2"].number_format == "yyyy-mm-dd"
    clocks = list(workbook["期限明细"].iter_rows(values_only=True))
    assert clocks[0] == CLOCK_HEADERS
    assert clocks[1][2:4] == ("送达通知辩护公函", "不委托辩护人的决定后")


def test_statistics_are_a_table_of_districts_by_measures_with_rates_as_percentages() -> None:
    workbook = _workbook(
        _ledger_line(
            _clock("notice_dispatch", "decision"), _clock("file_review", str(uuid.uuid4()))
        )
    )
    sheet = workbook["统计"]
    header, district, total = list(sheet.iter_rows(values_only=True))
    assert header[:8] == (
        "所属区",
        "统计期间",
        "犯罪嫌疑人数",
        "已有辩护或法律帮助人数",
        "覆盖率",
        "应当通知辩护人数",
        "应当通知辩护已辩护人数",
        "应当通知辩护覆盖率",
    )
    row = dict(zip(header, district, strict=True))
    assert row["所属区"] == "河东区" and row["统计期间"] == "2026年3月"
    assert row["犯罪嫌疑人数"] == 1 and row["应当通知辩护覆盖率"] == 1.0
    assert row["通知辩护"] == 1 and row["尚无辩护人"] == 0
    assert row["送达通知辩护公函超期未办"] == 1 and row["安排阅卷超期未办"] == 1
    assert total[0] == "合计"
    rate_column = header.index("应当通知辩护覆盖率") + 1
    assert sheet.cell(2, rate_column).number_format == "0.0%"


def test_every_sheet_prints_landscape_a4_fitted_to_width_with_its_header_repeated() -> None:
    workbook = _workbook(_ledger_line(_clock("file_review", str(uuid.uuid4()))))
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), sheet.title
        assert sheet.page_setup.orientation == "landscape"
        assert int(sheet.page_setup.paperSize) == 9  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert int(sheet.page_setup.fitToWidth) == 1 and int(sheet.page_setup.fitToHeight) == 0
        assert sheet.print_title_rows == "$1:$1"


def test_columns_are_as_wide_as_their_chinese_text_and_no_cell_shows_an_id() -> None:
    line = _ledger_line(_clock("file_review", str(uuid.uuid4())))
    workbook = _workbook(line)
    sheet = workbook["工作台账"]
    # 受理单位: 11 CJK characters take 22 width units, plus a margin.
    assert sheet.column_dimensions["A"].width >= 22
    assert sheet.column_dimensions["H"].width >= 8  # 辩护状态: 4 characters
    for each in workbook.worksheets:
        for row in each.iter_rows(values_only=True):
            for value in row:
                assert not (isinstance(value, str) and UUID_TEXT.search(value)), value
                assert value not in {"under_review", "appointed_on_notice", "file_review"}


def test_a_monthly_report_has_its_title_above_the_statistics_sheet_first() -> None:
    title = "天津市河东区人民检察院审查起诉阶段律师辩护全覆盖工作统计表（2026年3月）"
    workbook = _workbook(_ledger_line(), title=title)
    assert workbook.sheetnames[0] == "统计" and workbook.active.title == "统计"
    sheet = workbook["统计"]
    assert sheet["A1"].value == title and sheet["A2"].value == "所属区"
    assert sheet.freeze_panes == "A3" and sheet.print_title_rows == "$2:$2"
    assert sheet.auto_filter.ref.startswith("A2:")


def test_ledger_workbook_keeps_a_row_whose_text_has_control_characters() -> None:
    line = LedgerLine(
        case_id=uuid.uuid4(),
        transfer_number="津公东诉字〔2026〕2号",
        procuratorate_unit="天津市河东区人民检察院",
        district="河东区",
        received_at=datetime(2026, 3, 2, 1, tzinfo=UTC),
        review_status="under_review",
        review_deadline=date(2026, 4, 2),
        suspect_id=uuid.uuid4(),
        suspect_name="王\x01小明",  # as another agency's system sent it
        defense_status=DefenseStatus.NONE,
        grounds=(),
        current_defender=None,
        clocks=(),
    )
    workbook = load_workbook(io.BytesIO(ledger_workbook([line])))
    rows = list(workbook["工作台账"].iter_rows(values_only=True))
    assert rows[1][6] == "王\ufffd小明"
