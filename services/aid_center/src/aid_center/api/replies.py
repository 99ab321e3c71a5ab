"""The center's reply to the procuratorate naming the appointed lawyer (指派通知书, the 函告
of Measures Art. 4), as a numbered official document to print and seal: DOCX and PDF."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from aid_center.api.access import OWN_ASSIGNMENT, STAFF
from aid_center.db.personal import SUSPECT_NAME
from aid_center.documents.reply import Reply, reply_docx, reply_filename
from aid_center.unit_of_work import UnitOfWorkDep
from official_documents import (
    PdfUnavailable,
    TemplateError,
    content_disposition,
    converter,
)
from service_runtime.errors import (
    AUTH_RESPONSES,
    ERROR_RESPONSES,
    Conflict,
    NotFound,
    Unavailable,
)

router = APIRouter(
    prefix="/assignments",
    tags=["assignments"],
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    # The center's staff, for an assignment of their own center (another's is a 404).
    dependencies=[STAFF, OWN_ASSIGNMENT],
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"


async def _reply(assignment_id: UUID, uow: UnitOfWorkDep) -> tuple[Reply, bytes]:
    row = await uow.aid.reply_of(assignment_id)
    if row is None:
        raise NotFound("assignment", assignment_id)
    if row["document_number"] is None:
        raise Conflict(
            "this assignment was made before the center numbered its replies: it has no "
            "numbered reply to print",
            field="assignment_id",
            where="path",
        )
    name = uow.cipher.decrypt(row["suspect_name"], field=SUSPECT_NAME, record_id=row["suspect_id"])
    reply = Reply.of(row, name)
    try:
        return reply, reply_docx(reply, uow.settings.reply_template)
    except TemplateError as error:
        raise Unavailable(str(error)) from error


@router.get(
    "/{assignment_id}/reply.docx",
    summary="The reply naming the appointed lawyer (指派通知书/函告, Art. 4), DOCX",
    description="A numbered document of the center after GB/T 9704-2012: the lawyer's name, "
    "firm and contact for the procuratorate. Filled into the bundled template or the one "
    "`AID_CENTER_REPLY_TEMPLATE` names. Downloaded as 指派通知书-<文号>-<姓名>.docx "
    "(RFC 6266 `filename*`).",
    response_class=Response,
    responses={200: {"content": {DOCX: {}}, "description": "The reply"}},
)
async def get_reply_docx(assignment_id: UUID, uow: UnitOfWorkDep) -> Response:
    reply, docx = await _reply(assignment_id, uow)
    return Response(
        docx,
        media_type=DOCX,
        headers={"Content-Disposition": content_disposition(*reply_filename(reply, "docx"))},
    )


@router.get(
    "/{assignment_id}/reply.pdf",
    summary="The reply naming the appointed lawyer (指派通知书/函告, Art. 4), PDF",
    description="The DOCX converted by LibreOffice headless. 503 where LibreOffice is not "
    "installed on the server (the DOCX is still served).",
    response_class=Response,
    responses={
        200: {"content": {PDF: {}}, "description": "The reply"},
        503: {"description": "No PDF converter on this server; get the DOCX instead."},
    },
)
async def get_reply_pdf(assignment_id: UUID, uow: UnitOfWorkDep) -> Response:
    reply, docx = await _reply(assignment_id, uow)
    try:
        pdf = await converter().to_pdf(docx)
    except PdfUnavailable as error:
        raise Unavailable(f"{error}: the reply is available as DOCX (reply.docx)") from error
    return Response(
        pdf,
        media_type=PDF,
        headers={"Content-Disposition": content_disposition(*reply_filename(reply, "pdf"))},
    )
