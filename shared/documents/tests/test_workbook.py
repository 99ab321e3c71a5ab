"""One way to lay out an XLSX table: widths counted for CJK text, wall times, amounts in yuan."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from official_documents.workbook import (
    YUAN_FORMAT,
    Column,
    display_width,
    wall_time,
    workbook_bytes,
    write_table,
    yuan,
)


def _written(columns: list[Column], rows: list[tuple[object, ...]]) -> Workbook:
    book = Workbook()
    write_table(book.active, columns, rows, title="补贴发放表")
    return load_workbook(io.BytesIO(workbook_bytes(book)))


def test_a_cjk_character_counts_two_width_units() -> None:
    assert display_width("律师事务所") == 10
    assert display_width("A1") == 2
    assert display_width("津河东财付〔2026〕88号") == 2 * 8 + 6


def test_a_table_under_its_title_with_wall_times_yuan_and_a_frozen_filtered_header() -> None:
    instant = datetime(2026, 4, 3, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
    book = _written(
        [Column("律师"), Column("批准金额（元）", YUAN_FORMAT), Column("批准时间")],
        [("张三\x07", yuan(120050), wall_time(instant))],
    )
    sheet = book.active
    assert sheet["A1"].value == "补贴发放表"
    assert [c.value for c in sheet[2]] == ["律师", "批准金额（元）", "批准时间"]
    assert sheet["A3"].value == "张三\ufffd"  # a control character XML cannot hold
    assert sheet["B3"].value == 1200.5 and sheet["B3"].number_format == YUAN_FORMAT
    assert sheet["C3"].value == datetime(2026, 4, 3, 10, 0)
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == "A2:C3"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.column_dimensions["A"].width >= 6  # 张三 and a margin


@given(st.integers(min_value=0, max_value=10**12))
def test_yuan_shows_the_fen_exactly_with_two_decimals(fen: int) -> None:
    amount = yuan(fen)
    assert amount is not None
    assert f"{amount:.2f}" == f"{fen // 100}.{fen % 100:02d}"


def test_dates_stay_dates() -> None:
    book = _written([Column("应付日")], [(date(2026, 5, 3),)])
    assert book.active["A3"].value == datetime(2026, 5, 3)
    assert book.active["A3"].number_format == "yyyy-mm-dd"
