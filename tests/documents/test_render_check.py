"""The render check: every document the services issue, rendered to PDF by LibreOffice headless
as a clerk's would be, then read back: the paper (A4, portrait or landscape), the number of
pages, and every field's text (pdftotext). The pages are also written as PNG under
`build/rendered-documents/` (git-ignored) for a person to look at.

Needs Debian's libreoffice-writer-nogui, libreoffice-calc-nogui, fonts-noto-cjk and
poppler-utils (`deploy/local/install.sh` installs them); skipped, saying so, without them."""

from __future__ import annotations

import asyncio
import io
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from aid_center.documents.reply import Reply, reply_docx
from aid_center.documents.subsidy_workbook import ClaimLine, subsidy_workbook
from aid_center.domain.subsidies import (
    ApprovedClaim,
    Granularity,
    PeriodBasis,
    subsidy_statistics,
)
from defense_schemas.examples import LETTER
from defense_schemas.vocabulary import DefenseStatus, Ground
from official_documents import PdfConverter, chinese_date
from official_documents.layout import BODY_FONT, HEADING_1_FONT, NUMBER_FONT, TITLE_FONT
from procuratorate.documents.letter import letter_docx
from procuratorate.domain.ledger import LedgerClock, LedgerDefender, LedgerLine, ledger_workbook
from procuratorate.domain.statistics import compute_statistics

OUTPUT = Path(__file__).resolve().parents[2] / "build" / "rendered-documents"
A4_PORTRAIT = (595, 842)  # points, rounded
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
ISSUED = date(2026, 11, 30)

pytestmark = pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftotext") and shutil.which("pdftoppm")),
    reason="the render check needs LibreOffice and poppler-utils (deploy/local/install.sh)",
)


@dataclass(frozen=True)
class Expected:
    name: str
    document: bytes
    pages: int
    landscape: bool
    fields: tuple[str, ...]


def _long_letter_fields() -> dict[str, object]:
    """An adult on both bases with the longest text a real letter is likely to carry."""
    return {
        "suspect_name": "欧阳某某",
        "charges": ("故意伤害罪", "寻衅滋事罪"),
        "grounds": (
            Ground.VISUAL_HEARING_OR_SPEECH_DISABILITY,
            Ground.POSSIBLE_SENTENCE_3_YEARS_OR_MORE,
            Ground.GUILT_NOT_ADMITTED,
        ),
        "place_of_detention_or_residence": "天津市河东区看守所（天津市河东区津塘路某某号）",
        "guardian": None,
        "suspect_contact": "天津市河东区某某街道某某里12号楼3门401室，电话13900000002",
    }


