"""The layout of an official document after GB/T 9704-2012 (党政机关公文格式), for building the
bundled DOCX templates. Staff restyle a template in Word or LibreOffice (the named styles below)
and point the service's template setting at their copy; this module only makes the default.

What the standard prescribes and where it is here:
- A4 paper; 天头 37 mm, 订口 28 mm, 版心 156 × 225 mm (so 35 mm below and 26 mm on the right);
- 22 lines of 28 characters: a line grid of 225 mm / 22 = 28.95 pt, body in 3号 (16 pt);
- title in 2号 小标宋, centered; body 3号 仿宋; level-1 headings 黑体, level-2 楷体;
- 主送机关 flush left with a full-width colon; paragraphs indented two characters;
- signature and 成文日期 on the right, the seal pressing on both (印章 above them, within a line of
  the text); page number 4号 半角 with em dashes (— 1 —), a character in from the edge;
- the fonts are named as the standard's (方正小标宋简体, 仿宋_GB2312, 黑体, 楷体_GB2312); the
  font table declares the East-Asian fallbacks Word substitutes where they are missing, and the
  PDF converter maps them to installed CJK fonts (see `pdf.FONTCONFIG`).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_1_FONT = "黑体"
HEADING_2_FONT = "楷体_GB2312"
NUMBER_FONT = "宋体"  # page numbers: 4号 半角宋体阿拉伯数字

FALLBACKS: dict[str, str] = {
    # font as the standard names it → the font Word substitutes (present on every Chinese
    # Windows), declared as w:altName in the template's font table
    TITLE_FONT: "宋体",
    BODY_FONT: "仿宋",
    HEADING_1_FONT: "SimHei",
    HEADING_2_FONT: "楷体",
    NUMBER_FONT: "SimSun",
}

SIZE_2 = Pt(22)  # 二号
SIZE_3 = Pt(16)  # 三号
SIZE_4 = Pt(14)  # 四号
LINE_PITCH = Pt(28.95)  # 225 mm / 22 lines
CHAR = 16  # one character of body text, in points (indents are counted in characters)
CHAR_SPACING_TWIPS = -5  # -0.25 pt: 156 mm / (16 pt - 0.25 pt) = 28 characters

STYLE_TITLE = "公文标题"
STYLE_NUMBER = "发文字号"
STYLE_ADDRESSEE = "主送机关"
STYLE_BODY = "公文正文"
STYLE_FIELD = "公文栏目"
STYLE_HEADING_1 = "一级标题"
STYLE_HEADING_2 = "二级标题"
STYLE_SEAL = "印章位置"
STYLE_SIGNATURE = "发文机关署名"
STYLE_DATE = "成文日期"
STYLE_PAGE_NUMBER = "页码"


def _fonts(rpr_owner: object, font: str) -> None:
    """Name the font for every script: East-Asian text needs `w:eastAsia`."""
    rpr = rpr_owner.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), font)


PPR_ORDER = (
    "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers "
    "pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE "
    "autoSpaceDN bidi adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents "
    "suppressOverlap jc textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle "
    "rPr sectPr pPrChange"
).split()
RPR_ORDER = (
    "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint "
    "noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u "
    "effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath"
).split()
TBLPR_ORDER = (
    "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc "
    "tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook"
).split()


def _insert_in_order(parent: Any, child: Any, order: list[str]) -> None:
    """Insert where the schema wants it: Word rejects a document whose elements are out of
    their sequence."""
    name = child.tag.rsplit("}", 1)[-1]
    later = set(order[order.index(name) + 1 :])
    for existing in parent:
        if existing.tag.rsplit("}", 1)[-1] in later:
            existing.addprevious(child)
            return
    parent.append(child)


class OfficialDocumentTemplate:
    """A DOCX in the standard's page setup with its named styles; paragraphs are added in the
    order the document reads, their text may hold docxtpl (Jinja) tags."""

    def __init__(self) -> None:
        self.document = Document()
        self._page()
        self._styles()
        self._page_number()

    # -- setup

    def _page(self) -> None:
        section = self.document.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        section.header_distance = Mm(15)
        # The page number's line sits 7 mm under the type area.
        section.footer_distance = Mm(22)
        grid = section._sectPr.find(qn("w:docGrid"))
        grid.set(qn("w:type"), "lines")
        grid.set(qn("w:linePitch"), str(round(LINE_PITCH.pt * 20)))

    def _styles(self) -> None:
        styles = self.document.styles
        normal = styles["Normal"]
        normal.font.size = SIZE_3
        _fonts(normal.element, BODY_FONT)
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), "en-US")
        lang.set(qn("w:eastAsia"), "zh-CN")
        normal.element.get_or_add_rPr().append(lang)
        # 28 characters to a 156 mm line: 3号 characters 0.25 pt closer than their size, which
        # is what Word's character grid does for the standard's templates.
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:val"), str(CHAR_SPACING_TWIPS))
        _insert_in_order(normal.element.get_or_add_rPr(), spacing, RPR_ORDER)
        fmt = normal.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = LINE_PITCH
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.widow_control = False

        def paragraph_style(name: str, font: str = BODY_FONT, size: Pt = SIZE_3):  # type: ignore[no-untyped-def]
            style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.base_style = normal
            style.quick_style = True
            style.font.size = size
            _fonts(style.element, font)
            return style

        title = paragraph_style(STYLE_TITLE, TITLE_FONT, SIZE_2)
        title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        title.paragraph_format.keep_with_next = True
        number = paragraph_style(STYLE_NUMBER)
        number.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph_style(STYLE_ADDRESSEE)
        body = paragraph_style(STYLE_BODY)
        body.paragraph_format.first_line_indent = Pt(2 * CHAR)
        body.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        field = paragraph_style(STYLE_FIELD)
        field.paragraph_format.first_line_indent = Pt(2 * CHAR)
        for name, font in ((STYLE_HEADING_1, HEADING_1_FONT), (STYLE_HEADING_2, HEADING_2_FONT)):
            heading = paragraph_style(name, font)
            heading.paragraph_format.first_line_indent = Pt(2 * CHAR)
            heading.paragraph_format.keep_with_next = True
        seal = paragraph_style(STYLE_SEAL, BODY_FONT, SIZE_4)
        seal.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        seal.paragraph_format.keep_with_next = True
        seal.font.color.rgb = RGBColor(0xA0, 0xA0, 0xA0)
        signature = paragraph_style(STYLE_SIGNATURE)
        signature.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        signature.paragraph_format.keep_with_next = True
        date = paragraph_style(STYLE_DATE)
        date.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        page_number = paragraph_style(STYLE_PAGE_NUMBER, NUMBER_FONT, SIZE_4)
        page_number.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        page_number.paragraph_format.right_indent = Pt(SIZE_4.pt)
        page_number.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE

    def footer(self, copy_mark: str) -> None:
        """The copy mark (第x联 and where the copy goes) at the left of the page number's line:
        outside the type area's 22 lines, so a one-page letter stays on one page."""
        paragraph = self.document.sections[0].footer.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
        paragraph.paragraph_format.tab_stops.add_tab_stop(
            Mm(156) - Pt(SIZE_4.pt), WD_TAB_ALIGNMENT.RIGHT
        )
        paragraph.paragraph_format.right_indent = Pt(0)
        mark = paragraph.runs[0]._r.addprevious  # the mark goes before the page number
        run = copy.deepcopy(paragraph.runs[0]._r)
        mark(run)
        paragraph.runs[0].text = f"{copy_mark}\t"

    def _page_number(self) -> None:
        footer = self.document.sections[0].footer
        paragraph = footer.paragraphs[0]
        paragraph.style = self.document.styles[STYLE_PAGE_NUMBER]
        paragraph.add_run("— ")
        field = parse_xml(
            f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'
        )
        paragraph._p.append(field)
        paragraph._p.append(copy.deepcopy(paragraph.runs[0]._r))
        paragraph.runs[-1].text = " —"

    # -- content

    def paragraph(self, text: str, style: str) -> Paragraph:
        return self.document.add_paragraph(text, style=style)

    def blank(self, lines: int = 1) -> None:
        for _ in range(lines):
            self.document.add_paragraph("", style=STYLE_BODY)

    def signature_block(self, seal: str, signature: str, date: str) -> None:
        """The seal's place, the issuing unit and 成文日期 in one borderless cell at the right:
        the date 右空四字, the unit centered on the date (以成文日期为准居中), the seal over
        both (GB/T 9704-2012 §7.3.5.1). A cell keeps them centered whatever their length."""
        table = self.document.add_table(rows=1, cols=1)
        table.alignment = WD_TABLE_ALIGNMENT.RIGHT
        table.autofit = False
        cell = table.rows[0].cells[0]
        for index, (text, style) in enumerate(
            ((seal, STYLE_SEAL), (signature, STYLE_SIGNATURE), (date, STYLE_DATE))
        ):
            paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
            paragraph.text = text
            paragraph.style = self.document.styles[style]
        # The cell's text ends four characters in from the type area's edge: 右空四字.
        margins = parse_xml(
            f"<w:tblCellMar {nsdecls('w')}>"
            '<w:left w:w="0" w:type="dxa"/>'
            f'<w:right w:w="{4 * CHAR * 20}" w:type="dxa"/>'
            "</w:tblCellMar>"
        )
        _insert_in_order(table._tbl.tblPr, margins, TBLPR_ORDER)
        width = Pt(17 * CHAR)
        table.columns[0].width = width
        cell.width = width
        table_width = table._tbl.tblPr.find(qn("w:tblW"))
        table_width.set(qn("w:w"), str(int(width.pt * 20)))
        table_width.set(qn("w:type"), "dxa")

    def save(self, path: Path) -> None:
        self._declare_fallbacks()
        self.document.core_properties.author = ""
        self.document.save(str(path))

    def _declare_fallbacks(self) -> None:
        part = next(
            p
            for p in self.document.part.package.iter_parts()
            if str(p.partname) == "/word/fontTable.xml"
        )
        table = parse_xml(part.blob)
        for name, alternative in FALLBACKS.items():
            font = OxmlElement("w:font")
            font.set(qn("w:name"), name)
            alt = OxmlElement("w:altName")
            alt.set(qn("w:val"), alternative)
            font.append(alt)
            charset = OxmlElement("w:charset")
            charset.set(qn("w:val"), "86")  # GB2312: the family Word falls back within
            font.append(charset)
            table.append(font)
        from lxml import etree

        part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)  # type: ignore[attr-defined]
