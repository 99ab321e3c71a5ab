"""CaseReceived → the case and its natural-person suspects, as the center needs them."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from aid_center.db.personal import seal_place
from aid_center.db.tables import cases, suspects
from aid_center.domain.minors import is_minor_on
from defense_schemas import Envelope
from defense_schemas.events.procuratorate import CaseReceived
from legal_calendar import legal_date


async def on_case_received(session: AsyncSession, envelope: Envelope, event: CaseReceived) -> None:
    """Upsert: a re-transfer or a change of jurisdiction receives the same case again."""
    values = {
        "district": event.district,
        "procuratorate_unit": event.procuratorate_unit,
        "transferring_agency": event.transferring_agency,
        "received_at": event.received_at,
    }
    await session.execute(
        pg_insert(cases)
        .values(case_id=envelope.case_id, **values)
        .on_conflict_do_update(index_elements=[cases.c.case_id], set_=values)
    )
    received_on = legal_date(event.received_at)
    for suspect in event.suspects:
        row = {
            "case_id": envelope.case_id,
            "name": suspect.name,
            "birth_date": suspect.birth_date,
            "gender": suspect.gender.value,
            "likely_sentence": suspect.likely_sentence.value,
            # Under 18 on the day the case was received (LAL Art. 25(1)(1)); the letter's grounds
            # are authoritative, this is the center's own reading for the specialist preference.
            "minor": is_minor_on(suspect.birth_date, received_on),
            "charges": list(suspect.charges),
            "place_of_detention_or_residence": seal_place(
                session, suspect.suspect_id, suspect.place_of_detention_or_residence
            ),
        }
        await session.execute(
            pg_insert(suspects)
            .values(suspect_id=suspect.suspect_id, **row)
            .on_conflict_do_update(index_elements=[suspects.c.suspect_id], set_=row)
        )
