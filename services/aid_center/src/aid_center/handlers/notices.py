"""The notice of defense (通知辩护公函): check, supplement, accept, then appoint (Art. 3–4), each
event the command of its use case (``use_cases/intake.py``), run at the event's time."""

from __future__ import annotations

from aid_center.unit_of_work import AidCenterUnitOfWork
from aid_center.use_cases.intake import receive_notice, supplement_notice
from defense_schemas import Envelope
from defense_schemas.events.procuratorate import DefenseNoticeSent, NoticeSupplemented


async def on_defense_notice_sent(
    uow: AidCenterUnitOfWork, envelope: Envelope, event: DefenseNoticeSent
) -> None:
    await receive_notice(
        uow, event, case_id=envelope.case_id, caused_by=envelope, at=envelope.occurred_at
    )


async def on_notice_supplemented(
    uow: AidCenterUnitOfWork, envelope: Envelope, event: NoticeSupplemented
) -> None:
    await supplement_notice(
        uow, event, case_id=envelope.case_id, caused_by=envelope, at=envelope.occurred_at
    )
