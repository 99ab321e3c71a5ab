"""Cases (案件): intake from the procuratorate's own UI, the case view, the timeline, suspects'
facts (eligibility is recomputed when they change) and the rights notification (Art. 3)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from defense_schemas.events.common import (
    CaseParticulars,
    CloseRelative,
    Guardian,
    Officer,
    SuspectParticulars,
)
from defense_schemas.events.procuratorate import InformedPerson
from defense_schemas.fields import Charge, ContactInfo, Note, Place
from defense_schemas.vocabulary import (
    CustodyStatus,
    DefenseStatus,
    Disability,
    Ground,
    SentenceBand,
)
from procuratorate.api import examples as x
from procuratorate.api.access import (
    IN_CALLERS_UNIT,
    READERS,
    STAFF,
    CaseScope,
    ReadableCase,
    Reader,
    Staff,
    UnitOfWorkDep,
)
from procuratorate.api.examples import examples
from procuratorate.api.views import CaseView, SuspectView, case_view, case_view_of
from procuratorate.db.case_search import CaseCriteria, search_cases
from procuratorate.db.personal import open_payload
from procuratorate.domain.commands import CorrectFacts
from procuratorate.domain.statuses import ReviewStatus
from procuratorate.workflow.intake import correct_facts, receive_case
from procuratorate.workflow.rights import notify_rights
from service_runtime.api_types import ApiDate, ApiDatetime
from service_runtime.errors import (
    AUTH_RESPONSES,
    ERROR_RESPONSES,
    Forbidden,
    InvalidInput,
    NotFound,
)
from service_runtime.etags import PRECONDITION_RESPONSES, IfMatch, tag
from service_runtime.paging import Page, Paging
from service_runtime.security.principal import Principal, Role

router = APIRouter(
    prefix="/cases",
    tags=["cases"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    dependencies=[STAFF],
)

reads = APIRouter(
    prefix="/cases",
    tags=["cases"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    dependencies=[READERS],
)
"""What a defense lawyer may read too (Measures Art. 10, 信息共享): their own suspects only."""


class SuspectIn(SuspectParticulars):
    """A suspect as entered over REST: the contract's particulars, the birth date bounded."""

    model_config = ConfigDict(json_schema_extra=examples(x.SUSPECT_IN))

    birth_date: ApiDate = Field(description="Date of birth; decides minority (LAL Art. 25(1)(1)).")
    offence_date: ApiDate | None = Field(
        None,
        description="When the suspect committed the offence, where known: minority is judged "
        "by age at the offence (else at receipt).",
    )


class CaseTransferIn(CaseParticulars):
    """A case transferred for review, as entered in the procuratorate's UI: the same particulars
    an agency's CaseTransferred carries, validated by the same model."""

    model_config = ConfigDict(json_schema_extra=examples(x.CASE_TRANSFER_IN))

    suspects: tuple[SuspectIn, ...] = Field(
        min_length=1,
        description="The natural-person suspects; co-suspects of one joint crime share a case.",
    )

    case_id: UUID | None = Field(None, description="The case's id; minted when absent.")
    received_at: ApiDatetime | None = Field(None, description="Receipt; now when absent.")
    prosecutor: Officer | None = Field(None, description="The prosecutor handling the case.")


@router.post(
    "",
    summary="Receive a case transferred for review (受理审查起诉)",
    status_code=status.HTTP_201_CREATED,
    response_model=CaseView,
    responses={200: {"description": "The same transfer was already received: the existing case"}},
)
async def post_case(
    body: CaseTransferIn,
    uow: UnitOfWorkDep,
    response: Response,
    staff: Staff,
) -> CaseView:
    if body.procuratorate_unit != staff.agency:
        # Staff receive cases for their own unit only (承办检察院).
        raise Forbidden(f"staff of {staff.agency} may not receive a case for another unit")
    particulars = CaseParticulars.model_validate(
        body.model_dump(include=set(CaseParticulars.model_fields))
    )
    receipt = await receive_case(
        uow,
        particulars,
        case_id=body.case_id or uuid.uuid4(),
        received_at=body.received_at or uow.now(),
        prosecutor=body.prosecutor,
    )
    if not receipt.created:
        response.status_code = status.HTTP_200_OK
    if receipt.case is not None and receipt.suspects is not None and receipt.clocks is not None:
        # A new case: its rows are the ones just written, no read needed.
        return case_view_of(uow, receipt.case, receipt.suspects, receipt.clocks, [], [])
    case = receipt.case if receipt.case is not None else await uow.cases.case(receipt.case_id)
    return await case_view(uow, case)


class SuspectSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.SUSPECT_SUMMARY))

    suspect_id: UUID
    name: str
    defense_status: DefenseStatus


class CaseSummary(BaseModel):
    """A case as a search finds it; ``GET /cases/{case_id}`` has the rest."""

    model_config = ConfigDict(json_schema_extra=examples(x.CASE_SUMMARY))

    case_id: UUID
    transfer_number: str
    transferring_agency: str
    district: str
    received_at: datetime
    review_status: ReviewStatus
    review_deadline: date | None
    suspects: list[SuspectSummary]


