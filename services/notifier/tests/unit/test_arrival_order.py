"""The notifier's projection converges whatever the order the two topics' events arrive in.

The procuratorate's and the aid center's events come on two topics, each ordered per case but
not with each other: after a backlog on one topic, the aid center's ``LawyerAssigned`` may be
applied before the ``CaseReceived`` or ``DefenseNoticeSent`` it answers. Every interleaving that
keeps each topic's own order must leave the same cases, suspects, contacts, clocks and
messages — through the same in-memory projection the consumer runs (no database).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from defense_messaging import EventPublisher
from defense_schemas import BaseEvent, Envelope
from defense_schemas import examples as ex
from defense_schemas.events import aid_center as aid
from defense_schemas.events import procuratorate as pr
from defense_schemas.vocabulary import (
    ApplicationDecision,
    AppointmentBasis,
    AssessmentTrigger,
    AssignmentEndReason,
    Ground,
    TerminationReason,
)
from legal_calendar import load_bundled_calendar
from notifier.handlers import Projector
from notifier.handlers.batch import ProjectionBatch
from notifier.settings import NotifierSettings
from service_runtime.security.fields import FieldCipher, generate_key

CALENDAR = load_bundled_calendar()
CIPHER = FieldCipher({"k1": generate_key()}, "k1", generate_key())
SETTINGS = NotifierSettings(procuratorate_webhook_url="https://procuratorate.example/hook")
PUBLISHER = EventPublisher(None, producer="notifier", topic="notifier.events")  # type: ignore[arg-type]


def _example(kind: type[BaseEvent], **update: Any) -> Any:
    found = next(e for e in ex.EXAMPLES if type(e) is kind)
    return found.model_copy(update=update)


def _script() -> tuple[list[Envelope], list[Envelope], dict[Any, BaseEvent]]:
    """A minor's way to a lawyer, with an incomplete letter the center asks to complete."""
    supplemented = _example(pr.NoticeSupplemented)
    procuratorate: list[BaseEvent] = [
        _example(pr.CaseReceived),
        pr.EligibilityAssessed(
            suspect_id=ex.LI,
            assessed_at=ex.at(2, 16),
            trigger=AssessmentTrigger.CASE_RECEIVED,
            grounds=(Ground.MINOR,),
            discovered_grounds=(Ground.MINOR,),
            pilot_district=True,
        ),
        _example(pr.RightsNotified),
        _example(pr.DefenseDecisionRecorded),
        _example(pr.DefenseNoticeSent),
        supplemented,
    ]
    aid_center: list[BaseEvent] = [
        _example(aid.SupplementRequested),
        # The acceptance states the start the shared definition gives: the completing supplement.
        _example(aid.NoticeAccepted, received_at=supplemented.supplemented_at),
        _example(aid.LawyerAssigned),
    ]
    events: dict[Any, BaseEvent] = {}

    def wrap(event: BaseEvent, producer: str) -> Envelope:
        envelope = Envelope.for_event(event, case_id=ex.CASE_ID, producer=producer)
        events[envelope.event_id] = event
        return envelope

    return (
        [wrap(e, "procuratorate") for e in procuratorate],
        [wrap(e, "aid-center") for e in aid_center],
        events,
    )


PROCURATORATE, AID_CENTER, EVENTS = _script()


def _project(order: list[Envelope]) -> dict[str, Any]:
    """Apply the events in ``order`` to an empty projection; return its state, without the
    ids and times the notifier makes up itself."""
    batch = ProjectionBatch()
    projector = Projector(CALENDAR, PUBLISHER, CIPHER, SETTINGS)
    jobs = []
    for envelope in order:
        jobs += projector.apply(batch, envelope, EVENTS[envelope.event_id]).jobs
    clocks = sorted(
        (
            row["kind"],
            str(row["suspect_id"]),
            row["subject"],
            row["status"],
            row["outcome"],
            row["responsible"],
            row["agency"],
            row["district"],
            row["started_on"],
            row["due_on"],
            row["provisional"],
            row["stopped_at"],
        )
        for row in batch.clocks_written()
    )
    return {
        "cases": batch.cases,
        "suspects": batch.suspects,
        "contacts": sorted(
            (c.role.value, str(c.suspect_id), c.name or "", c.address)
            for c in batch.contacts_of(ex.CASE_ID)
        ),
        "clocks": clocks,
        "messages": sorted(
            (
                str(job["about_event_id"]),
                job["recipient_role"],
                job["channel"],
                CIPHER.decrypt(
                    job["address"],
                    field="deliveries.address",
                    record_id=job["notification_id"],
                ),
                CIPHER.decrypt(
                    job["body"], field="deliveries.body", record_id=job["notification_id"]
                ),
            )
            for job in jobs
        ),
        "held": {case: list(held) for case, held in batch.held.items() if held},
    }


