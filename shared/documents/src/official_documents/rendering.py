"""Filling a DOCX template (docxtpl: Jinja tags in the document's text) with a document's
fields. The template is a file: the bundled one, or the replacement a setting names, so staff
restyle a document without a release."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn
from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined


class TemplateError(RuntimeError):
    """The template could not be read or filled (a missing file, a tag naming no field)."""


def template_path(replacement: Path | None, bundled: Path) -> Path:
    """The template in force: the configured replacement if any, else the bundled one."""
    return replacement if replacement is not None else bundled


def render_docx(template: Path, fields: Mapping[str, object]) -> bytes:
    """The template with its tags filled. Strict: a tag naming a field the document does not
    have is an error, not a silent blank on a document someone will seal."""
    if not template.is_file():
        raise TemplateError(f"the document template {template} does not exist")
    try:
        document = DocxTemplate(str(template))
        document.render(dict(fields), jinja_env=_environment(), autoescape=True)
    except Exception as error:  # jinja2 and docx errors alike: the template is at fault
        raise TemplateError(
            f"the document template {template} cannot be filled: {error}"
        ) from error
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _environment() -> Environment:
    return Environment(undefined=StrictUndefined, autoescape=True)


def docx_text(data: bytes) -> str:
    """The text of a DOCX, body paragraphs, table cells and footers, line by line (for checks
    and for tests: what a reader of the document sees, in order)."""
    document = Document(io.BytesIO(data))
    lines: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append("".join(t.text or "" for t in block.iter(qn("w:t"))))
        elif tag == "tbl":
            for paragraph in block.iter(qn("w:p")):
                lines.append("".join(t.text or "" for t in paragraph.iter(qn("w:t"))))
    for section in document.sections:
        lines.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(lines)
