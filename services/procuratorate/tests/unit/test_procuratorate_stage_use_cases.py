"""The review stage's use cases off the defense path — the rights notification, procedural
decisions, the expedited procedure, the plea witness, file review, written opinions and
sentencing consultations — on the fake unit of work: their rules in milliseconds. The
integration tests prove the same steps on the real broker and database."""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from defense_schemas.events.common import SuspectParticulars
from defense_schemas.events.procuratorate import (
    ExpeditedProcedureApplied,
    FileReviewRequested,
    FileReviewScheduled,
    InformedPerson,
    LawyerOpinion,
    ProceduralDecisionMade,
    RightsNotified,
    StageHandedOver,
    WrittenOpinionReceived,
)
from defense_schemas.vocabulary import (
    ClockKind,
    ClockOutcome,
    DefenseStatus,
    Ground,
    OpinionResponse,
    PersonRole,
    ProceduralDecisionKind,
    WitnessMode,
    WitnessRole,
)
from legal_calendar.deadlines import RIGHTS_NOTIFICATION
from procuratorate.domain.clocks import review_period
from procuratorate.domain.commands import DecideProcedure
from procuratorate.domain.defense_path import RuleViolation, StateConflict
from procuratorate.domain.statistics import ClockRecord, SuspectRecord, compute_statistics
from procuratorate.workflow import defense_work, proceedings
from procuratorate.workflow.rights import notify_rights
from service_runtime.errors import Conflict, InvalidInput

sys.path.insert(0, str(Path(__file__).parent))
from fake_unit_of_work import NOW, FakeUnitOfWork

RECEIVED = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 2 March 2026, 09:00 in Tianjin


def facts(**overrides: Any) -> SuspectParticulars:
    return SuspectParticulars.model_validate(
        {
            "suspect_id": str(uuid.uuid4()),
            "name": "张三",
            "birth_date": "1990-05-01",
            "gender": "male",
            "limited_capacity": False,
            "custody_status": "bail",
            "place_of_detention_or_residence": "天津市河东区",
            "contacts": ["022-12345678"],
            "charges": ["盗窃罪"],
            "likely_sentence": "one_year_or_less",
            "pleads_guilty": True,
            **overrides,
        }
    )


async def a_case(*grounds: Ground, **fact_overrides: Any) -> tuple[FakeUnitOfWork, Any, Any]:
    """A case received on RECEIVED with its review clock running, and one suspect."""
    uow = FakeUnitOfWork()
    case = uow.cases.add_case(received_at=RECEIVED)
    suspect = uow.cases.add_suspect(case, facts(**fact_overrides), grounds=grounds)
    await uow.cases.start_clock(
        case_id=case.case_id,
        suspect_id=None,
        kind=ClockKind.REVIEW_PERIOD,
        started_at=RECEIVED,
        period=review_period(),
    )
    return uow, case, suspect


def review_clocks(uow: FakeUnitOfWork) -> list[Any]:
    return [c for c in uow.cases.clocks if c.kind == ClockKind.REVIEW_PERIOD.value]


# -- the rights notification (Art. 3 ¶1)


async def test_informing_an_in_scope_suspect_meets_the_rights_clock_and_opens_the_letters() -> None:
    uow, case, suspect = await a_case(Ground.MINOR, birth_date="2010-01-01")
    suspect.rights_notified_at = None
    await uow.cases.start_clock(
        case_id=case.case_id,
        suspect_id=suspect.suspect_id,
        kind=ClockKind.RIGHTS_NOTIFICATION,
        started_at=RECEIVED,
        period=RIGHTS_NOTIFICATION.period,
    )

    done = await notify_rights(
        uow,  # type: ignore[arg-type]
        case.case_id,
        suspect.suspect_id,
        informed=(InformedPerson(role=PersonRole.SUSPECT, name="张三"),),
        notified_at=NOW,
        relatives_not_informed_reason=None,
    )

    assert done.in_time and done.legal_aid_warning_given and done.letter_clock_opened
    assert suspect.rights_notified_at == NOW
    (letter_clock,) = uow.cases.open_clocks(suspect.suspect_id, ClockKind.NOTICE_DISPATCH)
    assert letter_clock.trigger_on == date(2026, 3, 3)
    (told,) = uow.events(RightsNotified)
    assert told.informed[0].told_legal_aid_will_appoint is True
    # Told again later: the first instant stays, the clock's outcome is read back.
    uow.now_is = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
    again = await notify_rights(
        uow,  # type: ignore[arg-type]
        case.case_id,
        suspect.suspect_id,
        informed=(InformedPerson(role=PersonRole.SUSPECT, name="张三"),),
        notified_at=datetime(2026, 3, 9, 2, 0, tzinfo=UTC),
        relatives_not_informed_reason=None,
    )
    assert again.in_time and suspect.rights_notified_at == NOW