IN_ORDER = _project(PROCURATORATE + AID_CENTER)


@st.composite
def interleavings(draw: st.DrawFn) -> list[Envelope]:
    """Both topics' events merged in any order that keeps each topic's own."""
    picks = draw(
        st.permutations([True] * len(PROCURATORATE) + [False] * len(AID_CENTER)),
    )
    left, right = iter(PROCURATORATE), iter(AID_CENTER)
    return [next(left) if pick else next(right) for pick in picks]


def test_in_order_the_assignment_period_is_met_and_everyone_is_told() -> None:
    """The reference the interleavings are held to is itself right."""
    assignment = [c for c in IN_ORDER["clocks"] if c[0] == "assignment"]
    assert len(assignment) == 1
    _, _, _, status, outcome, responsible, agency, *_ = assignment[0]
    assert (status, outcome, responsible, agency) == ("stopped", "met", "aid_center", ex.CENTER)
    told = {(m[0], m[1]) for m in IN_ORDER["messages"]}
    assigned_id = str(AID_CENTER[-1].event_id)
    assert (assigned_id, "prosecutor") in told
    assert (assigned_id, "lawyer") in told
    assert not [c for c in IN_ORDER["clocks"] if c[3] == "open" and c[0] == "assignment"]


def test_the_assignment_arriving_before_the_case_and_letter_converges() -> None:
    """The order the fault runs found: the aid center's topic first, then the procuratorate's.
    Without holding the messages the prosecutor is never told; without the appointment's time
    the late letter opens an assignment clock for a suspect who has a lawyer."""
    assert _project(AID_CENTER + PROCURATORATE) == IN_ORDER


@settings(max_examples=150, deadline=None)
@given(interleavings())
def test_every_interleaving_of_the_two_topics_leaves_the_same_projection(
    order: list[Envelope],
) -> None:
    assert _project(order) == IN_ORDER


def _termination_script() -> tuple[list[Envelope], list[Envelope], dict[Any, BaseEvent]]:
    """The minor's lawyer is appointed, then aid ends for a reason that leaves no defender, and
    the procuratorate sends the letter again the next day."""
    first = _example(pr.DefenseNoticeSent)
    again = first.model_copy(
        update={"notice_id": ex.example_id("notice-li-2"), "sent_at": ex.at(11)}
    )
    procuratorate: list[BaseEvent] = [
        _example(pr.CaseReceived),
        pr.EligibilityAssessed(
            suspect_id=ex.LI,
            assessed_at=ex.at(2, 16),
            trigger=AssessmentTrigger.CASE_RECEIVED,
            grounds=(Ground.MINOR,),
            discovered_grounds=(Ground.MINOR,),
            pilot_district=True,
        ),
        _example(pr.RightsNotified),
        _example(pr.DefenseDecisionRecorded),
        first,
        again,
    ]
    aid_center: list[BaseEvent] = [
        _example(aid.NoticeAccepted, received_at=first.sent_at),
        _example(aid.LawyerAssigned),
        aid.AidTerminated(
            assignment_id=ex.ASSIGNMENT,
            suspect_id=ex.LI,
            reason=TerminationReason.OTHER,
            terminated_at=ex.at(10),
        ),
    ]
    events: dict[Any, BaseEvent] = {}

    def wrap(event: BaseEvent, producer: str) -> Envelope:
        envelope = Envelope.for_event(event, case_id=ex.CASE_ID, producer=producer)
        events[envelope.event_id] = event
        return envelope

    return (
        [wrap(e, "procuratorate") for e in procuratorate],
        [wrap(e, "aid-center") for e in aid_center],
        events,
    )


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_a_reopened_letter_clock_is_answered_by_the_new_letter_whatever_the_order(
    data: st.DataObject,
) -> None:
    """In order, the termination reopens the letter clock and the new letter meets it. A new
    letter applied before the termination it answers already met it: no clock is opened that
    nothing would close (no false breach), and the suspect's facts are the same."""
    procuratorate, aid_center, events = _termination_script()
    EVENTS.update(events)
    picks = data.draw(st.permutations([True] * len(procuratorate) + [False] * len(aid_center)))
    left, right = iter(procuratorate), iter(aid_center)
    order = [next(left) if pick else next(right) for pick in picks]
    # As it happened: the letter, the center's answers, then the letter sent again.
    in_order = _project(procuratorate[:-1] + aid_center + procuratorate[-1:])
    letters = [c for c in in_order["clocks"] if c[0] == "notice_dispatch"]
    assert [(c[3], c[4]) for c in letters] == [("stopped", "met"), ("stopped", "met")]
    got = _project(order)
    assert not [c for c in got["clocks"] if c[0] == "notice_dispatch" and c[3] == "open"]
    assert got["suspects"] == in_order["suspects"]


