"""A suspect's defense: the decision, the notice-of-defense letter and its supplements,
refusals and reappointment, self-defense, private counsel (Measures Art. 3, 5, 6, 15)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from defense_schemas.events.common import Applicant, Officer, RetainedCounsel
from defense_schemas.events.procuratorate import NoticeOfDefenseLetter
from defense_schemas.fields import ContactInfo, Note, PersonName, ShortText, Unique
from defense_schemas.vocabulary import (
    DefenseChoice,
    EconomicTestExemption,
    NoticeItem,
    PersonRole,
    RefusalOutcome,
)
from official_documents import PdfUnavailable, TemplateError, content_disposition, converter
from procuratorate.api import examples as x
from procuratorate.api.access import IN_CALLERS_UNIT, STAFF, UnitOfWorkDep
from procuratorate.api.examples import examples
from procuratorate.api.views import DeadlineView, NoticeView
from procuratorate.db.personal import open_notice
from procuratorate.documents.letter import issue_date, letter_docx, letter_filename
from procuratorate.domain.commands import (
    ApplicationForm,
    DismissCounsel,
    PermitSelfDefense,
    RecordDecision,
    RequestReappointment,
    RetainCounsel,
    RuleRefusal,
    SupplementNotice,
)
from procuratorate.workflow import defense
from service_runtime.api_types import ApiDatetime
from service_runtime.errors import AUTH_RESPONSES, ERROR_RESPONSES, InvalidInput, Unavailable

router = APIRouter(
    prefix="/cases/{case_id}",
    tags=["defense"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    # Staff only, and only for a case of their own unit (another unit\'s case is a 404).
    dependencies=[STAFF, IN_CALLERS_UNIT],
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"


SELF = "本人"


class ApplicationIn(BaseModel):
    """The application form (申请表) taken with an application for legal aid (LAL Art. 41-42),
    forwarded to the center so it can assess hardship and tell the applicant its decision."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra=examples(x.LEGAL_AID_APPLICATION_IN)
    )

    applicant_name: PersonName = Field(description="The applicant's name (申请人).")
    relationship: ShortText = Field(
        SELF,
        description="The applicant's relationship to the suspect (e.g. 父亲), or 本人 when the "
        "suspect applies; 本人 goes with `decided_by` `suspect` and only with it.",
    )
    contact: ContactInfo | None = Field(
        None, description="Where the applicant is told the decision: phone, e-mail or address."
    )
    economic_hardship_statement: Note | None = Field(
        None, description="The applicant's statement of economic hardship (LAL Art. 41)."
    )
    exemption_grounds: Unique[EconomicTestExemption] = Field(
        (),
        description="Grounds exempting the application from the economic test (LAL Art. 32, 42).",
    )
    materials: list[ShortText] = Field(
        default_factory=list, max_length=50, description="The materials submitted with it."
    )


class DecisionIn(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.DEFENSE_DECISION_IN))

    choice: DefenseChoice
    decided_by: PersonRole = PersonRole.SUSPECT
    decided_at: ApiDatetime | None = None
    note: Note | None = None
    case_handler: Officer | None = Field(
        None, description="The letter's case handler; defaults to the case's prosecutor."
    )
    materials: list[ShortText] = Field(default_factory=list)
    application: ApplicationIn | None = Field(
        None, description="The application form, only with `choice` `apply_for_legal_aid`."
    )


def _application_form(body: DecisionIn) -> ApplicationForm | None:
    form = body.application
    if form is None:
        return None
    if body.choice is not DefenseChoice.APPLY_FOR_LEGAL_AID:
        raise InvalidInput(
            f"an application form goes only with choice {DefenseChoice.APPLY_FOR_LEGAL_AID.value}",
            field="application",
        )
    if (form.relationship.strip() == SELF) != (body.decided_by is PersonRole.SUSPECT):
        raise InvalidInput(
            f"relationship {SELF} is the suspect applying: it goes with decided_by suspect only",
            field="application.relationship",
        )
    return ApplicationForm(
        applicant=Applicant(
            name=form.applicant_name,
            contact=form.contact,
            relationship=form.relationship.strip(),
        ),
        economic_hardship_statement=form.economic_hardship_statement,
        exemption_grounds=form.exemption_grounds,
        materials=tuple(form.materials),
    )


class DecisionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.DEFENSE_DECISION_OUT))

    notice_id: UUID | None = Field(description="The letter sent, for a mandatory-scope suspect.")
    duty_lawyer_request_id: UUID | None = Field(
        description="The duty-lawyer request, for a suspect outside the scope (Art. 15)."
    )
    legal_aid_application_id: UUID | None = Field(
        description="The application forwarded to the center, for a suspect outside the scope "
        "who applied for legal aid (申请指派)."
    )


