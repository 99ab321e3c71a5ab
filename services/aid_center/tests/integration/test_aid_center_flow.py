"""The aid center through the real broker and database, as the procuratorate drives it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import unquote
from uuid import UUID, uuid4

import pytest

from aid_center.api import replies as replies_api
from defense_schemas.events.aid_center import (
    AidTerminated,
    AssignmentEnded,
    AssignmentFailed,
    ConflictReported,
    LawyerActivityLogged,
    LawyerAssigned,
    LawyerReplaced,
    NoticeAccepted,
    QualityReviewRecorded,
    SupplementRequested,
)
from defense_schemas.events.common import RecipientWishes, RetainedCounsel
from defense_schemas.events.procuratorate import (
    CaseReceived,
    DefenseNoticeSent,
    EligibilityAssessed,
    LawyerRefusalRuled,
    NoticeSupplemented,
    PrivateCounselRetained,
    ReappointmentRequested,
    SelfDefensePermitted,
)
from defense_schemas.examples import CASE, LETTER, PROSECUTOR, SUSPECTS
from defense_schemas.vocabulary import (
    AssessmentTrigger,
    Gender,
    Ground,
    NoticeItem,
    PersonRole,
    ReappointmentReason,
    ReceiptKind,
    RefusalOutcome,
    SentenceBand,
)
from legal_calendar import CalendarDays, compute_deadline, legal_date
from official_documents import PdfConverter, chinese_date, docx_text
from service_runtime.security.principal import Role
from services.aid_center.tests.integration.center import Center, running_center
from tests.infrastructure import bearer, eventually
from tests.problems import at_fault, problem

pytestmark = pytest.mark.integration

SENT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Tianjin, a Monday
SUPPLEMENTED = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)  # the next Monday

ADULT, MINOR = SUSPECTS  # 张某 (adult, denies guilt) and 李某某 (a minor with a guardian)


def new_case(*, life_or_death: bool = False) -> tuple[UUID, CaseReceived, list[UUID]]:
    """A fresh copy of the example case with new ids."""
    suspects = [
        s.model_copy(
            update={
                "suspect_id": uuid4(),
                "likely_sentence": SentenceBand.LIFE_OR_DEATH
                if life_or_death
                else s.likely_sentence,
            }
        )
        for s in (ADULT, MINOR)
    ]
    received = CaseReceived(
        **{**dict(CASE), "suspects": tuple(suspects)},
        receipt_kind=ReceiptKind.TRANSFER,
        received_at=datetime.now(UTC),
        review_deadline=datetime.now(UTC).date(),
        pilot_district=True,
        prosecutor=PROSECUTOR,
    )
    return uuid4(), received, [s.suspect_id for s in suspects]


def notice_for(
    suspect_id: UUID,
    *,
    minor: bool,
    materials: tuple[str, ...] = ("起诉意见书",),
    grounds: tuple[Ground, ...] | None = None,
    wishes: RecipientWishes | None = None,
) -> DefenseNoticeSent:
    letter = LETTER
    if not minor:
        letter = LETTER.model_copy(
            update={
                "suspect_name": ADULT.name,
                "guardian": None,
                "grounds": grounds or (Ground.POSSIBLE_SENTENCE_3_YEARS_OR_MORE,),
            }
        )
    elif grounds:
        letter = LETTER.model_copy(update={"grounds": grounds})
    return DefenseNoticeSent(
        notice_id=uuid4(),
        suspect_id=suspect_id,
        sent_at=datetime.now(UTC),
        letter=letter,
        materials=materials,
        recipient_wishes=wishes,
    )


async def add_firm(center: Center, name: str) -> str:
    response = await center.client.post("/firms", json={"name": name, "contact": "022-1"})
    assert response.status_code == 201, response.text
    return str(response.json()["firm_id"])


async def add_lawyer(center: Center, firm_id: str, license_number: str, **extra: Any) -> str:
    body = {
        "firm_id": firm_id,
        "name": f"律师{license_number}",
        "license_number": license_number,
        "contact": f"138{license_number}",
        "gender": "male",
        "criminal_practice_years": 5,
        "max_concurrent_cases": 3,
        **extra,
    }
    response = await center.client.post("/lawyers", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["lawyer_id"])


async def test_notice_flows_to_lawyer_assigned_with_juvenile_specialist(
    service_settings: Callable[..., Any],
) -> None:
    async with running_center(service_settings, "aid-flow") as center:
        firm_a = await add_firm(center, "天津甲律师事务所")
        firm_b = await add_firm(center, "天津乙律师事务所")
        await add_lawyer(center, firm_a, "A001")
        specialist = await add_lawyer(center, firm_b, "B001", specialties=["juvenile"])
        case_id, received, (_, minor_id) = new_case()
        await center.publish(received, case_id)
        notice = notice_for(minor_id, minor=True)
        await center.publish(notice, case_id)

        accepted = await center.log.first(case_id, NoticeAccepted, notice_id=notice.notice_id)
        assigned: LawyerAssigned = await center.log.first(case_id, LawyerAssigned)
        assert str(assigned.lawyer.lawyer_id) == specialist
        assert assigned.lawyer.firm_name == "天津乙律师事务所"
        assert assigned.lawyer.contact == "138B001"
        assert assigned.notice_id == notice.notice_id

        body = (await center.client.get(f"/notices/{notice.notice_id}")).json()
        assert body["status"] == "assigned"
        expected = compute_deadline(
            legal_date(accepted.received_at),
            CalendarDays(3),
            center.service.runtime.calendar,
            allow_provisional=True,
        )
        assert body["assignment_due_on"] == expected.due_on.isoformat()
        assert "juvenile specialist" in " ".join(body["last_decision"]["reasons"])
        lawyer = (await center.client.get(f"/lawyers/{specialist}")).json()
        assert lawyer["active_cases"] == 1
        # Staff read who was passed over and why; the appointed lawyer reads why they were
        # chosen, never the colleague passed over.
        path = f"/assignments/{assigned.assignment_id}"
        staff_view = (await center.client.get(path)).json()["decision"]
        assert [p["name"] for p in staff_view["passed_over"]] == ["律师A001"]
        as_lawyer = bearer(center.settings, Role.LAWYER, lawyer_id=specialist)
        for response in (
            await center.client.get(path, headers=as_lawyer),
            await center.client.get("/assignments", headers=as_lawyer),
        ):
            assert response.status_code == 200, response.text
            body = response.json()
            seen = body["decision"] if "decision" in body else body["items"][0]["decision"]
            assert seen["passed_over"] == [] and seen["reasons"] == staff_view["reasons"]
            assert "律师A001" not in response.text

        # Measures Art. 4: the reply is a numbered document of the center, LawyerAssigned
        # carries its number, and it prints the lawyer's name, firm and contact.
        assert assigned.document_number is not None
        assert assigned.document_number.issuing_unit == "津河东援函"
        reply = await center.client.get(f"/assignments/{assigned.assignment_id}/reply.docx")
        assert reply.status_code == 200, reply.text
        text = docx_text(reply.content)
        for expected in (
            "天津市河东区法律援助中心指派通知书",
            assigned.document_number.text,
            f"{LETTER.procuratorate_unit}：",
            f"你院{LETTER.document_number.text}《通知辩护公函》收悉。",
            "《关于进一步深化刑事案件律师辩护全覆盖试点工作的实施办法》第四条",
            f"犯罪嫌疑人{MINOR.name}",
            "辩护律师：律师B001",
            "所属单位：天津乙律师事务所",
            "联系方式：138B001",
            chinese_date(legal_date(assigned.assigned_at)),
            "第一联 送人民检察院",
        ):
            assert expected in text, expected
        disposition = reply.headers["content-disposition"]
        assert unquote(disposition.split("filename*=UTF-8''")[1]) == (
            f"指派通知书-{assigned.document_number.text}-{MINOR.name}.docx"
        )
        no_such = await center.client.get(f"/assignments/{uuid4()}/reply.docx")
        assert no_such.status_code == 404
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(replies_api, "converter", lambda: PdfConverter("/nonexistent/soffice"))
            no_pdf = await center.client.get(f"/assignments/{assigned.assignment_id}/reply.pdf")
        assert no_pdf.status_code == 503, no_pdf.text
        assert "LibreOffice" in no_pdf.text and "reply.docx" in no_pdf.text

        # The same event delivered again changes nothing (the inbox skips it).
        before = len(center.log.of_case(case_id))
        await center.publish(notice, case_id)
        listing = (
            await center.client.get("/assignments", params={"case_id": str(case_id)})
        ).json()["items"]
        assert len(listing) == 1
        assert len(center.log.of_case(case_id)) == before


async def test_incomplete_notice_gets_supplement_request_then_assignment(
    service_settings: Callable[..., Any],
) -> None:
    async with running_center(service_settings, "aid-supp") as center:
        firm = await add_firm(center, "天津丙律师事务所")
        await add_lawyer(center, firm, "C001")
        case_id, received, (adult_id, _) = new_case()
        await center.publish(received, case_id)
        # Sent on Monday 2 March 2026 and handled by the center later (a backlog): the period
        # runs from the letter's receipt, not from when the center got round to it.
        notice = notice_for(adult_id, minor=False, materials=("户籍证明",)).model_copy(
            update={"sent_at": SENT}
        )
        await center.publish(notice, case_id)

        request: SupplementRequested = await center.log.first(case_id, SupplementRequested)
        assert request.missing_items == (NoticeItem.CASE_MATERIALS,)
        assert "起诉意见书" in (request.detail or "")
        body = (await center.client.get(f"/notices/{notice.notice_id}")).json()
        assert body["status"] == "supplement_requested"
        assert body["missing_materials"] == ["起诉意见书"]
        assert body["received_at"] == SENT.isoformat().replace("+00:00", "Z")
        assert body["assignment_due_on"] == "2026-03-05"  # Mon + 3 days (legal_calendar)

        await center.publish(
            NoticeSupplemented(
                notice_id=notice.notice_id,
                suspect_id=adult_id,
                supplemented_at=SUPPLEMENTED,
                supplemented_items=(NoticeItem.CASE_MATERIALS,),
                added_materials=("起诉意见书",),
                review_deadline=received.review_deadline,
            ),
            case_id,
        )
        accepted: NoticeAccepted = await center.log.first(case_id, NoticeAccepted)
        assigned: LawyerAssigned = await center.log.first(case_id, LawyerAssigned)
        assert assigned.suspect_id == adult_id
        # The completing supplement restarts the period; the acceptance says from when, so the
        # procuratorate and the notifier count it from the same instant.
        assert accepted.received_at == SUPPLEMENTED
        body = (await center.client.get(f"/notices/{notice.notice_id}")).json()
        assert body["assignment_due_on"] == "2026-03-12"  # Mon 9 March + 3 days


async def test_conflict_reassigns_to_another_firm_and_override_refuses_co_suspect_firm(
    service_settings: Callable[..., Any],
) -> None:
    async with running_center(service_settings, "aid-conflict") as center:
        firm_a = await add_firm(center, "天津丁律师事务所")
        firm_b = await add_firm(center, "天津戊律师事务所")
        firm_c = await add_firm(center, "天津己律师事务所")
        a1 = await add_lawyer(center, firm_a, "D001")
        await add_lawyer(center, firm_a, "D002")
        await add_lawyer(center, firm_b, "E001", max_concurrent_cases=9)
        await add_lawyer(center, firm_c, "F001", max_concurrent_cases=9)
        case_id, received, (adult_id, minor_id) = new_case()
        await center.publish(received, case_id)
        # The adult asks for D001 by licence number: honoured.
        adult_notice = notice_for(
            adult_id, minor=False, wishes=RecipientWishes(lawyer_license_number="D001")
        )
        await center.publish(adult_notice, case_id)
        first: LawyerAssigned = await center.log.first(case_id, LawyerAssigned, suspect_id=adult_id)
        assert str(first.lawyer.lawyer_id) == a1

        # The minor's notice arrives; firm A's D002 is free but firm A defends the co-suspect.
        minor_notice = notice_for(minor_id, minor=True)
        await center.publish(minor_notice, case_id)
        second: LawyerAssigned = await center.log.first(
            case_id, LawyerAssigned, suspect_id=minor_id
        )
        assert str(second.lawyer.firm_id) != firm_a

        # Firm of the minor's lawyer reports a conflict → another firm, never firm A either.
        response = await center.client.post(
            f"/assignments/{second.assignment_id}/conflicts",
            json={"kind": "other_conflict", "detail": "本所代理被害人"},
        )
        assert response.status_code == 201, response.text
        reported: ConflictReported = await center.log.first(case_id, ConflictReported)
        assert reported.assignment_id == second.assignment_id
        replaced: LawyerReplaced = await center.log.first(case_id, LawyerReplaced)
        assert replaced.previous_assignment_id == second.assignment_id
        assert replaced.lawyer.firm_id not in (second.lawyer.firm_id, UUID(firm_a))
        old = (await center.client.get(f"/assignments/{second.assignment_id}")).json()
        assert old["status"] == "ended" and old["end_reason"] == "conflict_of_interest"

        # Staff try to put the adult's firm on the minor by hand: refused (Measures Art. 13).
        response = await center.client.post(
            f"/assignments/{replaced.assignment_id}/replacement",
            json={"reason": "change_of_lawyer", "lawyer_id": (await lawyer_id(center, "D002"))},
        )
        assert response.status_code == 409
        assert at_fault(response) == ["#/lawyer_id"]
        assert "Art. 13" in problem(response)["detail"]


async def lawyer_id(center: Center, license_number: str) -> str:
    lawyers = (await center.client.get("/lawyers")).json()["items"]
    return next(x["lawyer_id"] for x in lawyers if x["license_number"] == license_number)


async def test_self_defense_terminates_aid_and_releases_caseload(
    service_settings: Callable[..., Any],
) -> None:
    async with running_center(service_settings, "aid-term") as center:
        firm = await add_firm(center, "天津庚律师事务所")
        chosen = await add_lawyer(center, firm, "G001")
        case_id, received, (adult_id, _) = new_case()
        await center.publish(received, case_id)
        await center.publish(notice_for(adult_id, minor=False), case_id)
        assigned: LawyerAssigned = await center.log.first(case_id, LawyerAssigned)
        assert (await center.client.get(f"/lawyers/{chosen}")).json()["active_cases"] == 1

        await center.publish(
            SelfDefensePermitted(
                suspect_id=adult_id,
                assignment_id=assigned.assignment_id,
                grounds=(Ground.POSSIBLE_SENTENCE_3_YEARS_OR_MORE,),
                statement="本人坚持自行辩护",
                permitted_at=datetime.now(UTC),
            ),
            case_id,
        )
        terminated: AidTerminated = await center.log.first(case_id, AidTerminated)
        assert terminated.assignment_id == assigned.assignment_id
        assert terminated.reason.value == "self_defense_permitted"
        assert (await center.client.get(f"/lawyers/{chosen}")).json()["active_cases"] == 0


async def test_life_sentence_with_only_juniors_is_unassignable_and_visible(
    service_settings: Callable[..., Any],
) -> None:
    async with running_center(service_settings, "aid-unassign") as center:
        firm = await add_firm(center, "天津辛律师事务所")
        await add_lawyer(center, firm, "H001", criminal_practice_years=1, gender=Gender.FEMALE)
        case_id, received, (adult_id, _) = new_case(life_or_death=True)
        await center.publish(received, case_id)
        notice = notice_for(
            adult_id, minor=False, grounds=(Ground.POSSIBLE_LIFE_OR_DEATH_SENTENCE,)
        )
        await center.publish(notice, case_id)
        failed: AssignmentFailed = await center.log.first(case_id, AssignmentFailed)
        assert failed.reason.value == "no_qualified_lawyer"
        listed = (await center.client.get("/notices", params={"status": "unassignable"})).json()[
            "items"
        ]
        assert [n["notice_id"] for n in listed] == [str(notice.notice_id)]
        passed = listed[0]["last_decision"]["passed_over"]
        assert passed[0]["reasons"] == ["insufficient_experience"]

        # Staff cannot override LAL Art. 26 either.
        response = await center.client.post(
            f"/notices/{notice.notice_id}/assignment",
            json={"lawyer_id": await lawyer_id(center, "H001"), "reason": "urgent"},
        )
        assert response.status_code == 409


async def test_rest_errors_name_the_problem(service_settings: Callable[..., Any]) -> None:
    async with running_center(service_settings, "aid-errors") as center:
        assert (await center.client.get(f"/notices/{uuid4()}")).status_code == 404
        assert (await center.client.get(f"/assignments/{uuid4()}")).status_code == 404
        response = await center.client.post(
            "/lawyers",
            json={
                "firm_id": str(uuid4()),
                "name": "某",
                "license_number": "X1",
                "contact": "1",
                "gender": "male",
                "criminal_practice_years": 3,
                "max_concurrent_cases": 2,
            },
        )
        assert response.status_code == 400 and at_fault(response) == ["#/firm_id"]
        response = await center.client.post("/firms", json={"contact": "1"})
        assert at_fault(response, 422) == ["#/name"]
        firm = await add_firm(center, "天津壬律师事务所")
        assert (
            await center.client.post("/firms", json={"name": "天津壬律师事务所", "contact": "1"})
        ).status_code == 409
        lawyer = await add_lawyer(center, firm, "J001")
        response = await center.client.post(
            f"/lawyers/{lawyer}/leaves", json={"starts_on": "2026-03-10", "ends_on": "2026-03-01"}
        )
        assert response.status_code == 400 and at_fault(response) == ["#/ends_on"]


async def test_reappointment_and_private_counsel(service_settings: Callable[..., Any]) -> None:
    async with running_center(service_settings, "aid-reappoint") as center:
        firm_a = await add_firm(center, "天津癸律师事务所")
        firm_b = await add_firm(center, "天津子律师事务所")
        first_lawyer = await add_lawyer(center, firm_a, "K001")
        await add_lawyer(center, firm_b, "K002", max_concurrent_cases=5)
        case_id, received, (adult_id, _) = new_case()
        await center.publish(received, case_id)
        await center.publish(notice_for(adult_id, minor=False), case_id)
        assigned: LawyerAssigned = await center.log.first(case_id, LawyerAssigned)
        assert str(assigned.lawyer.lawyer_id) == first_lawyer

        request_id = uuid4()
        await center.publish(
            ReappointmentRequested(
                request_id=request_id,
                suspect_id=adult_id,
                previous_assignment_id=assigned.assignment_id,
                reason=ReappointmentReason.CHANGE_OF_LAWYER_ALLOWED,
                requested_at=datetime.now(UTC),
                addressee_center="天津市河东区法律援助中心",
            ),
            case_id,
        )
        replaced: LawyerReplaced = await center.log.first(case_id, LawyerReplaced)
        assert replaced.reappointment_request_id == request_id
        assert str(replaced.lawyer.lawyer_id) != first_lawyer  # never the refused lawyer again

        await center.publish(
            PrivateCounselRetained(
                retention_id=uuid4(),
                suspect_id=adult_id,
                counsel=RetainedCounsel(name="孙律师", contact="13800000003"),
                retained_by=PersonRole.SUSPECT,
                retained_at=datetime.now(UTC),
                active_assignment_id=replaced.assignment_id,
            ),
            case_id,
        )
        ended: AidTerminated = await center.log.first(case_id, AidTerminated)
        assert ended.assignment_id == replaced.assignment_id
        assert ended.reason.value == "counsel_retained"
        notice = (await center.client.get("/notices", params={"case_id": str(case_id)})).json()[
            "items"
        ]
        assert notice[0]["status"] == "closed"


async def test_an_allowed_refusal_frees_the_place_and_the_request_brings_another_lawyer(
    service_settings: Callable[..., Any],
) -> None:
    async with running_center(service_settings, "aid-refused") as center:
        firm_a = await add_firm(center, "天津丑律师事务所")
        firm_b = await add_firm(center, "天津寅律师事务所")
        refused_lawyer = await add_lawyer(center, firm_a, "R001")
        await add_lawyer(center, firm_b, "R002", max_concurrent_cases=5)
        third = await add_lawyer(center, firm_a, "R003", max_concurrent_cases=5)
        case_id, received, (adult_id, _) = new_case()
        await center.publish(received, case_id)
        await center.publish(notice_for(adult_id, minor=False), case_id)
        assigned: LawyerAssigned = await center.log.first(case_id, LawyerAssigned)
        assert str(assigned.lawyer.lawyer_id) == refused_lawyer

        await center.publish(
            LawyerRefusalRuled(
                suspect_id=adult_id,
                assignment_id=assigned.assignment_id,
                refusal_reason="与律师存在利害关系",
                outcome=RefusalOutcome.ALLOWED_MUST_RETAIN_COUNSEL,
                ruled_at=datetime.now(UTC),
            ),
            case_id,
        )

        async def place_freed() -> bool:
            got = (await center.client.get(f"/lawyers/{refused_lawyer}")).json()
            return bool(got["active_cases"] == 0)

        await eventually(place_freed, what="the refused lawyer's place to be freed")
        ended = (await center.client.get(f"/assignments/{assigned.assignment_id}")).json()
        assert (ended["status"], ended["end_reason"]) == ("ended", "refusal_allowed")
        gone: AssignmentEnded = await center.log.first(case_id, AssignmentEnded)
        assert (gone.assignment_id, str(gone.lawyer_id)) == (assigned.assignment_id, refused_lawyer)
        assert gone.reason.value == "refusal_allowed"
        notice_path = f"/notices/{assigned.notice_id}"
        waiting = (await center.client.get(notice_path)).json()
        assert waiting["status"] == "awaiting_reappointment"  # no lawyer is active

        request_id = uuid4()
        requested_at = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)  # a Friday afternoon in Tianjin
        request = ReappointmentRequested(
            request_id=request_id,
            suspect_id=adult_id,
            previous_assignment_id=assigned.assignment_id,
            reason=ReappointmentReason.REFUSAL_ALLOWED_NO_COUNSEL_RETAINED,
            requested_at=requested_at,
            addressee_center="天津市河东区法律援助中心",
        )
        await center.publish(request, case_id)
        replaced: LawyerReplaced = await center.log.first(case_id, LawyerReplaced)
        # The written request started a new assignment period (Measures Art. 4-5): 3 days
        # from Friday end on Monday 9 March.
        again = (await center.client.get(notice_path)).json()
        assert again["status"] == "assigned"
        assert datetime.fromisoformat(again["assignment_started_at"]) == requested_at
        assert again["assignment_due_on"] == "2026-03-09"
        assert replaced.previous_assignment_id == assigned.assignment_id
        assert replaced.reappointment_request_id == request_id
        assert str(replaced.lawyer.lawyer_id) != refused_lawyer
        # Aid itself was never terminated: the suspect kept the right to a lawyer throughout.
        assert not [e for e in center.log.of_case(case_id) if isinstance(e, AidTerminated)]

        # A second request for the same refused appointment changes nothing: one answer each.
        await center.publish(request.model_copy(update={"request_id": uuid4()}), case_id)
        # Events of a case are handled in order: a change of lawyer published after it is
        # answered after it, so by then the duplicate would have shown.
        change = request.model_copy(
            update={
                "request_id": uuid4(),
                "previous_assignment_id": replaced.assignment_id,
                "reason": ReappointmentReason.CHANGE_OF_LAWYER_ALLOWED,
            }
        )
        await center.publish(change, case_id)
        changed: LawyerReplaced = await center.log.first(
            case_id, LawyerReplaced, reappointment_request_id=change.request_id
        )
        # Neither the lawyer being replaced nor the one refused earlier (Art. 5 ¶1).
        assert str(changed.lawyer.lawyer_id) == third
        replacements = [e for e in center.log.of_case(case_id) if isinstance(e, LawyerReplaced)]
        assert [e.previous_assignment_id for e in replacements] == [
            assigned.assignment_id,
            replaced.assignment_id,
        ]


async def test_activity_log_quality_review_and_meeting_flag(
    service_settings: Callable[..., Any],
) -> None:
    async with running_center(service_settings, "aid-quality", meeting_flag_days=1) as center:
        firm = await add_firm(center, "天津丑律师事务所")
        await add_lawyer(center, firm, "L001")
        case_id, received, (adult_id, _) = new_case()
        await center.publish(received, case_id)
        await center.publish(notice_for(adult_id, minor=False), case_id)
        assigned: LawyerAssigned = await center.log.first(case_id, LawyerAssigned)
        path = f"/assignments/{assigned.assignment_id}"
        today = legal_date(datetime.now(UTC)).isoformat()

        response = await center.client.post(
            f"{path}/activities", json={"kind": "meeting", "performed_on": "2000-01-01"}
        )
        assert response.status_code == 400
        assert at_fault(response) == ["#/performed_on"]
        for kind in ("meeting", "file_review"):
            response = await center.client.post(
                f"{path}/activities", json={"kind": kind, "performed_on": today}
            )
            assert response.status_code == 201, response.text
        logged = await center.log.wait_for(
            lambda events: [e for _, e in events if isinstance(e, LawyerActivityLogged)]
        )
        assert {e.kind.value for e in logged} >= {"meeting"}

        response = await center.client.post(
            f"{path}/quality-reviews",
            json={
                "measures": ["file_inspection", "recipient_follow_up"],
                "rating": "needs_improvement",
                "reviewer": "质量监督员",
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["checklist"] == {
            "meeting": True,
            "file_review": True,
            "investigation": False,
            "written_opinion": False,
        }
        review: QualityReviewRecorded = await center.log.first(case_id, QualityReviewRecorded)
        assert review.service_standard_met is False

        # Assigned today and met today: nothing overdue.
        overdue = (await center.client.get("/assignments/overdue-meetings")).json()["items"]
        assert overdue == []


async def test_previous_stage_lawyer_continues_on_a_new_notice(
    service_settings: Callable[..., Any],
) -> None:
    """Continuity (Art. 13): the lawyer recorded for the previous stage is appointed again."""
    async with running_center(service_settings, "aid-prev") as center:
        firm = await add_firm(center, "天津庚律师事务所")
        await add_lawyer(center, firm, "G001")
        previous = await add_lawyer(center, firm, "G002")
        case_id, received, (adult_id, _) = new_case()
        await center.publish(received, case_id)
        response = await center.client.put(
            f"/suspects/{adult_id}/previous-stage-lawyer", json={"lawyer_id": previous}
        )
        assert response.status_code == 200, response.text
        await center.publish(notice_for(adult_id, minor=False), case_id)

        assigned: LawyerAssigned = await center.log.first(case_id, LawyerAssigned)
        assert str(assigned.lawyer.lawyer_id) == previous
        assert assigned.continued_from_previous_stage is True
        assert assigned.lawyer.firm_name == "天津庚律师事务所"


async def test_a_minor_stays_a_minor_for_the_center_after_turning_18_during_review(
    service_settings: Callable[..., Any],
) -> None:
    """Minority is judged when the case was first received (LAL Art. 25(1)(1)); a re-transfer
    after the suspect's 18th birthday must not drop the juvenile specialist preference."""
    async with running_center(service_settings, "aid-turns-18") as center:
        firm_a = await add_firm(center, "天津癸律师事务所")
        firm_b = await add_firm(center, "天津子律师事务所")
        await add_lawyer(center, firm_a, "M001")
        specialist = await add_lawyer(
            center, firm_b, "M002", specialties=["juvenile"], max_concurrent_cases=9
        )
        case_id, received, (_, minor_id) = new_case()
        turns_18 = received.model_copy(
            update={
                "suspects": tuple(
                    s.model_copy(update={"birth_date": date(2008, 3, 5)})
                    if s.suspect_id == minor_id
                    else s
                    for s in received.suspects
                ),
                "received_at": datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
            }
        )
        retransferred = turns_18.model_copy(
            update={
                "receipt_kind": ReceiptKind.RETRANSFER_AFTER_SUPPLEMENTARY_INVESTIGATION,
                "received_at": datetime(2026, 3, 10, 1, 0, tzinfo=UTC),
            }
        )
        await center.publish(turns_18, case_id)
        await center.publish(retransferred, case_id)
        # The letter names another ground only: the center's own reading decides.
        notice = notice_for(
            minor_id, minor=True, grounds=(Ground.POSSIBLE_SENTENCE_3_YEARS_OR_MORE,)
        )
        await center.publish(notice, case_id)
        assigned: LawyerAssigned = await center.log.first(case_id, LawyerAssigned)
        assert str(assigned.lawyer.lawyer_id) == specialist


