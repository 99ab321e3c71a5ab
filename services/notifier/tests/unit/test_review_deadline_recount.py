"""The review period's last day the procuratorate counted on a guessed calendar is watched as
provisional, and moves (or stops being a guess) when the procuratorate publishes it again
(``ReviewDeadlineRecounted``) — through the in-memory projection the consumer runs."""

from __future__ import annotations

from datetime import date
from typing import Any

from defense_messaging import EventPublisher
from defense_schemas import BaseEvent, Envelope
from defense_schemas import examples as ex
from defense_schemas.events import procuratorate as pr
from defense_schemas.events.notifier import ClockScheduled
from legal_calendar import load_bundled_calendar
from notifier.handlers import Projector
from notifier.handlers.batch import ProjectionBatch
from notifier.settings import NotifierSettings
from service_runtime.security.fields import FieldCipher, generate_key

CALENDAR = load_bundled_calendar()
CIPHER = FieldCipher({"k1": generate_key()}, "k1", generate_key())
SETTINGS = NotifierSettings(procuratorate_webhook_url="https://procuratorate.example/hook")
PUBLISHER = EventPublisher(None, producer="notifier", topic="notifier.events")  # type: ignore[arg-type]


def _apply(batch: ProjectionBatch, event: BaseEvent) -> list[Envelope]:
    envelope = Envelope.for_event(event, case_id=ex.CASE_ID, producer="procuratorate")
    return Projector(CALENDAR, PUBLISHER, CIPHER, SETTINGS).apply(batch, envelope, event).published


def _review_clock(batch: ProjectionBatch) -> dict[str, Any]:
    [row] = [r for r in batch.clocks_written() if r["kind"] == "review_period"]
    return row


def test_a_guessed_review_deadline_is_watched_as_such_and_moved_when_recounted() -> None:
    batch = ProjectionBatch()
    received = next(e for e in ex.EXAMPLES if isinstance(e, pr.CaseReceived))
    _apply(
        batch,
        received.model_copy(
            update={
                "review_deadline": date(2027, 2, 1),
                "review_deadline_provisional": True,
                "review_deadline_missing_years": (2027,),
            }
        ),
    )
    clock = _review_clock(batch)
    assert (clock["due_on"], clock["provisional"], clock["missing_years"]) == (
        date(2027, 2, 1),
        True,
        [2027],
    )

    # The day does not move, but it is no longer a guess: that is news too.
    settled = _apply(
        batch,
        pr.ReviewDeadlineRecounted(
            counted_from=received.received_at.date(),
            review_deadline=date(2027, 2, 1),
            previous_review_deadline=date(2027, 2, 1),
            review_deadline_provisional=False,
            recounted_at=ex.at(12),
        ),
    )
    clock = _review_clock(batch)
    assert (clock["due_on"], clock["provisional"], clock["missing_years"]) == (
        date(2027, 2, 1),
        False,
        [],
    )
    [scheduled] = [e for e in settled if e.event_type == ClockScheduled.event_type]
    assert scheduled.payload["provisional"] is False

    moved = pr.ReviewDeadlineRecounted(
        counted_from=received.received_at.date(),
        review_deadline=date(2027, 2, 2),
        previous_review_deadline=date(2027, 2, 1),
        review_deadline_provisional=False,
        recounted_at=ex.at(12),
    )
    _apply(batch, moved)
    assert _review_clock(batch)["due_on"] == date(2027, 2, 2)
    assert batch.case(ex.CASE_ID)["review_deadline"] == date(2027, 2, 2)