def documents() -> Iterator[Expected]:
    minor = LETTER
    yield Expected(
        "letter-minor.docx",
        letter_docx(minor, ISSUED),
        pages=1,
        landscape=False,
        fields=(
            "天津市河东区人民检察院通知辩护公函",
            "津河东检〔2026〕12号",
            "天津市河东区法律援助中心：",
            "犯罪嫌疑人李某某涉嫌盗窃罪一案，已由天津市公安局河东分局移送本院审查起诉",
            "因其属于未成年人，符合《中华人民共和国法律援助法》第二十五条第一款规定的情形",
            "请指派律师为其提供辩护。",
            "犯罪嫌疑人羁押场所或者住所：天津市河东区某街道某小区1号",
            "犯罪嫌疑人联系方式：13900000002",
            "未成年犯罪嫌疑人法定代理人：李某",
            "法定代理人联系方式：13900000003",
            f"案件承办人：{minor.case_handler.name}",
            f"案件承办人联系方式：{minor.case_handler.contact}",
            "（印章）",
            "天津市河东区人民检察院",
            "二〇二六年十一月三十日",
            "第二联送法律援助中心",
            "—1—",
        ),
    )
    adult = LETTER.model_copy(update=_long_letter_fields())
    yield Expected(
        "letter-adult-both-bases.docx",
        letter_docx(adult, ISSUED),
        pages=1,
        landscape=False,
        fields=(
            "犯罪嫌疑人欧阳某某涉嫌故意伤害罪、寻衅滋事罪一案",
            "视力、听力、言语残疾人、可能判处三年以上有期徒刑的、本人或其共同犯罪嫌疑人拒不认罪的",
            "《中华人民共和国法律援助法》第二十五条第一款规定的情形、"
            "《关于进一步深化刑事案件律师辩护全覆盖试点工作的实施办法》第二条规定的情形",
            "天津市河东区看守所（天津市河东区津塘路某某号）",
            "未成年犯罪嫌疑人法定代理人：无",
            "二〇二六年十一月三十日",
        ),
    )
    reply = Reply(
        center="天津市河东区法律援助中心",
        document_number="津河东援函〔2026〕3号",
        year=2026,
        sequence=3,
        procuratorate_unit="天津市河东区人民检察院",
        notice_number="津河东检〔2026〕12号",
        replacement=False,
        suspect_name="李某某",
        charges=("盗窃罪",),
        lawyer_name="赵某",
        firm_name="天津某某律师事务所",
        lawyer_contact="13800000001",
        assigned_at=NOW,
    )
    yield Expected(
        "reply-on-notice.docx",
        reply_docx(reply),
        pages=1,
        landscape=False,
        fields=(
            "天津市河东区法律援助中心指派通知书",
            "津河东援函〔2026〕3号",
            "天津市河东区人民检察院：",
            "你院津河东检〔2026〕12号《通知辩护公函》收悉。",
            "《中华人民共和国法律援助法》第三十六条",
            "《关于进一步深化刑事案件律师辩护全覆盖试点工作的实施办法》第四条",
            "本中心指派天津某某律师事务所赵某律师担任犯罪嫌疑人李某某（涉嫌盗窃罪）的辩护人",
            "辩护律师：赵某",
            "所属单位：天津某某律师事务所",
            "联系方式：13800000001",
            "特此函告。",
            "天津市河东区法律援助中心",
            chinese_date(ISSUED),
            "第一联送人民检察院",
        ),
    )
    on_application = Reply(**{**reply.__dict__, "notice_number": None, "replacement": True})
    yield Expected(
        "reply-on-application.docx",
        reply_docx(on_application),
        pages=1,
        landscape=False,
        fields=(
            "你院转交的犯罪嫌疑人李某某的法律援助申请收悉，经审查符合法律援助条件。",
            "《中华人民共和国法律援助法》第三十九条、第四十三条",
            "本中心另行指派天津某某律师事务所赵某律师",
        ),
    )
    lines = [_ledger_line(n) for n in range(60)]
    stats = compute_statistics([line.record() for line in lines], NOW)
    yield Expected(
        "ledger.xlsx",
        ledger_workbook(lines, [("河东区", "2026-11", stats)], total=stats),
        # 统计 (1), 工作台账 (60 rows: 2), 期限明细 (120 rows: 2), 律师承办量 (1)
        pages=6,
        landscape=True,
        fields=(
            "受理单位",
            "天津市河东区人民检察院",
            "2026-11-0209:00",
            "审查起诉中",
            "通知辩护",
            "未成年人",
            "指派函告文号",
            "津河东援函〔2026〕1号",
            "送达通知辩护公函",
            "不委托辩护人的决定后",
            "覆盖率",  # headers wrap inside their cells: the end of one
            "100.0%",
            "合计",
            "第1页，共",
        ),
    )
    title = "天津市河东区人民检察院审查起诉阶段律师辩护全覆盖工作统计表（2026年11月）"
    yield Expected(
        "monthly-report.xlsx",
        ledger_workbook(
            lines[:5],
            [("河东区", "all", stats), ("西青区", "all", stats)],
            total=stats,
            title=title,
        ),
        pages=4,  # 统计, 工作台账, 期限明细, 律师承办量: a page each
        landscape=True,
        fields=(title, "河东区", "西青区", "全部", "合计", "按期率"),
    )
    yield Expected(
        "subsidies.xlsx",
        _subsidies(),
        pages=4,  # 办案补贴明细, 按律师, 按律师事务所, 按期间: a page each
        landscape=True,
        fields=(
            "律师事务所",
            "通知辩护公函文号",
            "津河东检〔2026〕30号",
            "1,200.01",
            "未开展调查取证",
            "津河东财付〔2026〕89号",
            "逾期发放",
            "少发金额",
            "合计",
            "2026-09",
        ),
    )


