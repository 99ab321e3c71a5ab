"""CaseReceived → the case and its natural-person suspects, as the center needs them."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert

from aid_center.db.personal import seal_place, seal_suspect_name
from aid_center.db.tables import cases, suspects
from aid_center.domain.minors import is_minor_on
from aid_center.unit_of_work import AidCenterUnitOfWork
from defense_schemas import Envelope
from defense_schemas.events.procuratorate import CaseReceived
from legal_calendar import legal_date


async def on_case_received(
    uow: AidCenterUnitOfWork, envelope: Envelope, event: CaseReceived
) -> None:
    """Upsert: a re-transfer or a change of jurisdiction receives the same case again."""
    values = {
        "district": event.district,
        "procuratorate_unit": event.procuratorate_unit,
        "transferring_agency": event.transferring_agency,
        "received_at": event.received_at,
    }
    received_case = (
        pg_insert(cases)
        .values(case_id=envelope.case_id, **values)
        .on_conflict_do_update(index_elements=[cases.c.case_id], set_=values)
        .cte("received_case")
    )
    received_on = legal_date(event.received_at)
    rows = [
        {
            "suspect_id": suspect.suspect_id,
            "case_id": envelope.case_id,
            "name": seal_suspect_name(uow.cipher, suspect.suspect_id, suspect.name),
            "birth_date": suspect.birth_date,
            "gender": suspect.gender.value,
            "likely_sentence": suspect.likely_sentence.value,
            # Under 18 at the offence where the transfer states it, else on the day the case was
            # received (LAL Art. 25(1)(1)); the letter's grounds are authoritative, this is the
            # center's own reading for the specialist preference. A later receipt of the same
            # case (re-transfer, change of jurisdiction) never drops it: the suspect turning 18
            # during the review stays a minor's case.
            "minor": is_minor_on(suspect.birth_date, suspect.minority_judged_on(received_on)),
            "charges": list(suspect.charges),
            "place_of_detention_or_residence": seal_place(
                uow.cipher, suspect.suspect_id, suspect.place_of_detention_or_residence
            ),
        }
        for suspect in event.suspects
    ]
    # The case and all its suspects in one statement: the case's upsert is a data-modifying
    # WITH, and the suspects' foreign key is checked at the end of the statement, when the case
    # is there. One multi-row upsert is safe because the contract makes suspect ids unique
    # within the event (a row cannot be upserted twice by one statement).
    upsert_suspects = pg_insert(suspects).values(rows)
    await uow.session.execute(
        upsert_suspects.on_conflict_do_update(
            index_elements=[suspects.c.suspect_id],
            set_={
                **{
                    column: upsert_suspects.excluded[column]
                    for column in rows[0]
                    if column != "suspect_id"
                },
                "minor": suspects.c.minor | upsert_suspects.excluded.minor,
            },
        ).add_cte(received_case)
    )