@router.post(
    "/suspects/{suspect_id}/defense-decision",
    summary="Record the suspect's decision about a defender; send the letter, forward an "
    "application for legal aid, or ask for a duty lawyer",
)
async def post_decision(
    case_id: UUID, suspect_id: UUID, body: DecisionIn, uow: UnitOfWorkDep
) -> DecisionOut:
    outcome = await defense.record_decision(
        uow,
        RecordDecision(
            case_id=case_id,
            suspect_id=suspect_id,
            choice=body.choice,
            decided_by=body.decided_by,
            decided_at=body.decided_at,
            note=body.note,
            case_handler=body.case_handler,
            materials=tuple(body.materials),
            application=_application_form(body),
        ),
    )
    return DecisionOut(**outcome)


@router.get("/notices/{notice_id}", summary="A notice-of-defense letter and its state")
async def get_notice(case_id: UUID, notice_id: UUID, uow: UnitOfWorkDep) -> NoticeView:
    row = await uow.cases.notice(case_id, notice_id)
    return NoticeView.model_validate(open_notice(uow.cipher, row))


async def _letter(
    case_id: UUID, notice_id: UUID, uow: UnitOfWorkDep
) -> tuple[NoticeOfDefenseLetter, bytes]:
    row = await uow.cases.notice(case_id, notice_id)
    notice = open_notice(uow.cipher, row)
    letter = NoticeOfDefenseLetter.model_validate(notice["letter"])
    try:
        docx = letter_docx(letter, issue_date(notice["sent_at"]), uow.settings.letter_template)
    except TemplateError as error:
        raise Unavailable(str(error)) from error
    return letter, docx


@router.get(
    "/notices/{notice_id}/letter.docx",
    summary="The letter as an official document (通知辩护公函, GB/T 9704-2012), DOCX",
    description="Filled into the bundled template or the one `PROCURATORATE_LETTER_TEMPLATE` "
    "names. Downloaded as 通知辩护公函-<文号>-<姓名>.docx (RFC 6266 `filename*`).",
    response_class=Response,
    responses={200: {"content": {DOCX: {}}, "description": "The letter"}},
)
async def get_letter_docx(case_id: UUID, notice_id: UUID, uow: UnitOfWorkDep) -> Response:
    letter, docx = await _letter(case_id, notice_id, uow)
    return Response(
        docx,
        media_type=DOCX,
        headers={"Content-Disposition": content_disposition(*letter_filename(letter, "docx"))},
    )


@router.get(
    "/notices/{notice_id}/letter.pdf",
    summary="The letter as an official document (通知辩护公函, GB/T 9704-2012), PDF",
    description="The DOCX converted by LibreOffice headless. 503 where LibreOffice is not "
    "installed on the server (the DOCX is still served).",
    response_class=Response,
    responses={
        200: {"content": {PDF: {}}, "description": "The letter"},
        503: {"description": "No PDF converter on this server; get the DOCX instead."},
    },
)
async def get_letter_pdf(case_id: UUID, notice_id: UUID, uow: UnitOfWorkDep) -> Response:
    letter, docx = await _letter(case_id, notice_id, uow)
    try:
        pdf = await converter().to_pdf(docx)
    except PdfUnavailable as error:
        raise Unavailable(f"{error}: the letter is available as DOCX (letter.docx)") from error
    return Response(
        pdf,
        media_type=PDF,
        headers={"Content-Disposition": content_disposition(*letter_filename(letter, "pdf"))},
    )


class SupplementIn(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.SUPPLEMENT_IN))

    items: list[NoticeItem] = Field(min_length=1)
    added_materials: list[ShortText] = Field(default_factory=list)
    supplemented_at: ApiDatetime | None = None


class SupplementOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.SUPPLEMENT_OUT))

    review_deadline: DeadlineView
    days_left: int
    warning: str | None = Field(description="Set when little time is left before the deadline.")


@router.post(
    "/notices/{notice_id}/supplements",
    summary="Supplement the letter at the aid center's request (Art. 3)",
)
async def post_supplement(
    case_id: UUID, notice_id: UUID, body: SupplementIn, uow: UnitOfWorkDep
) -> SupplementOut:
    result = await defense.supplement_notice(
        uow,
        SupplementNotice(
            case_id=case_id,
            notice_id=notice_id,
            items=tuple(dict.fromkeys(body.items)),
            added_materials=tuple(body.added_materials),
            supplemented_at=body.supplemented_at,
        ),
    )
    return SupplementOut(**result)


