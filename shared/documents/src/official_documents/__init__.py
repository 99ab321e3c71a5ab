"""Official documents after GB/T 9704-2012: the layout of the bundled DOCX templates, filling a
template (docxtpl), PDF by LibreOffice headless, 成文日期 in Chinese and download names; and the
one layout of an XLSX table staff filter and print (``official_documents.workbook``)."""

from official_documents.dates import chinese_date
from official_documents.downloads import content_disposition
from official_documents.pdf import PdfConverter, PdfUnavailable, converter
from official_documents.rendering import TemplateError, docx_text, render_docx, template_path

__all__ = [
    "PdfConverter",
    "PdfUnavailable",
    "TemplateError",
    "chinese_date",
    "content_disposition",
    "converter",
    "docx_text",
    "render_docx",
    "template_path",
]
