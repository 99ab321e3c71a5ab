"""Which records a rebuild replays, and when its replay is over (notifier.replay)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from notifier.replay import ReplayBoundary

ENDS = st.dictionaries(
    st.sampled_from(["procuratorate.events", "aid-center.events"]),
    st.lists(st.integers(0, 50), min_size=1, max_size=6),
    min_size=1,
)


@given(ENDS, st.data())
def test_a_record_is_replayed_exactly_when_it_lies_before_its_partitions_end(
    ends: dict[str, list[int]], data: st.DataObject
) -> None:
    boundary = ReplayBoundary(ends)
    topic = data.draw(st.sampled_from(sorted(ends)))
    partition = data.draw(st.integers(0, len(ends[topic]) - 1))
    offset = data.draw(st.integers(0, 60))
    assert boundary.replayed(topic, partition, offset) is (offset < ends[topic][partition])
    # A topic or partition the boundary does not name is live: nothing of it was replayed.
    assert not boundary.replayed("notifier.events", partition, offset)
    assert not boundary.replayed(topic, len(ends[topic]), 0)


@given(ENDS, st.data())
def test_the_replay_is_over_once_every_partitions_last_replayed_record_is_applied(
    ends: dict[str, list[int]], data: st.DataObject
) -> None:
    boundary = ReplayBoundary(ends)
    applied = {
        (topic, partition): end - 1
        for topic, by_partition in ends.items()
        for partition, end in enumerate(by_partition)
        if end > 0
    }
    assert boundary.reached(applied)
    if applied:
        behind = data.draw(st.sampled_from(sorted(applied)))
        assert not boundary.reached({**applied, behind: applied[behind] - 1})
        assert boundary.reached({**applied, behind: applied[behind] + 5})
