"""The center's review of an application for legal aid (申请法律援助的审查, LAL Art. 41-43, 49).

    法律援助机构应当自收到法律援助申请之日起七日内进行审查，作出是否给予法律援助的决定；决定给予
    法律援助的，应当自作出决定之日起三日内指派法律援助人员为受援人提供法律援助；决定不给予法律援助的，
    应当书面告知申请人，并说明理由。申请人提交的申请材料不齐全的，法律援助机构应当一次性告知申请人
    需要补充的材料或者要求申请人作出说明。申请人未按要求补充材料或者作出说明的，视为撤回申请。
    (LAL Art. 43)

An application arrives ``under_review`` with its 7-day period (``APPLICATION_REVIEW``); the
center may ask once, all at a time, for what is missing (``materials_requested``; the period
restarts when the material comes); it grants (``accepted``, appointed at once, the 3 days of
``APPLICATION_ASSIGNMENT`` counted from the decision), refuses in writing with reasons and the
justice bureau to object to (Art. 49), or, the day given having passed without the material,
records the application as withdrawn. Each decision is ``ApplicationDecided``, which the
notifier sends to the applicant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from aid_center.domain.errors import NotKnown, RuleViolation, StateConflict
from aid_center.domain.status import IN_REVIEW, NoticeStatus
from aid_center.unit_of_work import AidCenterUnitOfWork
from aid_center.use_cases.appointing import Appointment, appoint
from defense_schemas.events.aid_center import (
    ApplicationDecided,
    ApplicationMaterialsRequested,
    ApplicationMaterialsSupplied,
)
from defense_schemas.events.procuratorate import LegalAidApplicationForwarded
from defense_schemas.vocabulary import ApplicationDecision, EconomicTestExemption, PersonRole
from legal_calendar import legal_date
from legal_calendar.deadlines import APPLICATION_ASSIGNMENT, APPLICATION_REVIEW
from service_runtime.paging import PageRequest

APPLICANT_NAME = "applications.applicant_name"
APPLICANT_CONTACT = "applications.applicant_contact"
APPLICANT_RELATIONSHIP = "applications.applicant_relationship"
HARDSHIP_STATEMENT = "applications.hardship_statement"

SELF = "本人"
"""The relationship of an applicant who is the suspect, as the application form writes it."""


def withdrawn_reasons(materials_due_on: date) -> str:
    """The written reasons of a deemed withdrawal: the day given, and the article."""
    day = f"{materials_due_on.year}年{materials_due_on.month}月{materials_due_on.day}日"
    return f"申请人未于{day}前按要求补充材料或者作出说明，视为撤回申请（《法律援助法》第四十三条）"


@dataclass(frozen=True)
class RequestMaterials:
    """一次性告知: everything missing, in one request."""

    application_id: UUID
    missing: tuple[str, ...]
    due_on: date | None = None


@dataclass(frozen=True)
class SupplyMaterials:
    """The applicant supplied what was asked (through staff)."""

    application_id: UUID
    materials: tuple[str, ...]
    hardship_statement: str | None = None
    exemption_grounds: tuple[EconomicTestExemption, ...] = ()


@dataclass(frozen=True)
class DecideApplication:
    application_id: UUID
    decision: ApplicationDecision
    reasons: str | None = None
    automatic: bool = False
    """Decided by the center's own check, not by staff (a deemed withdrawal only)."""


def applicant_relationship(event: LegalAidApplicationForwarded) -> str | None:
    """The applicant's relationship to the suspect as the form states it; for an application
    forwarded before the form carried it, 本人 when the suspect applied, else not known (a
    relative's or guardian's exact relationship cannot be guessed from ``applied_by``)."""
    if event.applicant is not None and event.applicant.relationship is not None:
        return event.applicant.relationship
    return SELF if event.applied_by is PersonRole.SUSPECT else None


def seal_applicant(uow: AidCenterUnitOfWork, application_id: UUID, values: dict[str, Any]) -> None:
    """The applicant's name, contact and statement, sealed with the row's id, in place."""
    for key, field in (
        ("applicant_name", APPLICANT_NAME),
        ("applicant_contact", APPLICANT_CONTACT),
        ("applicant_relationship", APPLICANT_RELATIONSHIP),
        ("hardship_statement", HARDSHIP_STATEMENT),
    ):
        if values.get(key) is not None:
            values[key] = uow.cipher.encrypt(values[key], field=field, record_id=application_id)