@reads.get(
    "",
    summary="Find cases of the caller's unit (by transfer number, suspect, status, district, "
    "receipt period); a defense lawyer's own cases",
    description="Every filter given must match. `suspect_name` is an exact match of the whole "
    "name (spaces and full-width forms aside): names are stored sealed and found through a "
    "keyed hash, so there is no partial match. Ordered by receipt (received_at, case_id). "
    "A defense lawyer (role `lawyer`) finds the cases where they are a suspect's active "
    "defender, appointed or retained, in any unit, each showing only those suspects.",
    response_model=Page[CaseSummary],
)
async def find_cases(
    uow: UnitOfWorkDep,
    caller: Reader,
    paging: Paging,
    transfer_number: Annotated[
        str | None, Query(min_length=1, max_length=100, description="移送案号, exactly.")
    ] = None,
    suspect_name: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="A suspect's whole name, exactly."),
    ] = None,
    status: Annotated[ReviewStatus | None, Query(description="The case's review status.")] = None,
    district: Annotated[str | None, Query(max_length=50, description="所属区.")] = None,
    received_from: Annotated[
        ApiDate | None, Query(description="Received on or after this day (Asia/Shanghai).")
    ] = None,
    received_to: Annotated[
        ApiDate | None, Query(description="Received on or before this day (Asia/Shanghai).")
    ] = None,
) -> Page[CaseSummary]:
    if received_from and received_to and received_from > received_to:
        raise InvalidInput("the period ends before it starts", field="received_to", where="query")
    found = await search_cases(
        uow,
        CaseCriteria(
            procuratorate_unit=None if caller.role is Role.LAWYER else caller.agency or "",
            defended_by=_account(caller) if caller.role is Role.LAWYER else None,
            transfer_number=transfer_number,
            suspect_name=suspect_name,
            status=status,
            district=district,
            received_from=received_from,
            received_to=received_to,
        ),
        paging,
    )
    return paging.page(
        [
            CaseSummary(
                **{k: getattr(c.row, k) for k in CaseSummary.model_fields if k != "suspects"},
                suspects=[
                    SuspectSummary(
                        suspect_id=s.suspect_id,
                        name=s.name,
                        defense_status=DefenseStatus(s.defense_status),
                    )
                    for s in c.suspects
                ],
            )
            for c in found
        ]
    )


def _account(lawyer: Principal) -> UUID:
    try:
        return UUID(lawyer.lawyer_id or "")
    except ValueError:
        return uuid.UUID(int=0)  # not a roster id: defends nobody here


@reads.get(
    "/{case_id}",
    summary="A case, its suspects, defenders, clocks and notices",
)
async def get_case_view(case_id: UUID, scope: ReadableCase, uow: UnitOfWorkDep) -> CaseView:
    return await case_view(uow, await uow.cases.case(case_id), only=scope.suspect_ids)


class TimelineEntry(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.TIMELINE_ENTRY))

    event_id: UUID
    event_type: str
    producer: str
    occurred_at: datetime
    suspect_id: UUID | None
    payload: dict[str, Any]


@reads.get(
    "/{case_id}/timeline",
    summary="Every event of the case, both sides, in the order received",
)
async def get_timeline(
    case_id: UUID, scope: ReadableCase, uow: UnitOfWorkDep, paging: Paging
) -> Page[TimelineEntry]:
    await uow.cases.case(case_id)
    rows = await uow.cases.timeline_of(case_id, paging, suspect_ids=scope.suspect_ids)
    entries = [
        TimelineEntry(
            event_id=row.event_id,
            event_type=row.event_type,
            producer=row.producer,
            occurred_at=row.occurred_at,
            suspect_id=row.suspect_id,
            payload=_as_seen_by(scope, open_payload(uow.cipher, row)),
        )
        for row in rows
    ]
    return paging.page(entries)


def _as_seen_by(scope: CaseScope, payload: dict[str, Any]) -> dict[str, Any]:
    """A case event as a lawyer reads it: the co-suspects it also concerns left out."""
    if scope.suspect_ids is None or "suspect_ids" not in payload:
        return payload
    ids = [i for i in payload["suspect_ids"] if UUID(str(i)) in scope.suspect_ids]
    return {**payload, "suspect_ids": ids}


