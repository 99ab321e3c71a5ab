"""Case subsidies (notice §四): the standard that applies, a claim when the work on the stage
ends, approval in full or reduced with the reason, payment flagged late or short — the pure
rules with generated inputs, the use cases on the fake unit of work."""

from __future__ import annotations

import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aid_center.domain.errors import RuleViolation, StateConflict
from aid_center.domain.subsidies import (
    REVIEW_STAGE,
    SubsidyStandard,
    approval_refusal,
    payment_flags,
    standard_for,
)
from aid_center.use_cases.appointing import appoint, terminate
from aid_center.use_cases.subsidies import (
    ApproveSubsidy,
    PutStandard,
    RecordPayment,
    SubmitMaterials,
    approve,
    put_standard,
    record_payment,
    submit_materials,
)
from defense_schemas.events.aid_center import SubsidyApproved, SubsidyClaimed, SubsidyPaid
from defense_schemas.vocabulary import CaseKind, TerminationReason
from legal_calendar import legal_date

sys.path.insert(0, str(Path(__file__).parent))
from fake_aid_center_unit_of_work import NOW, FakeUnitOfWork

DAY = legal_date(NOW)


def _standard(region: str, start: date, end: date | None, fen: int) -> SubsidyStandard:
    return SubsidyStandard(uuid.uuid4(), region, REVIEW_STAGE, CaseKind.ORDINARY, start, end, fen)


def test_a_districts_own_standard_beats_the_citys_and_only_in_force_ones_apply() -> None:
    city = _standard("天津市", date(2025, 1, 1), None, 100000)
    old = _standard("河东区", date(2024, 1, 1), date(2025, 12, 31), 120000)
    new = _standard("河东区", date(2026, 1, 1), None, 150000)
    kwargs = {"city": "天津市", "stage": REVIEW_STAGE, "case_kind": CaseKind.ORDINARY}
    assert standard_for([city, old, new], district="河东区", on=date(2026, 3, 3), **kwargs) == new
    assert standard_for([city, old, new], district="河东区", on=date(2025, 6, 1), **kwargs) == old
    assert standard_for([city, old, new], district="西青区", on=date(2026, 3, 3), **kwargs) == city
    assert standard_for([old], district="河东区", on=date(2026, 3, 3), **kwargs) is None


@given(
    standard=st.integers(1, 10_000_000),
    approved=st.integers(0, 10_000_000),
    reason=st.one_of(st.none(), st.just("未开展调查取证")),
)
def test_never_more_than_the_standard_and_less_only_with_a_reason(
    standard: int, approved: int, reason: str | None
) -> None:
    refused = approval_refusal(
        standard_fen=standard, approved_fen=approved, reduction_reason=reason
    )
    if approved > standard:
        assert refused is not None and refused[0] == "approved_amount_fen"
    elif approved < standard and reason is None:
        assert refused is not None and refused[0] == "reduction_reason"
    else:
        assert refused is None


@given(
    approved=st.integers(0, 10_000_000),
    paid=st.integers(0, 10_000_000),
    due=st.dates(date(2026, 1, 1), date(2027, 1, 1)),
    paid_on=st.dates(date(2026, 1, 1), date(2027, 1, 1)),
)
def test_a_payment_is_late_after_its_day_and_short_below_the_approval(
    approved: int, paid: int, due: date, paid_on: date
) -> None:
    late, short = payment_flags(approved_fen=approved, due_on=due, paid_fen=paid, paid_on=paid_on)
    assert late is (paid_on > due)
    assert short is (paid < approved)


async def _ended_assignment(uow: FakeUnitOfWork) -> uuid.UUID:
    notice = uow.aid.add_notice(uuid.uuid4(), district="河东区")
    appointed = await appoint(uow, notice["notice_id"], caused_by=None)
    assert appointed.assignment_id is not None
    await terminate(
        uow,
        case_id=notice["case_id"],
        suspect_id=notice["suspect_id"],
        assignment_id=appointed.assignment_id,
        reason=TerminationReason.PROCEEDINGS_ENDED,
        detail="不起诉",
        caused_by=None,
        at=NOW,
    )
    (claimed,) = uow.events(SubsidyClaimed)
    return claimed.claim_id


def _uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    uow.aid.add_lawyer("甲律师事务所", "王律师")
    return uow


async def _standard_loaded(uow: FakeUnitOfWork, fen: int = 150000) -> None:
    await put_standard(
        uow,
        PutStandard(
            uuid.uuid4(), "河东区", REVIEW_STAGE, CaseKind.ORDINARY, date(2026, 1, 1), None, fen
        ),
    )


async def test_a_claim_opens_when_the_work_ends_at_the_standard_in_force() -> None:
    uow = _uow()
    await _standard_loaded(uow)

    claim_id = await _ended_assignment(uow)

    claim = uow.aid.claims[claim_id]
    assert (claim["status"], claim["standard_amount_fen"]) == ("open", 150000)
    assert uow.events(SubsidyClaimed)[0].standard_amount_fen == 150000


async def test_overlapping_standards_are_refused() -> None:
    uow = _uow()
    await _standard_loaded(uow)
    with pytest.raises(StateConflict) as refused:
        await _standard_loaded(uow, fen=160000)
    assert refused.value.field == "valid_from"


async def test_a_reduced_approval_with_its_reason_then_a_late_short_payment() -> None:
    uow = _uow()
    await _standard_loaded(uow)
    claim_id = await _ended_assignment(uow)
    with pytest.raises(StateConflict):  # no materials yet
        await approve(uow, ApproveSubsidy(claim_id))
    await submit_materials(uow, SubmitMaterials(claim_id, ("结案报告", "书面辩护意见")))

    with pytest.raises(RuleViolation) as no_reason:
        await approve(uow, ApproveSubsidy(claim_id, approved_amount_fen=120000))
    assert no_reason.value.field == "reduction_reason"
    with pytest.raises(RuleViolation) as too_much:
        await approve(uow, ApproveSubsidy(claim_id, approved_amount_fen=150001))
    assert too_much.value.field == "approved_amount_fen"

    approved = await approve(
        uow, ApproveSubsidy(claim_id, approved_amount_fen=120000, reduction_reason="未会见")
    )
    assert approved["checklist"] == {
        "meeting": False,
        "file_review": False,
        "investigation": False,
        "written_opinion": False,
    }
    assert approved["service_standard_met"] is False
    due = DAY + timedelta(days=uow.settings.subsidy_payment_days)
    (event,) = uow.events(SubsidyApproved)
    assert (event.approved_amount_fen, event.payment_due_on) == (120000, due)

    paid = await record_payment(
        uow, RecordPayment(claim_id, 100000, due + timedelta(days=1), "津河东财付〔2026〕1号")
    )
    assert (paid["paid_late"], paid["paid_short"]) == (True, True)
    (told,) = uow.events(SubsidyPaid)
    assert told.late and told.short
    with pytest.raises(StateConflict):
        await record_payment(uow, RecordPayment(claim_id, 20000, due, "again"))


async def test_a_claim_without_a_standard_waits_for_one_to_be_loaded() -> None:
    uow = _uow()
    claim_id = await _ended_assignment(uow)
    assert uow.aid.claims[claim_id]["standard_amount_fen"] is None
    await submit_materials(uow, SubmitMaterials(claim_id, ("结案报告",)))
    with pytest.raises(StateConflict) as refused:
        await approve(uow, ApproveSubsidy(claim_id))
    assert refused.value.field == "standard_amount_fen"

    await _standard_loaded(uow)
    approved = await approve(uow, ApproveSubsidy(claim_id))
    assert approved["approved_amount_fen"] == 150000