@pytest.mark.parametrize("offence_stated", [True, False])
async def test_a_suspect_who_offended_at_17_is_a_minors_case_for_the_center(
    service_settings: Callable[..., Any], offence_stated: bool
) -> None:
    """Minority is judged by age at the offence where the transfer states it (else at receipt):
    18 on receipt, 17 when offending, the juvenile specialist is preferred (Art. 12 ¶2)."""
    async with running_center(service_settings, "aid-offence-age") as center:
        firm_a = await add_firm(center, "天津卯律师事务所")
        firm_b = await add_firm(center, "天津辰律师事务所")
        generalist = await add_lawyer(center, firm_a, "O001")
        specialist = await add_lawyer(
            center, firm_b, "O002", specialties=["juvenile"], max_concurrent_cases=9
        )
        case_id, received, (adult_id, _) = new_case()
        # Turned 18 on 2026-01-10; the offence on 2025-12-20; received 2026-03-02.
        offence = {"offence_date": date(2025, 12, 20)} if offence_stated else {}
        received = received.model_copy(
            update={
                "suspects": tuple(
                    s.model_copy(update={"birth_date": date(2008, 1, 10), **offence})
                    if s.suspect_id == adult_id
                    else s
                    for s in received.suspects
                ),
                "received_at": datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
            }
        )
        await center.publish(received, case_id)
        # The letter names another ground only: the center's own reading decides.
        await center.publish(notice_for(adult_id, minor=False), case_id)
        assigned: LawyerAssigned = await center.log.first(case_id, LawyerAssigned)
        expected = specialist if offence_stated else generalist
        assert str(assigned.lawyer.lawyer_id) == expected


