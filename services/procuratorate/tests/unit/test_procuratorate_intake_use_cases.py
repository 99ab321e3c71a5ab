"""Case intake on the fake unit of work: the receipt, its clocks and first assessment, the same
transfer received twice, another unit's ids, and the re-transfer after supplementary
investigation — the rules in milliseconds."""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from defense_schemas import examples as ex
from defense_schemas.events.procuratorate import CaseReceived, EligibilityAssessed
from defense_schemas.vocabulary import ClockKind, Ground, ReceiptKind
from procuratorate.workflow.intake import receive_case
from service_runtime.errors import Conflict

sys.path.insert(0, str(Path(__file__).parent))
from fake_unit_of_work import FakeUnitOfWork

RECEIVED = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)  # Tuesday 1 September 2026, 09:00 in Tianjin


async def test_a_receipt_stores_the_case_its_clocks_and_the_first_assessment() -> None:
    uow = FakeUnitOfWork()
    receipt = await receive_case(
        uow,  # type: ignore[arg-type]
        ex.CASE,
        case_id=uuid.uuid4(),
        received_at=RECEIVED,
    )

    assert receipt.created
    case = uow.cases.cases[receipt.case_id]
    # A detained suspect: one month ends on National Day, 1 October, and does not roll over.
    assert (case.review_deadline, case.review_deadline_provisional) == (date(2026, 10, 1), False)
    kinds = sorted(c.kind for c in uow.cases.clocks)
    assert kinds == ["review_period", "rights_notification", "rights_notification"]
    (received,) = uow.events(CaseReceived)
    assert all(s.id_number is None for s in received.suspects)  # not needed downstream
    assert received.review_deadline == date(2026, 10, 1)
    assessed = {e.suspect_id: e.grounds for e in uow.events(EligibilityAssessed)}
    assert Ground.MINOR in assessed[ex.LI]
    assert Ground.GUILT_NOT_ADMITTED in assessed[ex.ZHANG]
    assert {(sid, ground) for sid, ground, _ in uow.cases.discoveries} >= {(ex.LI, Ground.MINOR)}
    assert [s.suspect_id for s in await uow.cases.suspects_of(receipt.case_id)] == [
        ex.ZHANG,
        ex.LI,
    ]


async def test_the_same_transfer_received_twice_is_one_case() -> None:
    uow = FakeUnitOfWork()
    first = await receive_case(uow, ex.CASE, case_id=uuid.uuid4(), received_at=RECEIVED)  # type: ignore[arg-type]
    events = len(uow.emitted)

    again = await receive_case(uow, ex.CASE, case_id=uuid.uuid4(), received_at=RECEIVED)  # type: ignore[arg-type]

    assert (again.case_id, again.created) == (first.case_id, False)
    assert len(uow.emitted) == events and len(uow.cases.cases) == 1


async def test_another_units_suspect_ids_are_replaced_rather_than_refused() -> None:
    uow = FakeUnitOfWork()
    await receive_case(uow, ex.CASE, case_id=uuid.uuid4(), received_at=RECEIVED)  # type: ignore[arg-type]
    elsewhere = ex.CASE.model_copy(
        update={"procuratorate_unit": "天津市和平区人民检察院", "district": "和平区"}
    )

    receipt = await receive_case(uow, elsewhere, case_id=uuid.uuid4(), received_at=RECEIVED)  # type: ignore[arg-type]

    ids = {s.suspect_id for s in await uow.cases.suspects_of(receipt.case_id)}
    assert receipt.created and not ids & {ex.ZHANG, ex.LI}


async def test_a_re_transfer_restarts_the_review_period_of_a_returned_case_only() -> None:
    uow = FakeUnitOfWork()
    receipt = await receive_case(uow, ex.CASE, case_id=uuid.uuid4(), received_at=RECEIVED)  # type: ignore[arg-type]
    retransfer = ReceiptKind.RETRANSFER_AFTER_SUPPLEMENTARY_INVESTIGATION
    later = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    # The re-transfer is a transfer of its own, with its own number.
    second = ex.CASE.model_copy(update={"transfer_number": "津公河(刑)移诉字〔2026〕31号"})
    with pytest.raises(Conflict) as refused:
        await receive_case(
            uow,  # type: ignore[arg-type]
            second,
            case_id=receipt.case_id,
            received_at=later,
            receipt_kind=retransfer,
        )
    assert refused.value.field == "transfer_kind"

    case = uow.cases.cases[receipt.case_id]
    case.review_status, case.review_deadline = "returned", None
    again = await receive_case(
        uow,  # type: ignore[arg-type]
        second,
        case_id=receipt.case_id,
        received_at=later,
        receipt_kind=retransfer,
    )

    assert not again.created and case.review_status == "under_review"
    assert case.review_deadline == date(2026, 12, 2) and case.received_at == later
    reviews = [c for c in uow.cases.clocks if c.kind == ClockKind.REVIEW_PERIOD.value]
    assert [c.due_on for c in reviews] == [date(2026, 10, 1), date(2026, 12, 2)]
    assert uow.events(CaseReceived)[-1].receipt_kind is retransfer


async def test_a_re_transfer_under_the_first_transfer_number_restarts_the_review_period() -> None:
    uow = FakeUnitOfWork()
    receipt = await receive_case(uow, ex.CASE, case_id=uuid.uuid4(), received_at=RECEIVED)  # type: ignore[arg-type]
    retransfer = ReceiptKind.RETRANSFER_AFTER_SUPPLEMENTARY_INVESTIGATION
    later = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    case = uow.cases.cases[receipt.case_id]
    case.review_status, case.review_deadline = "returned", None
    # The agency sends the case back under the number it first had, and may not repeat the
    # case id: the unit's transfer number names the case (CPL Art. 175 restarts the period).
    again = await receive_case(
        uow,  # type: ignore[arg-type]
        ex.CASE,
        case_id=uuid.uuid4(),
        received_at=later,
        receipt_kind=retransfer,
    )

    assert (again.case_id, again.created) == (receipt.case_id, False)
    assert case.review_status == "under_review" and case.received_at == later
    assert case.review_deadline == date(2026, 12, 2)
    assert uow.events(CaseReceived)[-1].receipt_kind is retransfer
    # The same re-transfer delivered twice is one receipt: no second restart.
    events = len(uow.emitted)
    twice = await receive_case(
        uow,  # type: ignore[arg-type]
        ex.CASE,
        case_id=receipt.case_id,
        received_at=datetime(2026, 11, 3, 1, 0, tzinfo=UTC),
        receipt_kind=retransfer,
    )
    assert (twice.case_id, twice.created) == (receipt.case_id, False)
    assert len(uow.emitted) == events and case.received_at == later
