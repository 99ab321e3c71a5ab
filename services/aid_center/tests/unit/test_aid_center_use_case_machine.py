"""The aid center's real use cases under random sequences of the procuratorate's events and
staff's commands, on the fake unit of work (Hypothesis stateful testing, no I/O): notices sent
complete or incomplete and supplemented, applications, refusals allowed and rejected, changes of
lawyer, written requests for another lawyer, escalation to a possible life or death sentence,
self-defense and retained counsel, applications granted or refused after review, staff ending
aid on any ground of LAL Art. 48 (the procuratorate's grounds and Art. 48(4) on a notice
refused), a change of jurisdiction, a new letter after a termination that leaves the suspect
owed one, lawyers' leave recorded and cancelled, staff retrying.

After every step: no lawyer holds more places than their maximum; co-suspects of one case never
have lawyers of one firm (Measures Art. 13); every active lawyer of a suspect facing a possible
life or death sentence has 3+ years of criminal practice (LAL Art. 26); and every accepted
request is on its way to a lawyer — ``assigned`` with exactly one active assignment, or
``unassignable`` with the reason and its assignment period running, or
``awaiting_reappointment`` with no lawyer active after an allowed refusal (the procuratorate's
written request is due then) — never ``assigned`` without a lawyer; and every ending of aid
is told: a terminated assignment has its ``AidTerminated`` with the same reason, and a suspect
whose requests are all closed has no lawyer active.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from aid_center.domain.assignment import LIFE_OR_DEATH_MIN_YEARS
from aid_center.domain.commands import (
    AssignRequest,
    CancelLeave,
    DecideReport,
    RecordLeave,
    ReportGround,
    TerminateAid,
)
from aid_center.domain.errors import DomainError
from aid_center.domain.status import AssignmentStatus, NoticeStatus
from aid_center.use_cases import aid_changes
from aid_center.use_cases.applications import (
    DecideApplication,
    RequestMaterials,
    decide,
    request_materials,
    withdraw_lapsed,
)
from aid_center.use_cases.assignments import assign_request
from aid_center.use_cases.intake import (
    receive_application,
    receive_case,
    receive_notice,
    supplement_notice,
)
from aid_center.use_cases.roster import cancel_leave, record_leave
from aid_center.use_cases.terminations import (
    decide_report,
    end_on_jurisdiction_change,
    report_ground,
    terminate_by_decision,
)
from defense_schemas import BaseEvent
from defense_schemas import examples as ex
from defense_schemas.events.aid_center import AidTerminated, ApplicationDecided
from defense_schemas.events.procuratorate import (
    CaseReceived,
    DefenseNoticeSent,
    EligibilityAssessed,
    LawyerRefusalRuled,
    LegalAidApplicationForwarded,
    NoticeSupplemented,
    PrivateCounselRetained,
    ReappointmentRequested,
    SelfDefensePermitted,
)
from defense_schemas.vocabulary import (
    ApplicationDecision,
    AssessmentTrigger,
    Ground,
    ReappointmentReason,
    RefusalOutcome,
    SentenceBand,
    TerminationReason,
)
from legal_calendar import legal_date
from legal_calendar.deadlines import AfterTermination, letter_after_termination

sys.path.insert(0, str(Path(__file__).parent))
from fake_aid_center_unit_of_work import NOW, FakeUnitOfWork

settings.register_profile(
    "aid-default",
    max_examples=75,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "aid-deep",
    max_examples=3000,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = "aid-deep" if os.environ.get("DC_HYPOTHESIS_PROFILE") == "deep" else "aid-default"

FIRMS = ("甲律师事务所", "乙律师事务所", "丙律师事务所")
SUSPECT = st.integers(0, 5)


def example(kind: type[BaseEvent], **update: Any) -> Any:
    return next(e for e in ex.EXAMPLES if type(e) is kind).model_copy(update=update)


class AidCenter(RuleBasedStateMachine):
    """Up to three cases of two co-suspects each; the events of each in any order."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.uow = FakeUnitOfWork()
        self.suspects: list[tuple[UUID, UUID]] = []  # (case, suspect)
        self.clock = NOW

    def teardown(self) -> None:
        self.loop.close()

    def _run(self, step: Coroutine[Any, Any, Any]) -> None:
        """A use case as a consumer or a route runs it; a domain refusal must change nothing
        (the unit of work would roll back: here the fake is checked to be unchanged)."""
        aid = self.uow.aid
        before = (repr(aid.notices), repr(aid.applications), repr(aid.assignments))
        published = len(self.uow.published)
        try:
            self.loop.run_until_complete(step)
        except DomainError:
            after = (repr(aid.notices), repr(aid.applications), repr(aid.assignments))
            assert after == before and len(self.uow.published) == published
        self.clock += timedelta(hours=1)
        self.uow.now_is = self.clock

    def _pick(self, index: int) -> tuple[UUID, UUID] | None:
        return self.suspects[index % len(self.suspects)] if self.suspects else None

    def _requests_of(self, suspect_id: UUID) -> list[dict[str, Any]]:
        aid = self.uow.aid
        return [
            r
            for r in (*aid.notices.values(), *aid.applications.values())
            if r["suspect_id"] == suspect_id
        ]

    def _active(self, suspect_id: UUID) -> dict[str, Any] | None:
        for a in self.uow.aid.assignments.values():
            if a["suspect_id"] == suspect_id and a["status"] == AssignmentStatus.ACTIVE:
                return a
        return None

    @initialize(
        lawyers=st.lists(
            st.tuples(st.sampled_from(FIRMS), st.integers(0, 8), st.integers(1, 3), st.booleans()),
            min_size=1,
            max_size=6,
        )
    )
    def roster(self, lawyers: list[tuple[str, int, int, bool]]) -> None:
        for number, (firm, years, places, juvenile) in enumerate(lawyers):
            self.uow.aid.add_lawyer(
                firm, f"律师{number}", places=places, years=years, juvenile=juvenile
            )

    @rule(grave=st.booleans())
    def case_received(self, grave: bool) -> None:
        if len(self.suspects) >= 6:
            return
        case_id = uuid.uuid4()
        received: CaseReceived = example(CaseReceived)
        suspects = tuple(
            s.model_copy(
                update={
                    "suspect_id": uuid.uuid4(),
                    "likely_sentence": SentenceBand.LIFE_OR_DEATH if grave else s.likely_sentence,
                }
            )
            for s in received.suspects
        )
        self._run(
            receive_case(
                self.uow, received.model_copy(update={"suspects": suspects}), case_id=case_id
            )
        )
        self.suspects += [(case_id, s.suspect_id) for s in suspects]

    def _letter_owed(self, suspect_id: UUID) -> bool:
        """No request yet, or every one closed on a reason after which the procuratorate owes
        a new letter (the shared definition)."""
        requests = self._requests_of(suspect_id)
        return all(
            r["status"] == NoticeStatus.CLOSED
            and letter_after_termination(r["closed_reason"]) is AfterTermination.REOPENS
            for r in requests
        )

    @rule(index=SUSPECT, complete=st.booleans(), minor=st.booleans())
    def notice_sent(self, index: int, complete: bool, minor: bool) -> None:
        picked = self._pick(index)
        if picked is None or not self._letter_owed(picked[1]):
            return
        case_id, suspect_id = picked
        sent: DefenseNoticeSent = example(DefenseNoticeSent)
        letter = sent.letter.model_copy(
            update={"grounds": (Ground.MINOR,) if minor else (Ground.GUILT_NOT_ADMITTED,)}
        )
        event = sent.model_copy(
            update={
                "notice_id": uuid.uuid4(),
                "suspect_id": suspect_id,
                "letter": letter,
                "materials": ("起诉意见书",) if complete else ("户籍证明",),
            }
        )
        self._run(receive_notice(self.uow, event, case_id=case_id, caused_by=None, at=self.clock))

    @rule(index=SUSPECT)
    def notice_supplemented(self, index: int) -> None:
        picked = self._pick(index)
        if picked is None:
            return
        case_id, suspect_id = picked
        for notice in self.uow.aid.notices.values():
            if notice["suspect_id"] == suspect_id:
                event = example(
                    NoticeSupplemented,
                    notice_id=notice["notice_id"],
                    suspect_id=suspect_id,
                    added_materials=("起诉意见书",),
                    supplemented_at=self.clock,
                )
                self._run(
                    supplement_notice(
                        self.uow, event, case_id=case_id, caused_by=None, at=self.clock
                    )
                )

    @rule(index=SUSPECT)
    def application_forwarded(self, index: int) -> None:
        picked = self._pick(index)
        if picked is None or self._requests_of(picked[1]):
            return
        case_id, suspect_id = picked
        event = example(
            LegalAidApplicationForwarded, application_id=uuid.uuid4(), suspect_id=suspect_id
        )
        self._run(
            receive_application(self.uow, event, case_id=case_id, caused_by=None, at=self.clock)
        )

    @rule(index=SUSPECT, decision=st.sampled_from(list(ApplicationDecision)))
    def application_decided(self, index: int, decision: ApplicationDecision) -> None:
        """Staff decide on an application (LAL Art. 43): a grant is appointed at once; a
        withdrawal before any material was asked for is refused."""
        picked = self._pick(index)
        if picked is None:
            return
        for application in list(self.uow.aid.applications.values()):
            if application["suspect_id"] == picked[1]:
                command = DecideApplication(
                    application["application_id"], decision, reasons="不符合条件"
                )
                self._run(decide(self.uow, command))  # type: ignore[arg-type]

    @rule(index=SUSPECT, days=st.integers(0, 3))
    def material_asked_and_days_pass(self, index: int, days: int) -> None:
        """Material is asked for by tomorrow, days pass and the center's check runs (LAL Art.
        43): whatever lapsed is withdrawn once, told once, and nothing lapsed is left."""
        for application in list(self.uow.aid.applications.values())[index : index + 1]:
            if application["status"] == NoticeStatus.UNDER_REVIEW:
                due_on = legal_date(self.clock) + timedelta(days=1)
                command = RequestMaterials(application["application_id"], ("身份证明",), due_on)
                self._run(request_materials(self.uow, command))  # type: ignore[arg-type]
        self.clock += timedelta(days=days)
        self.uow.now_is = self.clock
        told_before = len(self.uow.events(ApplicationDecided))
        withdrawn: list[UUID] = []

        async def check() -> None:
            withdrawn.extend(await withdraw_lapsed(self.uow))  # type: ignore[arg-type]

        self._run(check())
        assert len(withdrawn) == len(set(withdrawn))
        assert len(self.uow.events(ApplicationDecided)) == told_before + len(withdrawn)
        today = legal_date(self.uow.now_is - timedelta(hours=1))
        assert not [
            a
            for a in self.uow.aid.applications.values()
            if a["status"] == NoticeStatus.MATERIALS_REQUESTED and a["materials_due_on"] < today
        ]

    @rule(
        index=SUSPECT,
        reason=st.sampled_from(list(TerminationReason)),
        terminate=st.booleans(),
    )
    def lawyer_reports_and_staff_decide(
        self, index: int, reason: TerminationReason, terminate: bool
    ) -> None:
        """The lawyer reports any ground (the procuratorate's are refused, changing nothing);
        staff terminate or dismiss. The invariants hold the termination to its AidTerminated.
        Any active assignment (not the picked suspect's), so the rule rarely finds none."""
        actives = self._active_rows()
        if not actives:
            return
        active = actives[index % len(actives)]
        reports = self.uow.aid.termination_reports
        before = len(reports)
        self._run(report_ground(self.uow, ReportGround(active["assignment_id"], reason, "x")))  # type: ignore[arg-type]
        if len(reports) == before:
            return
        (report_id,) = [r for r in reports if reports[r]["status"] == "pending"][-1:]
        ended_before = len(self.uow.events(AidTerminated))
        self._run(
            decide_report(self.uow, DecideReport(report_id, terminate, "经核实"))  # type: ignore[arg-type]
        )
        assert len(self.uow.events(AidTerminated)) == ended_before + (1 if terminate else 0)

    @rule(index=SUSPECT, outcome=st.sampled_from(list(RefusalOutcome)))
    def refusal_ruled(self, index: int, outcome: RefusalOutcome) -> None:
        picked = self._pick(index)
        if picked is None or (active := self._active(picked[1])) is None:
            return
        event = example(
            LawyerRefusalRuled,
            suspect_id=picked[1],
            assignment_id=active["assignment_id"],
            outcome=outcome,
            ruled_at=self.clock,
        )
        self._run(
            aid_changes.rule_refusal(
                self.uow, event, case_id=picked[0], caused_by=None, at=self.clock
            )
        )

    @rule(index=SUSPECT, after_refusal=st.booleans())
    def reappointment_requested(self, index: int, after_refusal: bool) -> None:
        picked = self._pick(index)
        if picked is None:
            return
        mine = [a for a in self.uow.aid.assignments.values() if a["suspect_id"] == picked[1]]
        if not mine:
            return
        event = ReappointmentRequested(
            request_id=uuid.uuid4(),
            suspect_id=picked[1],
            previous_assignment_id=mine[-1]["assignment_id"],
            reason=ReappointmentReason.REFUSAL_ALLOWED_NO_COUNSEL_RETAINED
            if after_refusal
            else ReappointmentReason.CHANGE_OF_LAWYER_ALLOWED,
            requested_at=self.clock,
            addressee_center=ex.CENTER,
        )
        self._run(
            aid_changes.reappoint(self.uow, event, case_id=picked[0], caused_by=None, at=self.clock)
        )

    @rule(index=SUSPECT)
    def escalated_to_life_or_death(self, index: int) -> None:
        picked = self._pick(index)
        if picked is None:
            return
        event = EligibilityAssessed(
            suspect_id=picked[1],
            assessed_at=self.clock,
            trigger=AssessmentTrigger.NEW_INFORMATION,
            grounds=(Ground.POSSIBLE_LIFE_OR_DEATH_SENTENCE,),
            discovered_grounds=(Ground.POSSIBLE_LIFE_OR_DEATH_SENTENCE,),
            pilot_district=True,
        )
        self._run(
            aid_changes.reassess(self.uow, event, case_id=picked[0], caused_by=None, at=self.clock)
        )

    @rule(index=SUSPECT, counsel=st.booleans())
    def aid_ends(self, index: int, counsel: bool) -> None:
        picked = self._pick(index)
        if picked is None:
            return
        active = self._active(picked[1])
        ref = active["assignment_id"] if active else None
        if counsel:
            retained = example(
                PrivateCounselRetained,
                suspect_id=picked[1],
                active_assignment_id=ref,
                retained_at=self.clock,
            )
            step = aid_changes.end_on_counsel_retained(
                self.uow, retained, case_id=picked[0], caused_by=None, at=self.clock
            )
        else:
            permitted = example(SelfDefensePermitted, suspect_id=picked[1], assignment_id=ref)
            step = aid_changes.end_on_self_defense(
                self.uow, permitted, case_id=picked[0], caused_by=None, at=self.clock
            )
        self._run(step)

    @rule(index=SUSPECT, reason=st.sampled_from(list(TerminationReason)))
    def staff_terminate(self, index: int, reason: TerminationReason) -> None:
        """Staff end aid on any ground: the procuratorate's, and Art. 48(4) on a notice, are
        refused (and change nothing)."""
        picked = self._pick(index)
        if picked is None or (active := self._active(picked[1])) is None:
            return
        command = TerminateAid(assignment_id=active["assignment_id"], reason=reason, detail="x")
        self._run(terminate_by_decision(self.uow, command))  # type: ignore[arg-type]

    @rule(index=SUSPECT)
    def jurisdiction_changed(self, index: int) -> None:
        picked = self._pick(index)
        if picked is None:
            return
        self._run(
            end_on_jurisdiction_change(
                self.uow,  # type: ignore[arg-type]
                case_id=picked[0],
                suspect_id=picked[1],
                receiving_unit="天津市西青区人民检察院",
                decision_number=None,
                caused_by=None,
                at=self.clock,
            )
        )

    @rule(lawyer=st.integers(0, 5), days=st.integers(0, 5))
    def leave_recorded(self, lawyer: int, days: int) -> None:
        """A lawyer goes on leave from today: only later choices see it."""
        lawyer_id = list(self.uow.aid.lawyers)[lawyer % len(self.uow.aid.lawyers)]
        today = legal_date(self.clock)
        command = RecordLeave(lawyer_id, today, today + timedelta(days=days))
        self._run(record_leave(self.uow, command))

    @rule(index=st.integers(0, 5))
    def leave_cancelled(self, index: int) -> None:
        leaves = list(self.uow.aid.leaves.values())
        if leaves:
            leave = leaves[index % len(leaves)]
            self._run(cancel_leave(self.uow, CancelLeave(leave["lawyer_id"], leave["leave_id"])))

    @rule(index=SUSPECT)
    def staff_retry(self, index: int) -> None:
        picked = self._pick(index)
        if picked is None:
            return
        for request in self._requests_of(picked[1]):
            command = AssignRequest(
                notice_id=request.get("notice_id"),
                application_id=request.get("application_id"),
                lawyer_id=None,
                reason=None,
            )
            self._run(assign_request(self.uow, command))  # type: ignore[arg-type]

    # -- the invariants ----------------------------------------------------------------

    def _active_rows(self) -> list[dict[str, Any]]:
        return [
            a for a in self.uow.aid.assignments.values() if a["status"] == AssignmentStatus.ACTIVE
        ]

    @invariant()
    def capacity_is_never_exceeded(self) -> None:
        for lawyer_id, row in self.uow.aid.lawyers.items():
            held = sum(1 for a in self._active_rows() if a["lawyer_id"] == lawyer_id)
            assert held <= row["max_concurrent_cases"], (row["name"], held)

    @invariant()
    def co_suspects_never_share_a_firm(self) -> None:
        seen: dict[tuple[UUID, UUID], UUID] = {}
        for a in self._active_rows():
            other = seen.setdefault((a["case_id"], a["firm_id"]), a["suspect_id"])
            assert other == a["suspect_id"], "two co-suspects defended by one firm"

    @invariant()
    def one_active_lawyer_per_suspect_and_lal_art_26_holds(self) -> None:
        per_suspect: dict[UUID, int] = {}
        for a in self._active_rows():
            per_suspect[a["suspect_id"]] = per_suspect.get(a["suspect_id"], 0) + 1
            suspect = self.uow.aid.suspects[a["suspect_id"]]
            if suspect["likely_sentence"] == SentenceBand.LIFE_OR_DEATH:
                years = self.uow.aid.lawyers[a["lawyer_id"]]["criminal_practice_years"]
                assert years >= LIFE_OR_DEATH_MIN_YEARS, "LAL Art. 26 broken"
        assert all(count == 1 for count in per_suspect.values())

    @invariant()
    def every_ending_of_aid_is_told_and_leaves_no_lawyer_behind(self) -> None:
        told = {e.assignment_id: e.reason for e in self.uow.events(AidTerminated)}
        terminations = {r.value for r in TerminationReason}
        for a in self.uow.aid.assignments.values():
            if a["status"] == AssignmentStatus.ENDED and a["end_reason"] in terminations:
                assert told.get(a["assignment_id"]) == a["end_reason"], a
        for _, suspect_id in self.suspects:
            requests = self._requests_of(suspect_id)
            if requests and all(r["status"] == NoticeStatus.CLOSED for r in requests):
                assert self._active(suspect_id) is None

    @invariant()
    def every_accepted_request_is_on_its_way_to_a_lawyer(self) -> None:
        aid = self.uow.aid
        for request in (*aid.notices.values(), *aid.applications.values()):
            status = request["status"]
            active = self._active(request["suspect_id"])
            if status == NoticeStatus.ASSIGNED:
                assert active is not None, "assigned, but no lawyer is active"
            elif status == NoticeStatus.UNASSIGNABLE:
                assert active is None and request["unassignable_reason"]
                if "notice_id" in request:
                    assert request["assignment_due_on"] is not None  # the period runs
            elif status == NoticeStatus.AWAITING_REAPPOINTMENT:
                assert active is None
                assert any(
                    a["suspect_id"] == request["suspect_id"]
                    and a["end_reason"] == "refusal_allowed"
                    for a in aid.assignments.values()
                )
            else:
                # Accepted is never where a step leaves a request: it is appointed at once.
                assert status in (
                    NoticeStatus.SUPPLEMENT_REQUESTED,
                    NoticeStatus.CLOSED,
                    NoticeStatus.UNDER_REVIEW,
                    NoticeStatus.MATERIALS_REQUESTED,
                    NoticeStatus.REFUSED,
                    NoticeStatus.WITHDRAWN,
                ), status
                if status != NoticeStatus.CLOSED:
                    assert active is None or status == NoticeStatus.SUPPLEMENT_REQUESTED


AidCenter.TestCase.settings = settings.get_profile(PROFILE)
test_aid_center_use_cases_keep_the_law = AidCenter.TestCase
