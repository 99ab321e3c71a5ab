"""Rules a payload carries on its own: what one field makes required, consistent numbers, sets."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from pydantic import ValidationError

from defense_schemas.events.aid_center import LawyerAssigned
from defense_schemas.events.common import DefenderRef, DocumentNumber
from defense_schemas.events.notifier import ClockScheduled
from defense_schemas.events.procuratorate import (
    CaseReceived,
    DefenseNoticeSent,
    EligibilityAssessed,
    ProceduralDecisionMade,
)
from defense_schemas.examples import EXAMPLES, at
from defense_schemas.vocabulary import (
    AppointmentBasis,
    ClockKind,
    Ground,
    GroundBasis,
    ProceduralDecisionKind,
    ResponsibleParty,
)


def _errors(error: ValidationError) -> dict[str, str]:
    return {".".join(map(str, e["loc"])): e["msg"] for e in error.errors()}


def _example(cls):
    return next(e for e in EXAMPLES if isinstance(e, cls))


def test_document_number_renders_and_checks_its_text():
    number = DocumentNumber.of("津河东检", 2026, 12)
    assert number.text == "津河东检〔2026〕12号"
    with pytest.raises(ValidationError, match="does not match"):
        DocumentNumber(issuing_unit="津河东检", year=2026, sequence=12, text="津河东检〔2026〕13号")


def test_letter_cites_the_instruments_of_its_grounds():
    letter = _example(DefenseNoticeSent).letter
    both = letter.model_copy(update={"grounds": (Ground.MINOR, Ground.MAJOR_SOCIAL_IMPACT)})
    assert both.cited_bases == (
        GroundBasis.LEGAL_AID_LAW_ART_25_1,
        GroundBasis.PILOT_MEASURES_ART_2,
    )
    assert Ground.MINOR.citation == "LAL Art. 25(1)(1)"
    assert Ground.GUILT_NOT_ADMITTED.citation == "Measures Art. 2(b)"


def test_every_ground_has_a_citation():
    for ground in Ground:
        assert ground.citation and ground.basis in GroundBasis


def _decision(**fields):
    base = {
        "decision_id": uuid4(),
        "suspect_ids": (uuid4(),),
        "decided_at": at(30),
    }
    return ProceduralDecisionMade(**base, **fields)


def test_an_extension_carries_the_new_review_deadline():
    with pytest.raises(ValidationError) as raised:
        _decision(kind=ProceduralDecisionKind.EXTENSION)
    assert _errors(raised.value) == {"review_deadline": "Value error, required for an extension"}
    assert _decision(kind="extension", review_deadline=date(2026, 4, 17)).review_deadline


def test_a_return_counts_its_round_and_sets_no_deadline():
    with pytest.raises(ValidationError) as raised:
        _decision(
            kind=ProceduralDecisionKind.RETURN_FOR_SUPPLEMENTARY_INVESTIGATION,
            review_deadline=date(2026, 4, 17),
        )
    assert set(_errors(raised.value)) == {"review_deadline", "supplementary_investigation_round"}
    with pytest.raises(ValidationError, match="less than or equal to 2"):
        _decision(
            kind=ProceduralDecisionKind.RETURN_FOR_SUPPLEMENTARY_INVESTIGATION,
            supplementary_investigation_round=3,
        )


def test_a_jurisdiction_change_names_the_receiving_unit():
    with pytest.raises(ValidationError) as raised:
        _decision(kind=ProceduralDecisionKind.JURISDICTION_CHANGE)
    assert set(_errors(raised.value)) == {"receiving_unit"}
    with pytest.raises(ValidationError) as raised:
        _decision(kind=ProceduralDecisionKind.INDICTMENT, receiving_unit="天津市河西区人民检察院")
    assert _errors(raised.value) == {
        "receiving_unit": "Value error, only allowed for a jurisdiction change"
    }


def test_an_invalid_kind_is_reported_once():
    with pytest.raises(ValidationError) as raised:
        _decision(kind="postponed")
    assert set(_errors(raised.value)) == {"kind"}


def test_an_assignment_refers_to_its_notice_or_application():
    fields = _example(LawyerAssigned).model_dump()
    with pytest.raises(ValidationError) as raised:
        LawyerAssigned(**{**fields, "basis": AppointmentBasis.APPLICATION})
    assert set(_errors(raised.value)) == {"notice_id", "application_id"}


def test_a_defender_is_appointed_or_retained_not_both():
    with pytest.raises(ValidationError, match="exactly one"):
        DefenderRef(name="陈律师")
    with pytest.raises(ValidationError, match="exactly one"):
        DefenderRef(name="陈律师", assignment_id=uuid4(), retention_id=uuid4())


def test_discovered_grounds_are_among_the_grounds():
    fields = _example(EligibilityAssessed).model_dump()
    with pytest.raises(ValidationError) as raised:
        EligibilityAssessed(**{**fields, "discovered_grounds": (Ground.MINOR,)})
    assert set(_errors(raised.value)) == {"discovered_grounds"}
    assert _example(EligibilityAssessed).in_mandatory_scope


def test_grounds_are_a_set():
    fields = _example(EligibilityAssessed).model_dump()
    with pytest.raises(ValidationError, match="unique"):
        EligibilityAssessed(**{**fields, "grounds": (Ground.MINOR, Ground.MINOR)})


def test_suspect_ids_are_unique_in_a_case():
    received = _example(CaseReceived)
    twice = (received.suspects[0], received.suspects[0])
    with pytest.raises(ValidationError) as raised:
        CaseReceived(**{**dict(received), "suspects": twice})
    assert set(_errors(raised.value)) == {"suspects"}


def test_only_the_review_period_clock_is_case_wide():
    fields = {
        "clock_id": uuid4(),
        "due_on": date(2026, 3, 5),
        "responsible": ResponsibleParty.PROCURATORATE,
        "started_on": date(2026, 3, 2),
        "trigger_event_id": uuid4(),
    }
    assert ClockScheduled(kind=ClockKind.REVIEW_PERIOD, **fields).suspect_id is None
    with pytest.raises(ValidationError) as raised:
        ClockScheduled(kind=ClockKind.ASSIGNMENT, **fields)
    assert set(_errors(raised.value)) == {"suspect_id"}
    with pytest.raises(ValidationError) as raised:
        ClockScheduled(kind=ClockKind.REVIEW_PERIOD, **{**fields, "started_on": date(2026, 3, 6)})
    assert set(_errors(raised.value)) == {"started_on"}


def test_strings_are_stripped_and_never_empty():
    fields = _example(LawyerAssigned).model_dump()
    lawyer = {**fields["lawyer"], "name": "   "}
    with pytest.raises(ValidationError) as raised:
        LawyerAssigned(**{**fields, "lawyer": lawyer})
    assert set(_errors(raised.value)) == {"lawyer.name"}