def open_application(uow: Any, row: Mapping[Any, Any]) -> dict[str, Any]:
    """An ``applications`` row as a dict, the applicant's data opened."""
    opened = dict(row)
    for key, field in (
        ("applicant_name", APPLICANT_NAME),
        ("applicant_contact", APPLICANT_CONTACT),
        ("applicant_relationship", APPLICANT_RELATIONSHIP),
        ("hardship_statement", HARDSHIP_STATEMENT),
    ):
        if opened.get(key) is not None:
            opened[key] = uow.cipher.decrypt(
                opened[key], field=field, record_id=row["application_id"]
            )
    return opened


def review_period(uow: AidCenterUnitOfWork, started_at: datetime) -> dict[str, Any]:
    due = APPLICATION_REVIEW.due(started_at, uow.calendar)
    return {
        "review_started_at": started_at,
        "review_due_on": due.due_on,
        "review_due_provisional": due.provisional,
    }


async def applications(
    uow: AidCenterUnitOfWork,
    center: str,
    *,
    status: NoticeStatus | None = None,
    case_id: UUID | None = None,
    page: PageRequest | None = None,
) -> list[dict[str, Any]]:
    """The applications addressed to ``center`` by receipt (received_at, application_id), the
    applicant's data opened."""
    rows = await uow.aid.applications_of_center(center, status=status, case_id=case_id, page=page)
    return [open_application(uow, row) for row in rows]


async def application(uow: AidCenterUnitOfWork, application_id: UUID) -> dict[str, Any]:
    row = await uow.aid.application(application_id)
    if row is None:
        raise NotKnown("application", application_id)
    return open_application(uow, row)


async def _held(uow: AidCenterUnitOfWork, application_id: UUID) -> dict[str, Any]:
    row = await uow.aid.application(application_id, for_update=True)
    if row is None:
        raise NotKnown("application", application_id)
    return open_application(uow, row)


async def request_materials(uow: AidCenterUnitOfWork, command: RequestMaterials) -> dict[str, Any]:
    """Ask for every missing material at once. A second request is refused: the law allows
    one (一次性告知), so whatever else is needed must have been in the first."""
    row = await _held(uow, command.application_id)
    if row["missing_materials"] is not None:
        raise StateConflict(
            "missing material was already asked for: the applicant is asked once, for all "
            "of it at a time (LAL Art. 43)",
            field="missing_materials",
        )
    if row["status"] != NoticeStatus.UNDER_REVIEW:
        raise StateConflict(f"the application is {row['status']}, not under review", field="status")
    at = uow.now()
    due_on = command.due_on or legal_date(at) + timedelta(
        days=uow.settings.application_materials_days
    )
    if due_on <= legal_date(at):
        raise RuleViolation("the day to supply the material must be after today", field="due_on")
    written = await uow.aid.update_application(
        command.application_id,
        {
            "status": NoticeStatus.MATERIALS_REQUESTED,
            "missing_materials": list(command.missing),
            "materials_requested_at": at,
            "materials_due_on": due_on,
            "updated_at": at,
        },
    )
    await uow.publish(
        ApplicationMaterialsRequested(
            application_id=command.application_id,
            suspect_id=row["suspect_id"],
            missing=command.missing,
            requested_at=at,
            due_on=due_on,
            applicant_name=row["applicant_name"],
            applicant_contact=row["applicant_contact"],
            applicant_relationship=row["applicant_relationship"],
        ),
        case_id=row["case_id"],
        caused_by=None,
    )
    return open_application(uow, written)


async def supply_materials(uow: AidCenterUnitOfWork, command: SupplyMaterials) -> dict[str, Any]:
    """The material asked for came by the day given: the application is complete now, and its
    7-day review counts from today."""
    row = await _held(uow, command.application_id)
    if row["status"] != NoticeStatus.MATERIALS_REQUESTED:
        raise StateConflict(
            f"the application is {row['status']}; no material was asked for", field="status"
        )
    at = uow.now()
    if legal_date(at) > row["materials_due_on"]:
        raise StateConflict(
            f"the day to supply the material ({row['materials_due_on']}) has passed: the "
            "application is deemed withdrawn (LAL Art. 43)",
            field="materials_due_on",
        )
    values: dict[str, Any] = {
        "status": NoticeStatus.UNDER_REVIEW,
        "materials": [*row["materials"], *command.materials],
        "exemption_grounds": sorted({*row["exemption_grounds"], *command.exemption_grounds}),
        "updated_at": at,
        **review_period(uow, at),
    }
    if command.hardship_statement is not None:
        values["hardship_statement"] = command.hardship_statement
    seal_applicant(uow, command.application_id, values)
    written = await uow.aid.update_application(command.application_id, values)
    # The notifier's review clock restarts from the same instant.
    await uow.publish(
        ApplicationMaterialsSupplied(
            application_id=command.application_id,
            suspect_id=row["suspect_id"],
            supplied_at=at,
            review_due_on=values["review_due_on"],
        ),
        case_id=row["case_id"],
        caused_by=None,
    )
    return open_application(uow, written)


