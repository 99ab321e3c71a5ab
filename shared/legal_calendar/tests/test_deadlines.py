"""The statutory periods defined once (legal_calendar.deadlines)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from legal_calendar import CalendarDays, load_bundled_calendar
from legal_calendar.deadlines import (
    ASSIGNMENT,
    LETTER,
    AfterTermination,
    LetterTrigger,
    assignment_started_at,
    closed_by,
    letter_after_termination,
    letter_owed_after_dismissal,
)

CALENDAR = load_bundled_calendar()
SENT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Tianjin


def test_the_assignment_period_runs_three_days_from_the_letters_receipt() -> None:
    assert ASSIGNMENT.due(SENT, CALENDAR).due_on == date(2026, 3, 5)
    # Friday's letter: the third day is a Monday (weekend days inside the period count).
    friday = datetime(2026, 3, 6, 1, 0, tzinfo=UTC)
    assert ASSIGNMENT.due(friday, CALENDAR).due_on == date(2026, 3, 9)


def test_a_completing_supplement_restarts_the_period() -> None:
    supplemented = SENT + timedelta(days=7)
    assert assignment_started_at(SENT, None) == SENT
    assert assignment_started_at(SENT, supplemented) == supplemented
    assert ASSIGNMENT.due(assignment_started_at(SENT, supplemented), CALENDAR).due_on == date(
        2026, 3, 12
    )


@given(
    st.datetimes(
        timezones=st.just(UTC), min_value=datetime(2020, 1, 1), max_value=datetime(2026, 12, 1)
    ),
    st.timedeltas(min_value=timedelta(days=-30), max_value=timedelta(days=30)),
)
def test_a_stopping_fact_closes_the_period_iff_it_happened_at_or_after_the_start(
    started: datetime, offset: timedelta
) -> None:
    assert closed_by(started, started + offset) is (offset >= timedelta(0))
    assert not closed_by(started, None)


def test_the_letter_period_runs_three_days_by_art_105() -> None:
    # Informed on a Wednesday: the third day is a Saturday, so the letter is due on Monday.
    wednesday = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
    assert LETTER.due(wednesday, CALENDAR).due_on == date(2026, 3, 9)
    assert LETTER.period == CalendarDays(3)
    assert {t.value for t in LetterTrigger} == {
        "rights_notification",
        "decision",
        "dismissal",
        "termination",
        "refusal_allowed",
    }


def test_a_letter_period_past_the_calendar_says_which_years_it_guessed() -> None:
    due = LETTER.due(datetime(2026, 12, 30, 2, 0, tzinfo=UTC), CALENDAR)
    assert due.provisional and due.missing_years == (2027,)
    # 2 January 2027 is a Saturday: the guess moves it to Monday the 4th.
    assert due.due_on == date(2027, 1, 4)


@given(st.booleans(), st.booleans(), st.booleans())
def test_after_a_termination_only_an_lal_ground_brings_the_letter_back_on_dismissal(
    in_scope: bool, terminated: bool, lal_ground: bool
) -> None:
    # An LAL Art. 25(1) ground is a ground of the mandatory scope.
    in_scope = in_scope or lal_ground
    owed = letter_owed_after_dismissal(
        in_scope=in_scope, aid_was_terminated=terminated, on_legal_aid_law_ground=lal_ground
    )
    assert owed is (lal_ground if terminated else in_scope)


def test_a_termination_reopens_the_letter_only_where_a_letter_is_still_owed_here() -> None:
    # Proceedings ended (withdrawn, not prosecuted): nobody is left to defend at this stage.
    assert letter_after_termination("proceedings_ended") is AfterTermination.DUTY_ENDS
    # Jurisdiction changed: the case left this procuratorate; the receiving unit informs the
    # suspect and counts its own letter period from its own receipt.
    assert letter_after_termination("jurisdiction_changed") is AfterTermination.DUTY_ENDS
    assert letter_after_termination("stage_ended") is AfterTermination.HANDED_OVER
    assert letter_after_termination("counsel_retained") is AfterTermination.DEFENDED
    assert letter_after_termination("self_defense_permitted") is AfterTermination.DEFENDED
    # Any other ending leaves the suspect without a defender at this stage.
    assert letter_after_termination("other") is AfterTermination.REOPENS
    assert letter_after_termination("no_longer_eligible") is AfterTermination.REOPENS
    # LAL Art. 48's grounds on the recipient's conduct or request: the lawyer goes, the duty
    # to defend a suspect in the scope stays.
    for reason in (
        "obtained_by_deception",
        "facts_concealed",
        "unlawful_use",
        "economic_situation_changed",
        "recipient_request",
    ):
        assert letter_after_termination(reason) is AfterTermination.REOPENS
