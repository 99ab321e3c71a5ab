"""The letter as a DOCX laid out like the annex form (python-docx). Pure: letter in, bytes out."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from defense_schemas.events.procuratorate import NoticeOfDefenseLetter
from procuratorate.domain.letter import TITLE, letter_lines

FONT = "SimSun"  # 宋体: East Asian text needs the eastAsia font attribute to render in Word


def _run(paragraph, text: str, *, size: int = 14, bold: bool = False):  # type: ignore[no-untyped-def]
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    return run


def letter_docx(letter: NoticeOfDefenseLetter) -> bytes:
    document = Document()
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(title, TITLE, size=18, bold=True)
    number = document.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _run(number, letter.document_number.text)
    lines = letter_lines(letter)
    addressee, body, *fields, unit, copy = lines
    _run(document.add_paragraph(), addressee)
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Pt(28)
    _run(paragraph, body)
    for line in fields:
        _run(document.add_paragraph(), line)
    signature = document.add_paragraph()
    signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _run(signature, unit)
    _run(document.add_paragraph(), copy, size=12)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
