"""The center's review of an application (LAL Art. 41-43, 49) on the fake unit of work: the
7-day period from receipt, missing material asked for once and all at a time, the period
restarting when it comes, deemed withdrawn after the day given, a grant appointed at once with
its 3 days from the decision, a refusal in writing with reasons and the body to object to."""

from __future__ import annotations

import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

from aid_center.domain.errors import RuleViolation, StateConflict
from aid_center.domain.status import NoticeStatus
from aid_center.use_cases.applications import (
    DecideApplication,
    RequestMaterials,
    SupplyMaterials,
    decide,
    request_materials,
    supply_materials,
    withdraw_lapsed,
)
from aid_center.use_cases.intake import receive_application
from defense_schemas import examples as ex
from defense_schemas.events.aid_center import (
    ApplicationDecided,
    ApplicationMaterialsRequested,
    LawyerAssigned,
)
from defense_schemas.events.common import Applicant
from defense_schemas.events.procuratorate import LegalAidApplicationForwarded
from defense_schemas.vocabulary import ApplicationDecision, EconomicTestExemption, PersonRole
from legal_calendar import legal_date
from legal_calendar.deadlines import APPLICATION_ASSIGNMENT, APPLICATION_REVIEW

sys.path.insert(0, str(Path(__file__).parent))
from fake_aid_center_unit_of_work import NOW, FakeUnitOfWork


def _forwarded(**update: object) -> LegalAidApplicationForwarded:
    values: dict[str, object] = {
        "application_id": uuid.uuid4(),
        "suspect_id": uuid.uuid4(),
        "applied_by": PersonRole.CLOSE_RELATIVE,
        "applied_at": NOW - timedelta(days=1),
        "forwarded_at": NOW - timedelta(hours=2),
        "addressee_center": ex.CENTER,
        "applicant": Applicant(name="张父", contact="13800000003"),
        "economic_hardship_statement": "家庭无固定收入",
        **update,
    }
    return LegalAidApplicationForwarded(**values)  # type: ignore[arg-type]


async def _received(uow: FakeUnitOfWork, **update: object) -> uuid.UUID:
    event = _forwarded(**update)
    await receive_application(
        uow, event, case_id=uuid.uuid4(), caused_by=None, at=event.forwarded_at
    )
    return event.application_id


def _uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    uow.aid.add_lawyer("甲律师事务所", "王律师")
    return uow


async def test_an_application_waits_for_the_centers_review_with_its_seven_days() -> None:
    uow = _uow()
    application_id = await _received(uow)

    row = uow.aid.applications[application_id]
    assert row["status"] == NoticeStatus.UNDER_REVIEW
    assert not uow.events(LawyerAssigned)  # no longer appointed on receipt
    forwarded_at = NOW - timedelta(hours=2)
    assert row["review_due_on"] == APPLICATION_REVIEW.due(forwarded_at, uow.calendar).due_on
    # The applicant's data is sealed at rest.
    assert "张父" not in repr(row)


async def test_a_grant_is_appointed_at_once_and_its_three_days_start_at_the_decision() -> None:
    uow = _uow()
    application_id = await _received(uow)

    decided = await decide(uow, DecideApplication(application_id, ApplicationDecision.GRANTED))

    (event,) = uow.events(ApplicationDecided)
    assert event.decision is ApplicationDecision.GRANTED
    assert event.assignment_due_on == APPLICATION_ASSIGNMENT.due(NOW, uow.calendar).due_on
    assert decided.appointment is not None and decided.appointment.assignment_id is not None
    assert decided.application["status"] == NoticeStatus.ASSIGNED
    assert decided.application["decision"] == "granted"
    assert uow.events(LawyerAssigned)[0].application_id == application_id


async def test_a_refusal_is_written_with_reasons_and_the_bureau_to_object_to() -> None:
    uow = _uow()
    application_id = await _received(uow)

    with pytest.raises(RuleViolation) as no_reasons:
        await decide(uow, DecideApplication(application_id, ApplicationDecision.REFUSED))
    assert no_reasons.value.field == "reasons"

    decided = await decide(
        uow,
        DecideApplication(
            application_id, ApplicationDecision.REFUSED, reasons="不符合经济困难标准"
        ),
    )

    (event,) = uow.events(ApplicationDecided)
    assert event.decision is ApplicationDecision.REFUSED
    assert event.reasons == "不符合经济困难标准"
    assert event.objection_to == "天津市河东区司法局"
    assert (event.applicant_name, event.applicant_contact) == ("张父", "13800000003")
    assert decided.application["status"] == NoticeStatus.REFUSED
    assert not uow.events(LawyerAssigned)
    with pytest.raises(StateConflict):  # decided once
        await decide(uow, DecideApplication(application_id, ApplicationDecision.GRANTED))


async def test_no_grant_without_a_hardship_statement_or_an_exemption_ground() -> None:
    uow = _uow()
    application_id = await _received(uow, economic_hardship_statement=None)

    with pytest.raises(RuleViolation) as refused:
        await decide(uow, DecideApplication(application_id, ApplicationDecision.GRANTED))
    assert refused.value.field == "decision"

    exempt = await _received(
        uow,
        economic_hardship_statement=None,
        exemption_grounds=(EconomicTestExemption.ASSISTANCE_RECIPIENT,),
    )
    decided = await decide(uow, DecideApplication(exempt, ApplicationDecision.GRANTED))
    assert decided.application["status"] == NoticeStatus.ASSIGNED