async def test_relatives_the_case_names_must_be_told_or_the_reason_given() -> None:
    uow, case, suspect = await a_case(
        close_relatives=[{"name": "张父", "relationship": "父亲", "contact": "13900000000"}]
    )
    with pytest.raises(RuleViolation) as refused:
        await notify_rights(
            uow,  # type: ignore[arg-type]
            case.case_id,
            suspect.suspect_id,
            informed=(InformedPerson(role=PersonRole.SUSPECT, name="张三"),),
            notified_at=NOW,
            relatives_not_informed_reason=None,
        )
    assert refused.value.field == "informed" and uow.emitted == []


# -- procedural decisions (Art. 10; CPL Art. 172, 175)


async def test_an_extension_moves_the_review_period_once() -> None:
    uow, case, _ = await a_case()
    decided = await proceedings.decide_procedure(
        uow,  # type: ignore[arg-type]
        DecideProcedure(case.case_id, ProceduralDecisionKind.EXTENSION),
    )
    # One month and 15 days from Monday 2 March: Friday 17 April.
    assert case.review_deadline == date(2026, 4, 17) and case.extended
    assert decided.case is case
    (made,) = uow.events(ProceduralDecisionMade)
    assert made.review_deadline == date(2026, 4, 17) and made.review_deadline_provisional is False
    first, second = review_clocks(uow)
    assert first.outcome == ClockOutcome.CANCELLED.value and second.outcome is None
    assert second.due_on == date(2026, 4, 17)
    with pytest.raises(StateConflict):
        await proceedings.decide_procedure(
            uow,  # type: ignore[arg-type]
            DecideProcedure(case.case_id, ProceduralDecisionKind.EXTENSION),
        )


async def test_a_case_is_returned_for_supplementary_investigation_at_most_twice() -> None:
    uow, case, _ = await a_case()
    kind = ProceduralDecisionKind.RETURN_FOR_SUPPLEMENTARY_INVESTIGATION
    decided = await proceedings.decide_procedure(uow, DecideProcedure(case.case_id, kind))  # type: ignore[arg-type]
    assert decided.supplementary_investigation_round == 1
    assert case.review_deadline is None and case.review_status == "returned"
    assert review_clocks(uow)[0].outcome == ClockOutcome.CANCELLED.value
    case.review_status = "under_review"  # re-transferred
    await proceedings.decide_procedure(uow, DecideProcedure(case.case_id, kind))  # type: ignore[arg-type]
    case.review_status = "under_review"
    with pytest.raises(StateConflict):
        await proceedings.decide_procedure(uow, DecideProcedure(case.case_id, kind))  # type: ignore[arg-type]
    assert case.supplementary_investigations == 2


async def test_indictment_hands_each_suspect_over_with_the_defense_lawyer() -> None:
    uow, case, suspect = await a_case(Ground.MINOR, birth_date="2010-01-01")
    indict = DecideProcedure(
        case.case_id, ProceduralDecisionKind.INDICTMENT, court="天津市河东区人民法院"
    )
    with pytest.raises(StateConflict) as refused:
        await proceedings.decide_procedure(uow, indict)  # type: ignore[arg-type]
    assert refused.value.field == "suspect_ids" and uow.emitted == []

    assignment = uuid.uuid4()
    uow.cases.appoint(suspect.suspect_id, assignment)
    await proceedings.decide_procedure(uow, indict)  # type: ignore[arg-type]

    (handed,) = uow.events(StageHandedOver)
    assert handed.defender is not None and handed.defender.assignment_id == assignment
    assert case.review_status == "indicted"
    assert review_clocks(uow)[0].outcome == ClockOutcome.MET.value