@dataclass(frozen=True)
class Decided:
    application: dict[str, Any]
    appointment: Appointment | None


async def decide(uow: AidCenterUnitOfWork, command: DecideApplication) -> Decided:
    """Grant, refuse, or record as withdrawn. A grant needs the economic-hardship statement or
    an exemption ground (LAL Art. 41, 32, 42) and is appointed at once; the period to appoint
    (3 days) starts at the grant. A refusal states its reasons and the justice bureau the
    applicant may object to (Art. 49)."""
    row = await _held(uow, command.application_id)
    if row["status"] not in IN_REVIEW:
        raise StateConflict(f"the application is {row['status']}: already decided", field="status")
    at = uow.now()
    decision = command.decision
    reasons = command.reasons
    values: dict[str, Any] = {"decision": decision.value, "decided_at": at, "updated_at": at}
    objection_to = None
    assignment_due_on = None
    if decision is ApplicationDecision.GRANTED:
        if not row["hardship_statement"] and not row["exemption_grounds"]:
            raise RuleViolation(
                "no statement of economic hardship and no exemption ground (LAL Art. 41, 32, "
                "42): ask the applicant for it before granting",
                field="decision",
            )
        assignment_due = APPLICATION_ASSIGNMENT.due(at, uow.calendar)
        assignment_due_on = assignment_due.due_on
        values |= {"status": NoticeStatus.ACCEPTED, "assignment_due_on": assignment_due_on}
    elif decision is ApplicationDecision.REFUSED:
        if not reasons:
            raise RuleViolation(
                "a refusal is written with its reasons (LAL Art. 43)", field="reasons"
            )
        center = row["addressee_center"]
        objection_to = uow.settings.justice_bureaus.get(center, f"设立{center}的司法行政部门")
        values |= {"status": NoticeStatus.REFUSED}
    else:
        if (
            row["status"] != NoticeStatus.MATERIALS_REQUESTED
            or legal_date(at) <= (row["materials_due_on"])
        ):
            raise StateConflict(
                "an application is deemed withdrawn only once the day given to supply the "
                "material asked for has passed without it (LAL Art. 43)",
                field="decision",
            )
        reasons = reasons or withdrawn_reasons(row["materials_due_on"])
        values |= {"status": NoticeStatus.WITHDRAWN, "decided_automatically": command.automatic}
    values["decision_reasons"] = reasons
    written = await uow.aid.update_application(command.application_id, values)
    await uow.publish(
        ApplicationDecided(
            application_id=command.application_id,
            suspect_id=row["suspect_id"],
            decision=decision,
            decided_at=at,
            reasons=reasons,
            objection_to=objection_to,
            assignment_due_on=assignment_due_on,
            applicant_name=row["applicant_name"],
            applicant_contact=row["applicant_contact"],
            applicant_relationship=row["applicant_relationship"],
        ),
        case_id=row["case_id"],
        caused_by=None,
    )
    appointment = None
    if decision is ApplicationDecision.GRANTED:
        appointment = await appoint(
            uow, None, application_id=command.application_id, caused_by=None, at=at
        )
    after = await uow.aid.application(command.application_id)
    assert after is not None
    return Decided(open_application(uow, after or written), appointment)


WITHDRAWAL_BATCH = 100
"""Applications deemed withdrawn per transaction: a short lock on each row taken."""


async def withdraw_lapsed(uow: AidCenterUnitOfWork, *, limit: int = WITHDRAWAL_BATCH) -> list[UUID]:
    """视为撤回申请 (LAL Art. 43) without staff: every application whose day to supply the
    material asked for has passed without it is recorded withdrawn, with the written reasons
    naming the day and the article, and ``ApplicationDecided`` tells the applicant (through
    the notifier) and closes the 7-day review clock. The law deems it so, so nobody needs to
    decide; the center's check only records it. Rows another transaction holds are skipped
    (``lapsed_material_requests``): each application is withdrawn once, whichever replica
    runs the check. Returns those withdrawn, at most ``limit``."""
    lapsed = await uow.aid.lapsed_material_requests(legal_date(uow.now()), limit=limit)
    for application_id in lapsed:
        await decide(
            uow,
            DecideApplication(application_id, ApplicationDecision.DEEMED_WITHDRAWN, automatic=True),
        )
    return lapsed