class SuspectFactsPatch(BaseModel):
    """Facts that came to light after receipt; only the fields given change."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=examples(x.SUSPECT_FACTS_PATCH))

    birth_date: ApiDate | None = None
    offence_date: ApiDate | None = None
    disabilities: list[Disability] | None = None
    limited_capacity: bool | None = None
    likely_sentence: SentenceBand | None = None
    pleads_guilty: bool | None = None
    admits_guilt: bool | None = None
    custody_status: CustodyStatus | None = None
    place_of_detention_or_residence: Place | None = None
    contacts: list[ContactInfo] | None = None
    guardian: Guardian | None = None
    close_relatives: list[CloseRelative] | None = None
    charges: list[Charge] | None = Field(None, min_length=1)


class Reassessment(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.REASSESSMENT))

    grounds: dict[UUID, list[Ground]] = Field(description="Every suspect's grounds now.")
    discovered: dict[UUID, list[Ground]] = Field(description="Grounds newly found, by suspect.")


async def _suspect_view(
    uow: Any, case_id: UUID, suspect_id: UUID, scope: CaseScope | None = None
) -> SuspectView:
    only = scope.suspect_ids if scope is not None else None
    view = await case_view(uow, await uow.cases.case(case_id), only=only)
    for suspect in view.suspects:
        if suspect.suspect_id == suspect_id:
            return suspect
    raise NotFound("suspect", suspect_id)


@reads.get(
    "/{case_id}/suspects/{suspect_id}",
    summary="A suspect of the case, with its ETag (for If-Match on PATCH)",
    description="The suspect as the case view shows it (grounds, defense status, defenders, "
    "clocks, facts); its `ETag` guards a correction of the facts (`If-Match` on the `PATCH`). "
    "Procuratorate staff of the case's unit, or the suspect's defense lawyer (read only).",
)
async def get_suspect(
    case_id: UUID, suspect_id: UUID, scope: ReadableCase, uow: UnitOfWorkDep, response: Response
) -> SuspectView:
    view = await _suspect_view(uow, case_id, suspect_id, scope)
    tag(response, view)
    return view


@router.patch(
    "/{case_id}/suspects/{suspect_id}",
    dependencies=[IN_CALLERS_UNIT],
    summary="Correct a suspect's facts; eligibility of the whole case is recomputed",
    responses=PRECONDITION_RESPONSES,
)
async def patch_suspect(
    case_id: UUID,
    suspect_id: UUID,
    body: SuspectFactsPatch,
    uow: UnitOfWorkDep,
    preconditions: IfMatch,
) -> Reassessment:
    # Locked before it is compared: a concurrent writer waits, then finds its If-Match stale.
    await uow.cases.suspect(case_id, suspect_id, lock=True)
    if preconditions.if_match is not None:
        preconditions.check(await _suspect_view(uow, case_id, suspect_id))
    changes = body.model_dump(mode="json", exclude_unset=True)
    try:
        discovered = await correct_facts(
            uow, CorrectFacts(case_id=case_id, suspect_id=suspect_id, changes=changes)
        )
    except ValidationError as error:
        first = error.errors()[0]
        raise InvalidInput(first["msg"], field=".".join(map(str, first["loc"]))) from error
    rows = await uow.cases.suspects_of(case_id)
    preconditions.tag(await _suspect_view(uow, case_id, suspect_id))
    return Reassessment(
        grounds={row.suspect_id: row.grounds for row in rows},
        discovered={k: list(v) for k, v in discovered.items()},
    )


class InformedPersonIn(InformedPerson):
    """A person told, as entered over REST: the contract's fields, the instant bounded."""

    model_config = ConfigDict(json_schema_extra=examples(x.INFORMED_PERSON))

    informed_at: ApiDatetime | None = Field(
        default=None, description="When this person was told; the notification's when absent."
    )


class RightsNotificationIn(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.RIGHTS_NOTIFICATION_IN))

    informed: list[InformedPersonIn] = Field(
        min_length=1,
        description="Everyone told: the suspect and the close relatives or guardian (Art. 3).",
    )
    notified_at: ApiDatetime | None = None
    relatives_not_informed_reason: Note | None = Field(
        None,
        description="Why no close relative or guardian was told; required when the case names "
        "some and none is among `informed`.",
    )


class RightsNotificationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.RIGHTS_NOTIFICATION_OUT))

    suspect_id: UUID
    notified_at: datetime
    legal_aid_warning_given: bool
    in_time: bool
    letter_clock_opened: bool = Field(
        description="In the scope without a defender: the 3 days for the letter run from now."
    )


@router.post(
    "/{case_id}/suspects/{suspect_id}/rights-notification",
    dependencies=[IN_CALLERS_UNIT],
    summary="Record that the suspect and relatives were told of the right to counsel (Art. 3)",
)
async def post_rights_notification(
    case_id: UUID,
    suspect_id: UUID,
    body: RightsNotificationIn,
    uow: UnitOfWorkDep,
) -> RightsNotificationOut:
    done = await notify_rights(
        uow,
        case_id,
        suspect_id,
        informed=tuple(InformedPerson.model_validate(p.model_dump()) for p in body.informed),
        notified_at=body.notified_at or uow.now(),
        relatives_not_informed_reason=body.relatives_not_informed_reason,
    )
    return RightsNotificationOut(
        suspect_id=suspect_id,
        notified_at=done.notified_at,
        legal_aid_warning_given=done.legal_aid_warning_given,
        in_time=done.in_time,
        letter_clock_opened=done.letter_clock_opened,
    )