def test_an_appointment_ended_on_an_allowed_refusal_stops_the_lawyer_and_forgets_them() -> None:
    """The refused lawyer no longer acts (Measures Art. 5 ¶1): the written opinion is no longer
    theirs to deliver, no message reaches them, and the suspect has no lawyer until the
    replacement — whether or not the procuratorate's ruling was read first."""
    procuratorate, aid_center, events = _script()
    EVENTS.update(events)
    ended = aid.AssignmentEnded(
        assignment_id=ex.ASSIGNMENT,
        suspect_id=ex.LI,
        lawyer_id=ex.LAWYER.lawyer_id,
        notice_id=ex.NOTICE,
        reason=AssignmentEndReason.REFUSAL_ALLOWED,
        ended_at=ex.at(10),
    )
    envelope = Envelope.for_event(ended, case_id=ex.CASE_ID, producer="aid-center")
    EVENTS[envelope.event_id] = ended
    before = _project(procuratorate + aid_center)
    assert [c for c in before["contacts"] if c[0] == "lawyer"]
    assert before["suspects"][ex.CASE_ID][ex.LI]["lawyer_assigned"] is True
    got = _project([*procuratorate, *aid_center, envelope])
    assert not [c for c in got["contacts"] if c[0] == "lawyer"]
    opinions = [c for c in got["clocks"] if c[0] == "written_opinion"]
    assert [(c[3], c[4]) for c in opinions] == [("stopped", "cancelled")]
    assert got["suspects"][ex.CASE_ID][ex.LI]["lawyer_assigned"] is False