@pytest.mark.parametrize(
    "kind", [ProceduralDecisionKind.NON_PROSECUTION, ProceduralDecisionKind.JURISDICTION_CHANGE]
)
async def test_a_case_leaving_this_procuratorate_cancels_its_suspects_open_duties(
    kind: ProceduralDecisionKind,
) -> None:
    """Left open, a letter no longer owed would be overdue on the board for ever."""
    uow, case, suspect = await a_case(Ground.MINOR, birth_date="2010-01-01")
    for duty in (ClockKind.RIGHTS_NOTIFICATION, ClockKind.NOTICE_DISPATCH):
        await uow.cases.start_clock(
            case_id=case.case_id,
            suspect_id=suspect.suspect_id,
            kind=duty,
            started_at=RECEIVED,
            period=RIGHTS_NOTIFICATION.period,
        )
    receiving = (
        "天津市河西区人民检察院" if kind is ProceduralDecisionKind.JURISDICTION_CHANGE else None
    )
    await proceedings.decide_procedure(
        uow,  # type: ignore[arg-type]
        DecideProcedure(case.case_id, kind, receiving_unit=receiving),
    )
    for duty in (ClockKind.RIGHTS_NOTIFICATION, ClockKind.NOTICE_DISPATCH):
        assert uow.cases.open_clocks(suspect.suspect_id, duty) == []
    suspect_clocks = [c for c in uow.cases.clocks if c.suspect_id == suspect.suspect_id]
    assert {c.outcome for c in suspect_clocks} == {ClockOutcome.CANCELLED.value}
    assert review_clocks(uow)[0].outcome == ClockOutcome.MET.value


async def test_a_duty_that_falls_away_after_its_breach_lapses_and_stays_a_breach() -> None:
    """The letter was due by 5 March and never sent; the case is not prosecuted on 9 March:
    the letter is no longer owed, but the statistics keep the breach."""
    uow, case, suspect = await a_case(Ground.MINOR, birth_date="2010-01-01")
    await uow.cases.start_clock(
        case_id=case.case_id,
        suspect_id=suspect.suspect_id,
        kind=ClockKind.NOTICE_DISPATCH,
        started_at=RECEIVED,
        period=RIGHTS_NOTIFICATION.period,
    )
    uow.now_is = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
    await proceedings.decide_procedure(
        uow,  # type: ignore[arg-type]
        DecideProcedure(case.case_id, ProceduralDecisionKind.NON_PROSECUTION),
    )
    (letter,) = [c for c in uow.cases.clocks if c.kind == ClockKind.NOTICE_DISPATCH.value]
    assert letter.outcome == ClockOutcome.LAPSED.value
    record = ClockRecord(
        kind=letter.kind,
        closes_at=letter.closes_at,
        met_at=letter.met_at,
        cancelled=letter.outcome == ClockOutcome.CANCELLED.value,
    )
    stats = compute_statistics(
        [SuspectRecord("河东区", DefenseStatus.NONE, True, clocks=(record,))], uow.now_is
    )
    (rate,) = stats.clocks
    assert (rate.settled, rate.on_time, rate.overdue_open) == (1, 0, 0)


async def test_a_return_for_supplementary_investigation_keeps_the_letter_owed() -> None:
    uow, case, suspect = await a_case(Ground.MINOR, birth_date="2010-01-01")
    await uow.cases.start_clock(
        case_id=case.case_id,
        suspect_id=suspect.suspect_id,
        kind=ClockKind.NOTICE_DISPATCH,
        started_at=RECEIVED,
        period=RIGHTS_NOTIFICATION.period,
    )
    kind = ProceduralDecisionKind.RETURN_FOR_SUPPLEMENTARY_INVESTIGATION
    await proceedings.decide_procedure(uow, DecideProcedure(case.case_id, kind))  # type: ignore[arg-type]
    assert len(uow.cases.open_clocks(suspect.suspect_id, ClockKind.NOTICE_DISPATCH)) == 1


async def test_a_court_or_a_receiving_unit_is_given_exactly_for_its_decision() -> None:
    uow, case, _ = await a_case()
    with pytest.raises(RuleViolation) as refused:
        await proceedings.decide_procedure(
            uow,  # type: ignore[arg-type]
            DecideProcedure(case.case_id, ProceduralDecisionKind.JURISDICTION_CHANGE),
        )
    assert refused.value.field == "receiving_unit"