def _subsidies() -> bytes:
    """The finance office's workbook: 30 claims of three lawyers, most paid, some late or
    short, some still owed."""
    lawyers = {uuid.UUID(int=n): (f"律师{n}", "天津某某律师事务所") for n in (1, 2, 3)}
    firm = uuid.UUID(int=10)
    claims, lines = [], []
    for n in range(30):
        lawyer = uuid.UUID(int=n % 3 + 1)
        approved_on, due_on = date(2026, 9, 1 + n % 28), date(2026, 10, 1 + n % 28)
        paid = n % 4 != 0
        paid_on = due_on + (timedelta(days=3) if n % 5 == 0 else timedelta(days=-5))
        paid_fen = 120001 - (10000 if n % 7 == 0 else 0)
        claims.append(
            ApprovedClaim(
                uuid.uuid4(),
                lawyer,
                firm,
                120001,
                approved_on,
                due_on,
                paid_fen if paid else None,
                paid_on if paid else None,
            )
        )
        lines.append(
            ClaimLine(
                lawyer=lawyers[lawyer][0],
                firm=lawyers[lawyer][1],
                procuratorate_unit="天津市河东区人民检察院",
                document_number=f"津河东检〔2026〕{n + 1}号",
                stage="review_for_prosecution",
                case_kind="ordinary",
                standard_fen=150000,
                status="paid" if paid else "approved",
                overdue=False,
                opened_at=datetime(2026, 8, 20, 2, tzinfo=UTC),
                materials_submitted_at=datetime(2026, 8, 25, 2, tzinfo=UTC),
                approved_fen=120001,
                reduction_reason="未开展调查取证",
                approved_at=datetime.combine(approved_on, datetime.min.time(), UTC),
                due_on=due_on,
                paid_fen=paid_fen if paid else None,
                paid_on=paid_on if paid else None,
                reference=f"津河东财付〔2026〕{88 + n}号" if paid else None,
                paid_late=(paid_on > due_on) if paid else None,
                paid_short=(paid_fen < 120001) if paid else None,
            )
        )
    stats = subsidy_statistics(
        claims, today=ISSUED, basis=PeriodBasis.APPROVAL, granularity=Granularity.MONTH
    )
    return subsidy_workbook(
        lines, stats, lawyers=lawyers, firms={firm: "天津某某律师事务所"}, period_caption="审核月份"
    )


def _ledger_line(n: int) -> LedgerLine:
    received = datetime(2026, 11, 2, 1, tzinfo=UTC)
    clocks = (
        LedgerClock(
            clock_id=uuid.uuid4(),
            scope="suspect",
            kind="notice_dispatch",
            subject="decision",
            trigger_on=date(2026, 11, 3),
            due_on=date(2026, 11, 6),
            closes_at=datetime(2026, 11, 6, 16, tzinfo=UTC),
            provisional=False,
            met_at=datetime(2026, 11, 4, 2, tzinfo=UTC),
            outcome="met",
            overdue=False,
        ),
        LedgerClock(
            clock_id=uuid.uuid4(),
            scope="suspect",
            kind="file_review",
            subject=str(uuid.uuid4()),
            trigger_on=date(2026, 11, 10),
            due_on=date(2026, 11, 13),
            closes_at=datetime(2026, 11, 13, 16, tzinfo=UTC),
            provisional=False,
            met_at=None,
            outcome=None,
            overdue=True,
        ),
    )
    return LedgerLine(
        case_id=uuid.uuid4(),
        transfer_number=f"津公东诉字〔2026〕{n + 1}号",
        procuratorate_unit="天津市河东区人民检察院",
        district="河东区",
        received_at=received,
        review_status="under_review",
        review_deadline=date(2026, 12, 2),
        suspect_id=uuid.uuid4(),
        suspect_name=f"王某{n}",
        defense_status=DefenseStatus.APPOINTED_ON_NOTICE,
        grounds=(Ground.MINOR,),
        current_defender=LedgerDefender(
            kind="appointed_on_notice",
            name="赵律师",
            firm="天津某某律师事务所",
            contact=None,
            started_at=received,
            reply_number=f"津河东援函〔2026〕{n + 1}号",
        ),
        clocks=clocks,
    )


def _pdf_info(pdf: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in out.stdout.splitlines())
    )


def _text(pdf: Path) -> str:
    """The PDF's text without any whitespace: line breaks and the spaces pdftotext puts
    between Chinese and Latin characters are layout, not content."""
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return re.sub(r"\s+", "", out.stdout)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Expected, Path]]:
    expected = {e.name: e for e in documents()}
    pdfs = asyncio.run(PdfConverter().to_pdfs({e.name: e.document for e in expected.values()}))
    OUTPUT.mkdir(parents=True, exist_ok=True)
    result = {}
    for name, pdf in pdfs.items():
        stem = Path(name).stem
        path = OUTPUT / f"{stem}.pdf"
        path.write_bytes(pdf)
        (OUTPUT / name).write_bytes(expected[name].document)
        for old in OUTPUT.glob(f"{stem}-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-r", "72", "-png", str(path), str(OUTPUT / stem)], check=True)
        result[name] = (expected[name], path)
    return result


