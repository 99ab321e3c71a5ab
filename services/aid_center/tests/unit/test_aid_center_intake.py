"""The intake use cases on the fake unit of work (no database, no broker): the letter checked,
supplemented and accepted with its assignment period (Measures Art. 3-4), the application
forwarded, each appointed at once. The integration tests prove the same on PostgreSQL and
Kafka."""

from __future__ import annotations

import sys
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from aid_center.domain.errors import NotKnown
from aid_center.domain.status import NoticeStatus
from aid_center.use_cases.applications import DecideApplication, decide
from aid_center.use_cases.intake import (
    receive_application,
    receive_case,
    receive_notice,
    supplement_notice,
)
from defense_schemas import BaseEvent
from defense_schemas import examples as ex
from defense_schemas.events.aid_center import (
    LawyerAssigned,
    NoticeAccepted,
    SupplementRequested,
)
from defense_schemas.events.procuratorate import (
    CaseReceived,
    DefenseNoticeSent,
    LegalAidApplicationForwarded,
    NoticeSupplemented,
)
from defense_schemas.vocabulary import ApplicationDecision, AppointmentBasis

sys.path.insert(0, str(Path(__file__).parent))
from fake_aid_center_unit_of_work import NOW, FakeUnitOfWork


def example(kind: type[BaseEvent], **update: Any) -> Any:
    return next(e for e in ex.EXAMPLES if type(e) is kind).model_copy(update=update)


async def _received(uow: FakeUnitOfWork) -> tuple[uuid.UUID, CaseReceived]:
    case_id = uuid.uuid4()
    received: CaseReceived = example(CaseReceived)
    await receive_case(uow, received, case_id=case_id)
    return case_id, received


def _letter_for(suspect_id: uuid.UUID, materials: tuple[str, ...]) -> DefenseNoticeSent:
    return example(
        DefenseNoticeSent, notice_id=uuid.uuid4(), suspect_id=suspect_id, materials=materials
    )


async def test_a_complete_letter_is_accepted_and_appointed_with_its_period_from_the_sending() -> (
    None
):
    uow = FakeUnitOfWork()
    uow.aid.add_lawyer("甲律师事务所", "王律师", juvenile=True)
    case_id, received = await _received(uow)
    minor = received.suspects[1]
    assert uow.aid.suspects[minor.suspect_id]["minor"]
    letter = _letter_for(minor.suspect_id, ("起诉意见书",))

    await receive_notice(uow, letter, case_id=case_id, caused_by=None, at=NOW)

    (accepted,) = uow.events(NoticeAccepted)
    assert accepted.received_at == letter.sent_at
    (assigned,) = uow.events(LawyerAssigned)
    assert assigned.notice_id == letter.notice_id and assigned.assigned_at == NOW
    notice = uow.aid.notices[letter.notice_id]
    assert notice["status"] == NoticeStatus.ASSIGNED
    assert notice["district"] == received.district
    assert notice["assignment_due_on"] == date(2026, 3, 9)  # sent Wed 4 March: 3 days, rolled
    # The name is stored sealed, never as written.
    assert notice["suspect_name"] != letter.letter.suspect_name

    # The same letter again, under another event id, changes nothing.
    await receive_notice(uow, letter, case_id=case_id, caused_by=None, at=NOW)
    assert len(uow.events(LawyerAssigned)) == 1


async def test_an_incomplete_letter_asks_for_materials_and_the_supplement_restarts_the_period() -> (
    None
):
    uow = FakeUnitOfWork()
    uow.aid.add_lawyer("甲律师事务所", "王律师")
    case_id, received = await _received(uow)
    letter = _letter_for(received.suspects[1].suspect_id, ("户籍证明",))

    await receive_notice(uow, letter, case_id=case_id, caused_by=None, at=NOW)
    (asked,) = uow.events(SupplementRequested)
    assert asked.notice_id == letter.notice_id
    assert uow.aid.notices[letter.notice_id]["status"] == NoticeStatus.SUPPLEMENT_REQUESTED
    assert not uow.events(LawyerAssigned)

    supplement = example(
        NoticeSupplemented,
        notice_id=letter.notice_id,
        suspect_id=letter.suspect_id,
        added_materials=("起诉意见书",),
    )
    await supplement_notice(uow, supplement, case_id=case_id, caused_by=None, at=NOW)

    (accepted,) = uow.events(NoticeAccepted)
    assert accepted.received_at == supplement.supplemented_at  # Art. 3 ¶3: complete from here
    notice = uow.aid.notices[letter.notice_id]
    assert notice["assignment_started_at"] == supplement.supplemented_at
    assert notice["status"] == NoticeStatus.ASSIGNED
    assert notice["materials"] == ["户籍证明", "起诉意见书"]
    # A supplement nothing waited for is kept and decides nothing again.
    await supplement_notice(
        uow,
        supplement.model_copy(update={"added_materials": ("补充材料",)}),
        case_id=case_id,
        caused_by=None,
        at=NOW,
    )
    assert len(uow.events(NoticeAccepted)) == 1
    assert uow.aid.notices[letter.notice_id]["materials"][-1] == "补充材料"


async def test_a_supplement_to_a_letter_never_received_is_refused() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(NotKnown):
        await supplement_notice(
            uow, example(NoticeSupplemented), case_id=uuid.uuid4(), caused_by=None, at=NOW
        )


async def test_a_forwarded_application_is_reviewed_then_appointed_on_application() -> None:
    uow = FakeUnitOfWork()
    uow.aid.add_lawyer("甲律师事务所", "王律师")
    case_id, received = await _received(uow)
    forwarded: LegalAidApplicationForwarded = example(
        LegalAidApplicationForwarded,
        application_id=uuid.uuid4(),
        suspect_id=received.suspects[0].suspect_id,
    )

    await receive_application(uow, forwarded, case_id=case_id, caused_by=None, at=NOW)
    await receive_application(uow, forwarded, case_id=case_id, caused_by=None, at=NOW)
    # The center reviews it first (LAL Art. 43): no lawyer on receipt.
    assert not uow.events(LawyerAssigned)
    assert uow.aid.applications[forwarded.application_id]["status"] == NoticeStatus.UNDER_REVIEW

    await decide(
        uow,  # type: ignore[arg-type]
        DecideApplication(forwarded.application_id, ApplicationDecision.GRANTED),
    )

    (assigned,) = uow.events(LawyerAssigned)
    assert assigned.basis is AppointmentBasis.APPLICATION
    assert assigned.application_id == forwarded.application_id and assigned.notice_id is None
    assert uow.aid.applications[forwarded.application_id]["status"] == NoticeStatus.ASSIGNED
