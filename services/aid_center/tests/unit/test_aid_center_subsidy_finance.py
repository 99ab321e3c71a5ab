"""The finance office's figures (owed, paid, late, short — per lawyer, firm and period) checked
against direct sums over generated claims, and its workbook read back with openpyxl."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from aid_center.documents.subsidy_workbook import CLAIM_COLUMNS, ClaimLine, subsidy_workbook
from aid_center.domain.subsidies import (
    ApprovedClaim,
    Granularity,
    PeriodBasis,
    SubsidyFigures,
    period_of,
    subsidy_statistics,
)

TODAY = date(2026, 6, 15)
LAWYERS = [uuid.UUID(int=n) for n in range(1, 4)]
FIRMS = [uuid.UUID(int=n) for n in range(10, 12)]


@st.composite
def approved_claims(draw: st.DrawFn) -> ApprovedClaim:
    approved_on = draw(st.dates(date(2025, 10, 1), date(2026, 6, 15)))
    due_on = approved_on + timedelta(days=draw(st.integers(0, 60)))
    approved_fen = draw(st.integers(0, 5_000_000))
    paid = draw(st.booleans())
    paid_on = approved_on + timedelta(days=draw(st.integers(0, 90))) if paid else None
    paid_fen = draw(st.integers(0, approved_fen)) if paid else None
    return ApprovedClaim(
        claim_id=uuid.uuid4(),
        lawyer_id=draw(st.sampled_from(LAWYERS)),
        firm_id=draw(st.sampled_from(FIRMS)),
        approved_fen=approved_fen,
        approved_on=approved_on,
        due_on=due_on,
        paid_fen=paid_fen,
        paid_on=paid_on,
    )


def _direct(claims: list[ApprovedClaim]) -> SubsidyFigures:
    owed = [c for c in claims if c.paid_on is None]
    overdue = [c for c in owed if TODAY > c.due_on]
    paid = [c for c in claims if c.paid_on is not None]
    late = [c for c in paid if c.paid_on is not None and c.paid_on > c.due_on]
    short = [c for c in paid if (c.paid_fen or 0) < c.approved_fen]
    return SubsidyFigures(
        approved_count=len(claims),
        approved_fen=sum(c.approved_fen for c in claims),
        owed_count=len(owed),
        owed_fen=sum(c.approved_fen for c in owed),
        overdue_count=len(overdue),
        overdue_fen=sum(c.approved_fen for c in overdue),
        paid_count=len(paid),
        paid_fen=sum(c.paid_fen or 0 for c in paid),
        late_count=len(late),
        late_fen=sum(c.paid_fen or 0 for c in late),
        short_count=len(short),
        short_fen=sum(c.approved_fen - (c.paid_fen or 0) for c in short),
    )


def _add(figures: list[SubsidyFigures]) -> SubsidyFigures:
    fields = SubsidyFigures.__dataclass_fields__
    return SubsidyFigures(**{f: sum(getattr(x, f) for x in figures) for f in fields})


@given(
    claims=st.lists(approved_claims(), max_size=40),
    basis=st.sampled_from(PeriodBasis),
    granularity=st.sampled_from(Granularity),
)
def test_figures_equal_direct_sums_and_every_grouping_adds_up_to_the_total(
    claims: list[ApprovedClaim], basis: PeriodBasis, granularity: Granularity
) -> None:
    stats = subsidy_statistics(claims, today=TODAY, basis=basis, granularity=granularity)
    assert stats.total == _direct(claims)
    for lawyer_id, figures in stats.by_lawyer.items():
        assert figures == _direct([c for c in claims if c.lawyer_id == lawyer_id])
    for firm_id, figures in stats.by_firm.items():
        assert figures == _direct([c for c in claims if c.firm_id == firm_id])
    for period, figures in stats.by_period.items():
        assert figures == _direct(
            [c for c in claims if period_of(c.day(basis), granularity) == period]
        )
    for grouping in (stats.by_lawyer, stats.by_firm, stats.by_period):
        assert _add(list(grouping.values())) == stats.total
    assert list(stats.by_period) == sorted(stats.by_period)


def test_a_claim_still_owed_counts_by_payment_in_the_period_it_is_due() -> None:
    owed = ApprovedClaim(
        uuid.uuid4(), LAWYERS[0], FIRMS[0], 150000, date(2026, 3, 20), date(2026, 4, 19)
    )
    paid = ApprovedClaim(
        uuid.uuid4(),
        LAWYERS[0],
        FIRMS[0],
        150000,
        date(2026, 3, 20),
        date(2026, 4, 19),
        120000,
        date(2026, 7, 2),
    )
    by_payment = subsidy_statistics(
        [owed, paid], today=TODAY, basis=PeriodBasis.PAYMENT, granularity=Granularity.QUARTER
    )
    assert list(by_payment.by_period) == ["2026-Q2", "2026-Q3"]
    assert by_payment.by_period["2026-Q2"].overdue_count == 1
    q3 = by_payment.by_period["2026-Q3"]
    assert (q3.late_count, q3.short_count, q3.short_fen) == (1, 1, 30000)
    by_approval = subsidy_statistics(
        [owed, paid], today=TODAY, basis=PeriodBasis.APPROVAL, granularity=Granularity.MONTH
    )
    assert list(by_approval.by_period) == ["2026-03"]


def _line(**overrides: object) -> ClaimLine:
    values: dict[str, object] = {
        "lawyer": "张律师",
        "firm": "天津某某律师事务所",
        "procuratorate_unit": "天津市河东区人民检察院",
        "document_number": "津河东检〔2026〕12号",
        "stage": "review_for_prosecution",
        "case_kind": "ordinary",
        "standard_fen": 150000,
        "status": "paid",
        "overdue": False,
        "opened_at": datetime(2026, 4, 1, 2, tzinfo=UTC),
        "materials_submitted_at": datetime(2026, 4, 2, 2, tzinfo=UTC),
        "approved_fen": 120001,
        "reduction_reason": "未开展调查取证",
        "approved_at": datetime(2026, 4, 3, 2, tzinfo=UTC),
        "due_on": date(2026, 5, 3),
        "paid_fen": 120001,
        "paid_on": date(2026, 5, 10),
        "reference": "津河东财付〔2026〕88号",
        "paid_late": True,
        "paid_short": False,
    }
    return ClaimLine(**(values | overrides))  # type: ignore[arg-type]


def test_the_workbook_has_a_row_per_claim_with_chinese_headers_and_yuan_to_the_fen() -> None:
    claim = ApprovedClaim(
        uuid.uuid4(),
        LAWYERS[0],
        FIRMS[0],
        120001,
        date(2026, 4, 3),
        date(2026, 5, 3),
        120001,
        date(2026, 5, 10),
    )
    stats = subsidy_statistics(
        [claim], today=TODAY, basis=PeriodBasis.APPROVAL, granularity=Granularity.MONTH
    )
    lines = [
        _line(),
        _line(
            status="open",
            approved_fen=None,
            paid_fen=None,
            paid_on=None,
            approved_at=None,
            due_on=None,
            paid_late=None,
            paid_short=None,
            reduction_reason=None,
            reference=None,
            document_number=None,
        ),
    ]
    book = load_workbook(
        io.BytesIO(
            subsidy_workbook(
                lines,
                stats,
                lawyers={LAWYERS[0]: ("张律师", "天津某某律师事务所")},
                firms={FIRMS[0]: "天津某某律师事务所"},
                period_caption="审核月份",
            )
        )
    )
    assert book.sheetnames == ["办案补贴明细", "按律师", "按律师事务所", "按期间"]
    detail = book["办案补贴明细"]
    headers = [c.value for c in detail[1]]
    assert headers == [c.header for c in CLAIM_COLUMNS]
    rows = [dict(zip(headers, (c.value for c in row), strict=True)) for row in detail.iter_rows(2)]
    assert len(rows) == 2
    paid = rows[0]
    assert paid["律师"] == "张律师" and paid["通知辩护公函文号"] == "津河东检〔2026〕12号"
    assert paid["核定金额（元）"] == 1200.01 and paid["补贴标准（元）"] == 1500
    assert detail.cell(2, headers.index("核定金额（元）") + 1).number_format == "#,##0.00"
    assert paid["审核时间"] == datetime(2026, 4, 3, 10, 0)  # Beijing wall time
    assert paid["应发放日期"] == datetime(2026, 5, 3)
    assert (paid["逾期发放"], paid["未足额发放"], paid["核减理由"]) == (
        "是",
        "否",
        "未开展调查取证",
    )
    assert (paid["诉讼阶段"], paid["案件类别"], paid["状态"]) == (
        "审查起诉阶段",
        "普通案件",
        "已发放",
    )
    opened = rows[1]
    assert opened["状态"] == "待提交结案材料" and opened["核定金额（元）"] is None
    assert opened["通知辩护公函文号"] == "（依申请）"
    by_lawyer = book["按律师"]
    assert [c.value for c in by_lawyer[2]][:4] == ["张律师", "天津某某律师事务所", 1, 1200.01]
    assert by_lawyer.cell(by_lawyer.max_row, 1).value == "合计"
    assert book["按期间"]["A1"].value == "期间（审核月份）"
    assert book["按期间"]["A2"].value == "2026-04"
