"""The notice→assignment latency histogram, moved by a real notice through the real broker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from defense_schemas.events.aid_center import LawyerAssigned, SupplementRequested
from defense_schemas.events.procuratorate import NoticeSupplemented
from defense_schemas.vocabulary import NoticeItem
from services.aid_center.tests.integration.center import Center, running_center
from services.aid_center.tests.integration.test_aid_center_flow import (
    add_firm,
    add_lawyer,
    new_case,
    notice_for,
)

pytestmark = pytest.mark.integration

NAME = "defense_notice_to_assignment_seconds"


async def _samples(center: Center) -> dict[tuple[str, str, str], float]:
    """(sample name, trigger, le) → value, of the latency histogram as scraped."""
    response = await center.client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, sample.labels.get("trigger", ""), sample.labels.get("le", "")): sample.value
        for family in text_string_to_metric_families(response.text)
        if family.name == NAME
        for sample in family.samples
    }


async def test_a_notice_through_the_broker_moves_the_latency_histogram(
    service_settings: Callable[..., Any],
) -> None:
    async with running_center(service_settings, "latency") as center:
        before = await _samples(center)
        # Both triggers are there from the first scrape, at zero, with the targets' edges.
        for trigger in ("DefenseNoticeSent", "NoticeSupplemented"):
            assert before[(f"{NAME}_count", trigger, "")] == 0
            assert (f"{NAME}_bucket", trigger, "0.1") in before
            assert (f"{NAME}_bucket", trigger, "0.25") in before

        # Two firms: co-suspects' lawyers may not share one (Measures Art. 13).
        firm_a = await add_firm(center, "天津甲律师事务所")
        firm_b = await add_firm(center, "天津乙律师事务所")
        await add_lawyer(center, firm_a, "L001", specialties=["juvenile"])
        await add_lawyer(center, firm_b, "L002")
        case_id, received, (adult_id, minor_id) = new_case()
        await center.publish(received, case_id)
        notice = notice_for(minor_id, minor=True)
        await center.publish(notice, case_id)
        await center.log.first(case_id, LawyerAssigned, notice_id=notice.notice_id)

        after = await _samples(center)
        assert after[(f"{NAME}_count", "DefenseNoticeSent", "")] == 1
        waited = after[(f"{NAME}_sum", "DefenseNoticeSent", "")]
        assert 0 <= waited < 60, "from the letter's occurred_at to the assignment's commit"
        assert after[(f"{NAME}_bucket", "DefenseNoticeSent", "+Inf")] == 1
        assert after[(f"{NAME}_count", "NoticeSupplemented", "")] == 0

        # An incomplete letter waits for its supplement: the supplement is the trigger then.
        incomplete = notice_for(adult_id, minor=False, materials=())
        await center.publish(incomplete, case_id)
        await center.log.first(case_id, SupplementRequested, notice_id=incomplete.notice_id)
        await center.publish(
            NoticeSupplemented(
                notice_id=incomplete.notice_id,
                suspect_id=adult_id,
                supplemented_at=datetime.now(UTC),
                supplemented_items=(NoticeItem.CASE_MATERIALS,),
                added_materials=("起诉意见书",),
                review_deadline=received.review_deadline,
            ),
            case_id,
        )
        await center.log.first(case_id, LawyerAssigned, notice_id=incomplete.notice_id)
        final = await _samples(center)
        assert final[(f"{NAME}_count", "NoticeSupplemented", "")] == 1
        assert final[(f"{NAME}_count", "DefenseNoticeSent", "")] == 1, "the letter's wait once"