class RefusalIn(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.REFUSAL_IN))

    assignment_id: UUID
    refusal_reason: Note
    outcome: RefusalOutcome
    explanation: Note | None = None


class RefusalOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.REFUSAL_OUT))

    reappointment_request_id: UUID | None


@router.post(
    "/suspects/{suspect_id}/refusals",
    summary="Rule on the suspect's refusal of the appointed lawyer (Art. 5)",
)
async def post_refusal(
    case_id: UUID, suspect_id: UUID, body: RefusalIn, uow: UnitOfWorkDep
) -> RefusalOut:
    request_id = await defense.rule_refusal(
        uow,
        RuleRefusal(
            case_id=case_id,
            suspect_id=suspect_id,
            assignment_id=body.assignment_id,
            refusal_reason=body.refusal_reason,
            outcome=body.outcome,
            explanation=body.explanation,
        ),
    )
    return RefusalOut(reappointment_request_id=request_id)


class ReappointmentIn(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.REAPPOINTMENT_IN))

    assignment_id: UUID


@router.post(
    "/suspects/{suspect_id}/reappointment-requests",
    summary="Ask the center in writing to appoint another lawyer (另行指派, Art. 5)",
)
async def post_reappointment(
    case_id: UUID, suspect_id: UUID, body: ReappointmentIn, uow: UnitOfWorkDep
) -> RefusalOut:
    request_id = await defense.request_reappointment(
        uow,
        RequestReappointment(
            case_id=case_id, suspect_id=suspect_id, assignment_id=body.assignment_id
        ),
    )
    return RefusalOut(reappointment_request_id=request_id)


class SelfDefenseIn(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.SELF_DEFENSE_IN))

    statement: Note


@router.post(
    "/suspects/{suspect_id}/self-defense",
    summary="Permit the suspect to defend themselves (Art. 5); 409 on LAL Art. 25(1) grounds",
    status_code=204,
)
async def post_self_defense(
    case_id: UUID, suspect_id: UUID, body: SelfDefenseIn, uow: UnitOfWorkDep
) -> None:
    await defense.permit_self_defense(
        uow, PermitSelfDefense(case_id=case_id, suspect_id=suspect_id, statement=body.statement)
    )


class CounselIn(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.COUNSEL_IN))

    counsel: RetainedCounsel
    retained_by: PersonRole = PersonRole.SUSPECT
    suspect_accepts: bool | None = Field(
        None, description="Required when a relative or guardian retained: the suspect's choice."
    )
    lawyer_id: UUID | None = Field(
        None,
        description="The counsel's lawyer account on the platform (the `lawyer_id` of their "
        "token), when they have one: it then reads this suspect's procedural information as "
        "an appointed lawyer does (Measures Art. 10; CPL Art. 40), until dismissed. Staff "
        "give it after checking the counsel's identity; absent, nobody gains access.",
    )


class CounselOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.COUNSEL_OUT))

    retention_id: UUID | None = Field(description="None when the suspect declined the counsel.")


@router.post(
    "/suspects/{suspect_id}/private-counsel",
    summary="Record counsel retained by the suspect or, with their consent, relatives (Art. 6)",
)
async def post_private_counsel(
    case_id: UUID, suspect_id: UUID, body: CounselIn, uow: UnitOfWorkDep
) -> CounselOut:
    retention_id = await defense.retain_counsel(
        uow,
        RetainCounsel(
            case_id=case_id,
            suspect_id=suspect_id,
            counsel=body.counsel,
            retained_by=body.retained_by,
            suspect_accepts=body.suspect_accepts,
            lawyer_id=body.lawyer_id,
        ),
    )
    return CounselOut(retention_id=retention_id)


class DismissalIn(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.DISMISSAL_IN))

    note: Note | None = None


class DismissalOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(x.DISMISSAL_OUT))

    renotify: bool = Field(description="Legal aid must be notified again (Art. 6).")
    notice_id: UUID | None


@router.post(
    "/suspects/{suspect_id}/private-counsel/{retention_id}/dismissal",
    summary="Record the dismissal of retained counsel; re-notify only on LAL Art. 25(1) grounds",
)
async def post_dismissal(
    case_id: UUID,
    suspect_id: UUID,
    retention_id: UUID,
    body: DismissalIn,
    uow: UnitOfWorkDep,
) -> DismissalOut:
    result = await defense.dismiss_counsel(
        uow,
        DismissCounsel(
            case_id=case_id, suspect_id=suspect_id, retention_id=retention_id, note=body.note
        ),
    )
    return DismissalOut(**result)