async def test_escalation_to_a_possible_life_sentence_replaces_a_junior_lawyer(
    service_settings: Callable[..., Any],
) -> None:
    """LAL Art. 26 holds for an appointment already made: a reassessment that brings a possible
    life or death sentence replaces a lawyer with under three years of criminal practice."""
    async with running_center(service_settings, "aid-escalate") as center:
        firm_a = await add_firm(center, "天津丑律师事务所")
        firm_b = await add_firm(center, "天津寅律师事务所")
        junior = await add_lawyer(center, firm_a, "N001", criminal_practice_years=1)
        senior = await add_lawyer(center, firm_b, "N002", max_concurrent_cases=1)
        await add_lawyer(center, firm_b, "N003", max_concurrent_cases=1)
        case_id, received, (adult_id, _) = new_case()
        await center.publish(received, case_id)
        await center.publish(notice_for(adult_id, minor=False), case_id)
        assigned: LawyerAssigned = await center.log.first(case_id, LawyerAssigned)
        assert str(assigned.lawyer.lawyer_id) == junior

        await center.publish(
            EligibilityAssessed(
                suspect_id=adult_id,
                assessed_at=datetime.now(UTC),
                trigger=AssessmentTrigger.NEW_INFORMATION,
                grounds=(Ground.POSSIBLE_LIFE_OR_DEATH_SENTENCE,),
                discovered_grounds=(Ground.POSSIBLE_LIFE_OR_DEATH_SENTENCE,),
                pilot_district=True,
            ),
            case_id,
        )
        replaced: LawyerReplaced = await center.log.first(case_id, LawyerReplaced)
        assert replaced.previous_assignment_id == assigned.assignment_id
        assert str(replaced.lawyer.lawyer_id) == senior
        assert "LAL Art. 26" in (replaced.detail or "")
        old = (await center.client.get(f"/assignments/{assigned.assignment_id}")).json()
        assert old["status"] == "ended"
        assert "LAL Art. 26" in old["end_detail"]
