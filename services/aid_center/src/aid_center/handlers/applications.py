"""Legal-aid applications forwarded by the procuratorate (转交申请 → 申请指派).

A suspect outside the mandatory scope applied for legal aid; the center appoints a lawyer with
the same engine and the same rules as on a notice (Art. 12–13, LAL Art. 26), and the
``LawyerAssigned`` it emits has basis ``application`` and the application's id.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from aid_center.db.tables import applications, cases
from aid_center.domain.status import NoticeStatus
from aid_center.unit_of_work import AidCenterUnitOfWork
from aid_center.use_cases.appointing import appoint
from defense_schemas import Envelope
from defense_schemas.events.procuratorate import LegalAidApplicationForwarded


async def on_application_forwarded(
    uow: AidCenterUnitOfWork, envelope: Envelope, event: LegalAidApplicationForwarded
) -> None:
    # One statement stores the application with the case's district and hands the row
    # back; an application already stored inserts nothing and returns no row.
    application = (
        (
            await uow.session.execute(
                pg_insert(applications)
                .values(
                    application_id=event.application_id,
                    case_id=envelope.case_id,
                    suspect_id=event.suspect_id,
                    status=NoticeStatus.ACCEPTED,
                    district=sa.select(cases.c.district)
                    .where(cases.c.case_id == envelope.case_id)
                    .scalar_subquery(),
                    applied_by=event.applied_by.value,
                    applied_at=event.applied_at,
                    forwarded_at=event.forwarded_at,
                    addressee_center=event.addressee_center,
                    received_at=envelope.occurred_at,
                )
                .on_conflict_do_nothing(index_elements=[applications.c.application_id])
                .returning(*applications.c)
            )
        )
        .mappings()
        .first()
    )
    if application is None:
        return  # the same application again under another event id
    await appoint(
        uow,
        None,
        application_id=event.application_id,
        caused_by=envelope,
        at=envelope.occurred_at,
        request_row=application,
    )
