"""The pure parts of official documents: 成文日期 in Chinese, download names, template filling."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import pytest
from docx import Document
from hypothesis import given
from hypothesis import strategies as st

from official_documents import TemplateError, chinese_date, content_disposition, render_docx
from official_documents.dates import DIGITS
from official_documents.layout import STYLE_BODY, OfficialDocumentTemplate


@pytest.mark.parametrize(
    ("day", "written"),
    [
        (date(2026, 11, 30), "二〇二六年十一月三十日"),
        (date(2020, 1, 1), "二〇二〇年一月一日"),
        (date(2023, 3, 10), "二〇二三年三月十日"),
        (date(2019, 12, 21), "二〇一九年十二月二十一日"),
    ],
)
def test_date_of_issue_is_written_in_chinese_numerals(day: date, written: str) -> None:
    assert chinese_date(day) == written


def _read_back(written: str) -> date:
    year, rest = written.split("年")
    month, rest = rest.split("月")

    def number(text: str) -> int:
        if "十" not in text:
            return DIGITS.index(text)
        tens, _, units = text.partition("十")
        return 10 * (DIGITS.index(tens) if tens else 1) + (DIGITS.index(units) if units else 0)

    return date(int("".join(str(DIGITS.index(c)) for c in year)), number(month), number(rest[:-1]))


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_every_date_reads_back_as_itself(day: date) -> None:
    written = chinese_date(day)
    assert re.fullmatch(
        r"[〇一二三四五六七八九]{4}年[一二三四五六七八九十]+月[一二三四五六七八九十]+日", written
    )
    assert _read_back(written) == day


def test_download_name_is_chinese_in_filename_star_with_an_ascii_fallback() -> None:
    name = "通知辩护公函-津河东检〔2026〕12号-王小明.docx"
    header = content_disposition(name, "notice-2026-12.docx")
    assert header.startswith("attachment; filename=\"notice-2026-12.docx\"; filename*=UTF-8''")
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert re.fullmatch(r"[A-Za-z0-9%!#$&+\-.^_`|~]+", encoded)
    assert unquote(encoded) == name


@given(st.text(max_size=40), st.text(max_size=40))
def test_any_name_gives_a_header_without_quotes_breaking_out(name: str, fallback: str) -> None:
    header = content_disposition(name, fallback)
    ascii_part = header.split("; filename*=", 1)[0]
    assert header.isascii()
    assert ascii_part.count('"') == 2
    assert "/" not in unquote(header.split("filename*=UTF-8''", 1)[1])


def _template(tmp_path: Path, text: str) -> Path:
    doc = OfficialDocumentTemplate()
    doc.paragraph(text, STYLE_BODY)
    path = tmp_path / "template.docx"
    doc.save(path)
    return path


def test_template_tags_are_filled_and_the_page_is_a4_with_the_standard_margins(
    tmp_path: Path,
) -> None:
    filled = render_docx(_template(tmp_path, "犯罪嫌疑人{{ name }}"), {"name": "王<小>明"})
    document = Document(io.BytesIO(filled))
    assert document.paragraphs[0].text == "犯罪嫌疑人王<小>明"
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(m.mm) for m in margins] == [37, 35, 28, 26]


def test_a_tag_naming_no_field_is_an_error_not_a_blank(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="cannot be filled"):
        render_docx(_template(tmp_path, "{{ nickname }}"), {"name": "王小明"})


def test_a_missing_template_file_is_a_template_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="does not exist"):
        render_docx(tmp_path / "nowhere.docx", {})