async def test_missing_material_is_asked_for_once_and_restarts_the_review() -> None:
    uow = _uow()
    application_id = await _received(uow, economic_hardship_statement=None)

    asked = await request_materials(
        uow, RequestMaterials(application_id, ("经济困难状况说明表", "户籍证明"))
    )
    assert asked["status"] == NoticeStatus.MATERIALS_REQUESTED
    (event,) = uow.events(ApplicationMaterialsRequested)
    assert event.missing == ("经济困难状况说明表", "户籍证明")
    assert event.due_on == legal_date(NOW) + timedelta(days=uow.settings.application_materials_days)
    with pytest.raises(StateConflict) as again:
        await request_materials(uow, RequestMaterials(application_id, ("其他",)))
    assert again.value.field == "missing_materials"

    uow.now_is = NOW + timedelta(days=2)
    supplied = await supply_materials(
        uow,
        SupplyMaterials(
            application_id, ("经济困难状况说明表", "户籍证明"), hardship_statement="无业"
        ),
    )
    assert supplied["status"] == NoticeStatus.UNDER_REVIEW
    assert supplied["hardship_statement"] == "无业"
    restarted = APPLICATION_REVIEW.due(uow.now_is, uow.calendar).due_on
    assert supplied["review_due_on"] == restarted
    decided = await decide(uow, DecideApplication(application_id, ApplicationDecision.GRANTED))
    assert decided.application["status"] == NoticeStatus.ASSIGNED


async def test_not_completed_by_the_day_given_the_application_is_deemed_withdrawn() -> None:
    uow = _uow()
    application_id = await _received(uow)
    await request_materials(
        uow, RequestMaterials(application_id, ("身份证明",), due_on=date(2026, 3, 20))
    )
    withdrawn = DecideApplication(application_id, ApplicationDecision.DEEMED_WITHDRAWN)

    # Not before the day has passed.
    with pytest.raises(StateConflict):
        await decide(uow, withdrawn)

    uow.now_is = NOW.replace(year=2026, month=3, day=21, hour=6)
    with pytest.raises(StateConflict) as late:
        await supply_materials(uow, SupplyMaterials(application_id, ("身份证明",)))
    assert late.value.field == "materials_due_on"
    decided = await decide(uow, withdrawn)

    assert decided.application["status"] == NoticeStatus.WITHDRAWN
    (event,) = uow.events(ApplicationDecided)
    assert event.decision is ApplicationDecision.DEEMED_WITHDRAWN
    assert "视为撤回申请" in (event.reasons or "")


async def test_the_applicants_relationship_travels_with_every_message_to_the_applicant() -> None:
    """The notifier answers the father about his son's application: the relationship the form
    states reaches the events addressed to the applicant, and is sealed at rest like the name."""
    uow = _uow()
    application_id = await _received(
        uow, applicant=Applicant(name="张父", contact="13800000003", relationship="父亲")
    )
    assert "父亲" not in repr(uow.aid.applications[application_id])

    await request_materials(uow, RequestMaterials(application_id, ("户籍证明",)))
    decided = await decide(
        uow, DecideApplication(application_id, ApplicationDecision.REFUSED, reasons="不符合条件")
    )

    (asked,) = uow.events(ApplicationMaterialsRequested)
    (told,) = uow.events(ApplicationDecided)
    assert asked.applicant_relationship == told.applicant_relationship == "父亲"
    assert decided.application["applicant_relationship"] == "父亲"


@pytest.mark.parametrize(
    ("applied_by", "expected"),
    [(PersonRole.SUSPECT, "本人"), (PersonRole.CLOSE_RELATIVE, None), (PersonRole.GUARDIAN, None)],
)
async def test_an_application_forwarded_without_the_relationship_defaults_by_who_applied(
    applied_by: PersonRole, expected: str | None
) -> None:
    """A message written before the form carried the relationship: the suspect's own
    application is 本人; a relative's exact relationship is not guessed."""
    uow = _uow()
    application_id = await _received(uow, applied_by=applied_by)

    decided = await decide(uow, DecideApplication(application_id, ApplicationDecision.GRANTED))

    assert decided.application["applicant_relationship"] == expected
    assert uow.events(ApplicationDecided)[0].applicant_relationship == expected


async def test_the_center_records_a_lapsed_application_withdrawn_without_staff() -> None:
    """LAL Art. 43 deems it withdrawn: the center's check records it the day after the day
    given, with the day and the article in the written reasons, and leaves alone what is
    still within its day, what was supplied and what is under review."""
    uow = _uow()
    lapsing = await _received(uow)
    await request_materials(uow, RequestMaterials(lapsing, ("身份证明",), due_on=date(2026, 3, 20)))
    later = await _received(uow)
    await request_materials(uow, RequestMaterials(later, ("户籍证明",), due_on=date(2026, 3, 25)))
    untouched = await _received(uow)

    uow.now_is = NOW.replace(year=2026, month=3, day=20, hour=15)  # the last day itself
    assert await withdraw_lapsed(uow) == []
    uow.now_is = NOW.replace(year=2026, month=3, day=21, hour=0, minute=30)
    assert await withdraw_lapsed(uow) == [lapsing]
    assert await withdraw_lapsed(uow) == []  # once

    row = uow.aid.applications[lapsing]
    assert row["status"] == NoticeStatus.WITHDRAWN and row["decided_automatically"]
    (event,) = uow.events(ApplicationDecided)
    assert event.decision is ApplicationDecision.DEEMED_WITHDRAWN
    assert event.reasons == (
        "申请人未于2026年3月20日前按要求补充材料或者作出说明，视为撤回申请（《法律援助法》第四十三条）"
    )
    assert (event.applicant_name, event.applicant_contact) == ("张父", "13800000003")
    assert uow.aid.applications[later]["status"] == NoticeStatus.MATERIALS_REQUESTED
    assert uow.aid.applications[untouched]["status"] == NoticeStatus.UNDER_REVIEW
    assert not uow.events(LawyerAssigned)