# -- the expedited procedure (CPL Art. 172, 222-223)


async def test_the_expedited_period_runs_from_receipt_and_moves_the_review_clock() -> None:
    uow, case, suspect = await a_case()
    due = await proceedings.apply_expedited(
        uow,  # type: ignore[arg-type]
        case.case_id,
        suspect_ids=[suspect.suspect_id],
        at=datetime(2026, 3, 9, 2, 0, tzinfo=UTC),
    )
    # Ten days from the receipt (Monday 2 March), not from the decision: Thursday 12 March.
    assert due.due_on == date(2026, 3, 12) and not due.provisional
    assert case.review_deadline == date(2026, 3, 12) and case.expedited
    assert review_clocks(uow)[0].due_on == date(2026, 3, 12)
    (applied,) = uow.events(ExpeditedProcedureApplied)
    assert applied.review_deadline == date(2026, 3, 12)


async def test_the_expedited_procedure_is_refused_for_a_minor() -> None:
    uow, case, suspect = await a_case(Ground.MINOR, birth_date="2010-01-01")
    with pytest.raises(StateConflict) as refused:
        await proceedings.apply_expedited(
            uow,  # type: ignore[arg-type]
            case.case_id,
            suspect_ids=[suspect.suspect_id],
            at=NOW,
        )
    assert "minor" in refused.value.message and not case.expedited


async def test_a_duty_lawyer_may_not_witness_the_plea_of_a_defended_suspect() -> None:
    uow, case, suspect = await a_case()
    uow.cases.appoint(suspect.suspect_id, uuid.uuid4())
    with pytest.raises(StateConflict) as refused:
        await proceedings.witness_plea(
            uow,  # type: ignore[arg-type]
            case.case_id,
            suspect.suspect_id,
            witness_role=WitnessRole.DUTY_LAWYER,
            witness_name="孙律师",
            lawyer_id=None,
            mode=WitnessMode.IN_PERSON,
            at=NOW,
        )
    assert refused.value.field == "witness_role"


# -- the lawyer's work (Art. 8, 9, 11)


async def test_a_file_review_is_due_within_three_working_days_and_met_when_it_starts() -> None:
    uow, case, suspect = await a_case()
    with pytest.raises(Conflict):  # no defense lawyer: nobody to review the files
        await defense_work.request_file_review(
            uow,  # type: ignore[arg-type]
            case.case_id,
            suspect.suspect_id,
            requested_at=NOW,
        )
    uow.cases.appoint(suspect.suspect_id, uuid.uuid4())
    # Asked on Thursday 5 March: three working days end on Tuesday 10 March.
    asked = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    uow.now_is = asked
    request = await defense_work.request_file_review(
        uow,  # type: ignore[arg-type]
        case.case_id,
        suspect.suspect_id,
        requested_at=asked,
    )
    assert request["latest_review_date"].due_on == date(2026, 3, 10)
    (requested,) = uow.events(FileReviewRequested)
    assert requested.request_id == request["request_id"]

    async def schedule(starts: datetime, why: str | None) -> dict[str, Any]:
        return await defense_work.schedule_file_review(
            uow,  # type: ignore[arg-type]
            case.case_id,
            request["request_id"],
            scheduled_at=asked,
            review_starts_at=starts,
            location="第一阅卷室",
            delay_explanation=why,
        )

    with pytest.raises(InvalidInput) as unexplained:
        await schedule(datetime(2026, 3, 9, 2, 0, tzinfo=UTC), None)
    assert unexplained.value.field == "delay_explanation"
    with pytest.raises(InvalidInput) as too_late:
        await schedule(datetime(2026, 3, 11, 2, 0, tzinfo=UTC), "案卷在外")
    assert too_late.value.field == "review_starts_at"
    arranged = await schedule(datetime(2026, 3, 9, 2, 0, tzinfo=UTC), "案卷在外")
    assert arranged["prompt"] is False and arranged["latest_review_date"].due_on == date(
        2026, 3, 10
    )
    (clock,) = [c for c in uow.cases.clocks if c.kind == ClockKind.FILE_REVIEW.value]
    assert clock.outcome == ClockOutcome.MET.value
    assert len(uow.events(FileReviewScheduled)) == 1
    (listed,) = await defense_work.list_file_reviews(uow, case.case_id)  # type: ignore[arg-type]
    assert listed["location"] == "第一阅卷室"
    with pytest.raises(Conflict):
        await schedule(datetime(2026, 3, 9, 2, 0, tzinfo=UTC), "案卷在外")