@pytest.mark.parametrize("name", [e.name for e in documents()])
def test_each_document_renders_on_a4_with_its_pages_and_every_field(
    rendered: dict[str, tuple[Expected, Path]], name: str
) -> None:
    expected, pdf = rendered[name]
    info = _pdf_info(pdf)
    width, height = (round(float(v)) for v in info["Page size"].split(" pts")[0].split(" x "))
    a4 = A4_PORTRAIT[::-1] if expected.landscape else A4_PORTRAIT
    assert (width, height) == a4, info["Page size"]
    assert int(info["Pages"]) == expected.pages
    text = _text(pdf)
    missing = [field for field in expected.fields if re.sub(r"\s+", "", field) not in text]
    assert not missing, f"{name}: not on the page: {missing}"
    assert "{{" not in text and "}}" not in text
    pngs = sorted(OUTPUT.glob(f"{Path(name).stem}-*.png"))
    assert len(pngs) == expected.pages


# --- the CJK face ---------------------------------------------------------------------------
# Noto CJK ships one collection per style whose faces (JP, KR, SC, TC, HK) share one CFF table:
# whichever face LibreOffice draws with, `pdffonts` names the embedded font NotoSerifCJKjp-…
# (the table's own name), so the name cannot tell a Chinese document from a Japanese one. The
# glyphs can: 骨, 直 and 角 are drawn differently in the Chinese and Japanese standards. Each
# font name the documents use is rendered beside the Simplified-Chinese and the Japanese face,
# and must draw exactly as the former.
PROBE = "骨直角"
STANDARD_NAMES = {  # the name GB/T 9704 gives → the Noto CJK family it falls back to here
    BODY_FONT: "Noto Serif CJK",
    TITLE_FONT: "Noto Serif CJK",
    NUMBER_FONT: "Noto Serif CJK",
    HEADING_1_FONT: "Noto Sans CJK",
}


def _probe_docx(fonts: list[tuple[str, bool]]) -> bytes:
    document = Document()
    for font, bold in fonts:
        run = document.add_paragraph().add_run(PROBE)
        run.font.size = Pt(48)
        run.font.bold = bold
        names = run._element.get_or_add_rPr().get_or_add_rFonts()
        for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            names.set(qn(attribute), font)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _lines_of_ink(pgm: bytes) -> list[list[bytes]]:
    """The page's lines of text (bands of rows with dark pixels), each cropped to its ink."""
    header, _, rest = pgm.partition(b"\n255\n")
    width, height = (int(v) for v in header.split()[1:3])
    rows = [rest[y * width : (y + 1) * width] for y in range(height)]
    inked = [any(p < 128 for p in row) for row in rows]
    bands: list[list[bytes]] = []
    y = 0
    while y < height:
        if not inked[y]:
            y += 1
            continue
        start = y
        while y < height and inked[y]:
            y += 1
        band = rows[start:y]
        columns = [x for x in range(width) if any(row[x] < 128 for row in band)]
        bands.append([row[columns[0] : columns[-1] + 1] for row in band])
    return bands


def _difference(a: list[bytes], b: list[bytes]) -> float:
    """The share of pixels that differ between two bands (their sizes differing count fully)."""
    if len(a) != len(b) or len(a[0]) != len(b[0]):
        return 1.0
    differing = sum(
        abs(p - q) > 64
        for row_a, row_b in zip(a, b, strict=True)
        for p, q in zip(row_a, row_b, strict=True)
    )
    return differing / (len(a) * len(a[0]))


@pytest.mark.parametrize("name", list(STANDARD_NAMES))
def test_each_standard_font_name_draws_the_simplified_chinese_glyphs(
    name: str, tmp_path: Path
) -> None:
    family = STANDARD_NAMES[name]
    bold = name == TITLE_FONT  # 小标宋 is set heavy (fonts.conf)
    fonts = [(f"{family} SC", bold), (f"{family} JP", bold), (name, bold)]
    pdf = asyncio.run(PdfConverter().to_pdf(_probe_docx(fonts)))
    (tmp_path / "probe.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "100", "-gray", str(tmp_path / "probe.pdf"), str(tmp_path / "probe")],
        check=True,
    )
    (page,) = tmp_path.glob("probe*.pgm")
    simplified, japanese, standard = _lines_of_ink(page.read_bytes())
    # The check can tell the faces apart at all ...
    assert _difference(simplified, japanese) > 0.02, "the probe cannot tell SC from JP"
    # ... and the document's font name draws as the Simplified-Chinese face.
    difference = _difference(standard, simplified)
    assert difference < 0.005, f"{name} draws other glyphs than {family} SC ({difference:.0%})"
