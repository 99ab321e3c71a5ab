"""XLSX workbooks staff filter, read and print: one way to lay out a table on a sheet for every
service (the procuratorate's ledger, the aid center's subsidy export).

A sheet gets a bold header row (frozen, repeated on every printed page, with an autofilter),
dates and times as real date cells in Beijing wall time, columns as wide as their text with a
CJK character counted as two of Excel's width units (longer text wraps), and landscape A4
fitted to the page width with 第 N 页，共 M 页 in the footer."""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

WALL_TIME = ZoneInfo("Asia/Shanghai")
"""The time a clerk reads: worksheets hold wall times without a zone."""

DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.0%"
YUAN_FORMAT = "#,##0.00"
MAX_WIDTH = 48  # wider text wraps
HEADER_WIDTH = 10
HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")


@dataclass(frozen=True)
class Column:
    header: str
    number_format: str | None = None


def wall_time(instant: datetime | None) -> datetime | None:
    """The instant in Beijing time, as a datetime cell can hold it (no zone)."""
    return instant.astimezone(WALL_TIME).replace(tzinfo=None) if instant else None


def cells(*values: object) -> tuple[object, ...]:
    """Text as a worksheet can hold it: XML forbids most control characters, and text that came
    from another agency's system may carry them."""
    return tuple(
        ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value
        for value in values
    )


def display_width(value: object) -> float:
    """How many of Excel's width units (the width of "0") the value takes."""
    if isinstance(value, datetime):
        return 18
    if isinstance(value, date):
        return 12
    if isinstance(value, float):
        return 8
    text = "" if value is None else str(value)
    # A CJK character takes two columns of Excel's width unit.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def write_table(
    sheet: Worksheet,
    columns: Sequence[Column],
    rows: Iterable[Sequence[object]],
    *,
    title: str | None = None,
) -> None:
    """A sheet a clerk can filter, read and print: header frozen and repeated on every printed
    page, autofilter, dates and times as date cells, each column's number format, columns as
    wide as their text (longer text wraps), landscape A4 fitted to the page width."""
    header_row = 1
    if title:
        sheet.append([title])
        sheet.cell(1, 1).font = Font(bold=True, size=14)
        sheet.row_dimensions[1].height = 24
        header_row = 2
    sheet.append([c.header for c in columns])
    # A long header wraps (the header row wraps) rather than widening a column of numbers.
    widths = [min(display_width(c.header), HEADER_WIDTH) for c in columns]
    for row in rows:
        sheet.append(cells(*row))
        for index, value in enumerate(row):
            widths[index] = max(widths[index], display_width(value))
    last = sheet.max_row
    final_widths = [min(width + 2, MAX_WIDTH) for width in widths]
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = final_widths[index - 1]
        wrap = widths[index - 1] + 2 > MAX_WIDTH
        for (cell,) in sheet.iter_rows(
            min_row=header_row + 1, max_row=last, min_col=index, max_col=index
        ):
            if isinstance(cell.value, datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
            elif column.number_format:
                cell.number_format = column.number_format
            cell.alignment = Alignment(vertical="top", wrap_text=wrap)
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    # Neither Excel nor LibreOffice grows a row for wrapped text when it opens a file: the
    # header's height is set for the longest header's lines.
    header_lines = max(
        math.ceil(
            display_width(c.header) / (sheet.column_dimensions[get_column_letter(i)].width - 1)
        )
        for i, c in enumerate(columns, start=1)
    )
    sheet.row_dimensions[header_row].height = 15 * header_lines
    sheet.freeze_panes = sheet.cell(header_row + 1, 1).coordinate
    end = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A{header_row}:{end}{max(last, header_row)}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    setup = sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.fitToWidth = 1
    setup.fitToHeight = 0  # as many pages down as it takes
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"


def bold_last_row(sheet: Worksheet) -> None:
    """A total row stands out."""
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)


def workbook_bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def yuan(fen: int | None) -> float | None:
    """Integer fen as yuan for a cell shown with two decimals (``YUAN_FORMAT``): exact, since
    every amount below 2**53 fen is a float whose hundredths round back to the fen."""
    return None if fen is None else fen / 100