async def test_a_written_opinion_is_timed_against_the_review_deadline() -> None:
    uow, case, suspect = await a_case()
    uow.now_is = datetime(2026, 4, 4, 2, 0, tzinfo=UTC)
    uow.cases.appoint(suspect.suspect_id, uuid.uuid4())
    received = await defense_work.receive_written_opinion(
        uow,  # type: ignore[arg-type]
        case.case_id,
        suspect.suspect_id,
        received_at=datetime(2026, 4, 2, 8, 0, tzinfo=UTC),  # the last day, 16:00
        covers_plea_matters=False,
        copy_filed=True,
    )
    assert received["on_time"] is True
    assert received["review_deadline"].due_on == date(2026, 4, 2)
    assert received["warnings"]  # a plea case's opinion should cover CPL Art. 173(2)
    (clock,) = [c for c in uow.cases.clocks if c.kind == ClockKind.WRITTEN_OPINION.value]
    assert clock.outcome == ClockOutcome.MET.value
    assert len(uow.events(WrittenOpinionReceived)) == 1

    await proceedings.decide_procedure(
        uow,  # type: ignore[arg-type]
        DecideProcedure(
            case.case_id,
            ProceduralDecisionKind.NON_PROSECUTION,
            decided_at=datetime(2026, 4, 3, 2, 0, tzinfo=UTC),
        ),
    )
    with pytest.raises(Conflict) as ended:
        await defense_work.receive_written_opinion(
            uow,  # type: ignore[arg-type]
            case.case_id,
            suspect.suspect_id,
            received_at=datetime(2026, 4, 4, 2, 0, tzinfo=UTC),
            covers_plea_matters=True,
            copy_filed=True,
        )
    assert ended.value.field == "received_at"


async def test_a_sentencing_consultation_needs_a_plea_and_answers_every_opinion() -> None:
    uow, case, suspect = await a_case(pleads_guilty=False)
    uow.cases.appoint(suspect.suspect_id, uuid.uuid4())
    opinion = LawyerOpinion(opinion="建议缓刑", response=OpinionResponse.EXPLAINED)

    async def consult() -> Any:
        return await defense_work.hold_sentencing_consultation(
            uow,  # type: ignore[arg-type]
            case.case_id,
            suspect.suspect_id,
            held_at=NOW,
            recommendation="有期徒刑六个月",
            opinions=(opinion,),
            recording_ref="REC-1",
            lawyer_attendance=WitnessMode.IN_PERSON,
        )

    with pytest.raises(Conflict):
        await consult()
    uow.cases.facts_of[suspect.suspect_id] = facts(suspect_id=str(suspect.suspect_id))
    with pytest.raises(InvalidInput) as unanswered:
        await consult()
    assert unanswered.value.field == "opinions.0.explanation"


# -- when staff say it happened


@pytest.mark.parametrize(
    ("at", "detail"),
    [
        (RECEIVED - timedelta(days=1), "before the case was received"),
        (NOW + timedelta(days=1), "in the future"),
    ],
)
async def test_a_recorded_time_lies_between_the_receipt_and_now(at: datetime, detail: str) -> None:
    """A rights notification dated before the files arrived would be "in time" for a clock that
    had not started; one dated next week would close the clock today on a promise."""
    uow, case, suspect = await a_case()
    with pytest.raises(InvalidInput) as refused:
        await notify_rights(
            uow,  # type: ignore[arg-type]
            case.case_id,
            suspect.suspect_id,
            informed=(InformedPerson(role=PersonRole.SUSPECT, name="张三"),),
            notified_at=at,
            relatives_not_informed_reason=None,
        )
    assert refused.value.field == "notified_at" and detail in refused.value.message
    assert uow.emitted == []
    with pytest.raises(InvalidInput) as decided:
        await proceedings.decide_procedure(
            uow,  # type: ignore[arg-type]
            DecideProcedure(case.case_id, ProceduralDecisionKind.EXTENSION, decided_at=at),
        )
    assert decided.value.field == "decided_at" and uow.emitted == []
