"""The lag chart's history: one bounded ring per console process, spanning the same minutes
however many operators watch, and a chart that stays inside its box."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from console.lag_history import LagHistory, chart_lines


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _reading(lag: int, group: str = "aid-center") -> list[dict[str, object]]:
    return [
        {"group": group, "topic": "t", "partition": 0, "lag": lag},
        {"group": group, "topic": "t", "partition": 1, "lag": None},
    ]


def test_ten_viewers_refreshing_make_no_more_readings_than_one() -> None:
    clock = Clock()
    history = LagHistory(window_seconds=60, interval_seconds=5, clock=clock)
    for second in range(60):
        for _viewer in range(10):
            history.record(_reading(second))
        clock.now += 1
    readings = history.series()["aid-center"]
    assert len(readings) == 12  # one per 5 s over the minute
    assert readings[-1][1] == 59  # the latest reading wins within its interval


def test_readings_older_than_the_window_are_forgotten_and_the_ring_is_bounded() -> None:
    clock = Clock()
    history = LagHistory(window_seconds=60, interval_seconds=5, clock=clock)
    for lag in range(100):
        history.record(_reading(lag))
        clock.now += 5
    readings = history.series()["aid-center"]
    assert len(readings) <= 13
    assert all(0 <= age <= 60 for age, _ in readings)
    clock.now += 61
    assert history.series() == {}


def test_the_groups_kept_are_bounded_and_the_stalest_goes_first() -> None:
    clock = Clock()
    history = LagHistory(max_groups=3, clock=clock)
    for name in ("a", "b", "c", "d"):
        history.record(_reading(1, group=name))
        clock.now += 1
    assert sorted(history.series()) == ["b", "c", "d"]


@given(
    st.lists(
        st.tuples(st.floats(min_value=-5, max_value=10_000), st.integers(0, 10**9)),
        min_size=1,
        max_size=200,
    )
)
def test_the_lag_chart_stays_inside_its_box(readings: list[tuple[float, int]]) -> None:
    chart = chart_lines({"group": readings}, window_seconds=300, width=600, height=160)
    for point in chart["lines"][0]["points"].split():
        x, y = map(float, point.split(","))
        assert 0 <= x <= 600 and 0 <= y <= 160
    assert chart["lines"][0]["last"] == readings[-1][1]


def test_the_newest_reading_is_at_the_right_edge_and_the_oldest_at_the_left() -> None:
    chart = chart_lines({"g": [(300.0, 10), (0.0, 5)]}, window_seconds=300, width=600, height=100)
    assert chart["lines"][0]["points"] == "0.0,0.0 600.0,50.0"