def _application_script(
    decision: ApplicationDecision,
) -> tuple[list[Envelope], list[Envelope], dict[Any, BaseEvent]]:
    """Zhang's relative applies, the procuratorate forwards the application, the center decides
    it (and, for a grant, appoints at once)."""
    forwarded = _example(pr.LegalAidApplicationForwarded)
    decided = _example(aid.ApplicationDecided, decision=decision)
    if decision is ApplicationDecision.GRANTED:
        decided = decided.model_copy(update={"reasons": None, "objection_to": None})
    aid_center: list[BaseEvent] = [decided]
    if decision is ApplicationDecision.GRANTED:
        aid_center.append(
            aid.LawyerAssigned(
                assignment_id=ex.example_id("assignment-zhang"),
                suspect_id=ex.ZHANG,
                basis=AppointmentBasis.APPLICATION,
                application_id=forwarded.application_id,
                lawyer=ex.LAWYER,
                assigned_at=decided.decided_at,
            )
        )
    events: dict[Any, BaseEvent] = {}

    def wrap(event: BaseEvent, producer: str) -> Envelope:
        envelope = Envelope.for_event(event, case_id=ex.CASE_ID, producer=producer)
        events[envelope.event_id] = event
        return envelope

    return (
        [wrap(e, "procuratorate") for e in (_example(pr.CaseReceived), forwarded)],
        [wrap(e, "aid-center") for e in aid_center],
        events,
    )


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([ApplicationDecision.GRANTED, ApplicationDecision.REFUSED]), st.data())
def test_an_application_decided_before_its_forwarding_is_applied_leaves_no_clock_open(
    decision: ApplicationDecision, data: st.DataObject
) -> None:
    """In order, the review is met by the decision (and a grant's three days by the
    appointment). A decision applied before the forwarding it answers already met the review:
    no clock is left open that nothing would close, and the suspect's facts are the same."""
    procuratorate, aid_center, events = _application_script(decision)
    EVENTS.update(events)
    in_order = _project(procuratorate + aid_center)
    application_clocks = [c for c in in_order["clocks"] if c[0].startswith("application_")]
    expected = {("application_review", "stopped", "met", ex.CENTER)}
    if decision is ApplicationDecision.GRANTED:
        expected.add(("application_assignment", "stopped", "met", ex.CENTER))
    assert {(c[0], c[3], c[4], c[6]) for c in application_clocks} == expected
    picks = data.draw(st.permutations([True] * len(procuratorate) + [False] * len(aid_center)))
    left, right = iter(procuratorate), iter(aid_center)
    got = _project([next(left) if pick else next(right) for pick in picks])
    assert not [c for c in got["clocks"] if c[3] == "open" and c[0].startswith("application_")]
    assert got["suspects"] == in_order["suspects"]


def _ended_script(
    ending: BaseEvent,
) -> tuple[list[Envelope], list[Envelope], dict[Any, BaseEvent]]:
    """The minor's lawyer is appointed, then the appointment (or the aid) ends, all on the aid
    center's topic."""
    procuratorate, aid_center, events = _script()
    envelope = Envelope.for_event(ending, case_id=ex.CASE_ID, producer="aid-center")
    events[envelope.event_id] = ending
    return procuratorate, [*aid_center, envelope], events


_ENDINGS = [
    aid.AssignmentEnded(
        assignment_id=ex.ASSIGNMENT,
        suspect_id=ex.LI,
        lawyer_id=ex.LAWYER.lawyer_id,
        notice_id=ex.NOTICE,
        reason=AssignmentEndReason.REFUSAL_ALLOWED,
        ended_at=ex.at(10),
    ),
    aid.AidTerminated(
        assignment_id=ex.ASSIGNMENT,
        suspect_id=ex.LI,
        reason=TerminationReason.OTHER,
        terminated_at=ex.at(10),
    ),
]


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(_ENDINGS), st.data())
def test_the_ended_lawyer_is_told_even_when_the_end_waited_for_the_letter(
    ending: BaseEvent, data: st.DataObject
) -> None:
    """An ending applied before the letter is held; the lawyer is forgotten when it is applied,
    yet the held messages must still reach the lawyer it ended (and the appointment's, the
    lawyer it appointed): the contacts the aid center's own topic made known are those of the
    held event's time, the procuratorate's those of its release."""
    procuratorate, aid_center, events = _ended_script(ending)
    EVENTS.update(events)
    in_order = _project(procuratorate + aid_center)
    ended_id = str(aid_center[-1].event_id)
    assert (ended_id, "lawyer") in {(m[0], m[1]) for m in in_order["messages"]}
    picks = data.draw(st.permutations([True] * len(procuratorate) + [False] * len(aid_center)))
    left, right = iter(procuratorate), iter(aid_center)
    got = _project([next(left) if pick else next(right) for pick in picks])
    assert got["messages"] == in_order["messages"]
    assert got["contacts"] == in_order["contacts"]
    assert not got["held"]


@pytest.mark.parametrize("ending", _ENDINGS, ids=lambda e: e.event_type)
def test_the_end_applied_before_the_case_still_reaches_the_lawyer(ending: BaseEvent) -> None:
    """The order the helper found: the aid center's whole topic first."""
    procuratorate, aid_center, events = _ended_script(ending)
    EVENTS.update(events)
    got = _project(aid_center + procuratorate)
    assert got["messages"] == _project(procuratorate + aid_center)["messages"]
