"""The consumer-lag history behind the operator's chart: a short, bounded ring per console
process, so a reload (or a second operator) sees the last minutes rather than an empty chart.

The console holds no privilege of its own, so it never polls the services by itself: readings
come from the operators' own page loads and refreshes. Every viewer refreshes every few
seconds, so readings closer together than ``interval_seconds`` replace the last one instead of
adding another: the ring then spans the same minutes whether one operator watches or ten."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

WINDOW_SECONDS = 300.0
INTERVAL_SECONDS = 5.0
MAX_GROUPS = 50
"""Consumer groups kept; the one not read for the longest goes first (a renamed group's
readings would otherwise stay for the process's life)."""


class LagHistory:
    def __init__(
        self,
        *,
        window_seconds: float = WINDOW_SECONDS,
        interval_seconds: float = INTERVAL_SECONDS,
        max_groups: int = MAX_GROUPS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window_seconds
        self.interval = interval_seconds
        self.max_groups = max_groups
        self._clock = clock
        self._capacity = int(window_seconds / interval_seconds) + 1
        self._groups: OrderedDict[str, deque[tuple[float, int]]] = OrderedDict()

    def record(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """One reading of every group's total lag (over its topics and partitions)."""
        totals: dict[str, int] = {}
        for row in rows:
            totals[row["group"]] = totals.get(row["group"], 0) + int(row.get("lag") or 0)
        now = self._clock()
        for group, total in totals.items():
            series = self._groups.pop(group, None) or deque(maxlen=self._capacity)
            if series and now - series[-1][0] < self.interval:
                # Within the last reading's interval: its time stays (else the interval would
                # slide with every refresh), its value is the newest.
                series[-1] = (series[-1][0], total)
            else:
                series.append((now, total))
            self._groups[group] = series
        while len(self._groups) > self.max_groups:
            self._groups.popitem(last=False)
        self._forget_before(now - self.window)

    def series(self) -> dict[str, list[tuple[float, int]]]:
        """Each group's readings within the window, oldest first, as (age in seconds, lag)."""
        now = self._clock()
        self._forget_before(now - self.window)
        return {
            group: [(now - at, lag) for at, lag in readings]
            for group, readings in self._groups.items()
        }

    def _forget_before(self, limit: float) -> None:
        for group in list(self._groups):
            series = self._groups[group]
            while series and series[0][0] < limit:
                series.popleft()
            if not series:
                del self._groups[group]


def chart_lines(
    series: Mapping[str, list[tuple[float, int]]],
    *,
    window_seconds: float = WINDOW_SECONDS,
    width: int = 600,
    height: int = 160,
) -> dict[str, Any]:
    """Polylines of each group's total lag, placed by the readings' age (now at the right
    edge, ``window_seconds`` ago at the left), scaled to the highest reading."""
    peak = max((lag for readings in series.values() for _, lag in readings), default=0) or 1
    lines = []
    for group, readings in sorted(series.items()):
        points = [
            (
                round(width * (1 - min(max(age, 0.0), window_seconds) / window_seconds), 1),
                round(height - height * lag / peak, 1),
            )
            for age, lag in readings
        ]
        lines.append(
            {
                "group": group,
                "points": " ".join(f"{x},{y}" for x, y in points),
                "last": readings[-1][1] if readings else 0,
            }
        )
    return {
        "lines": lines,
        "peak": peak,
        "width": width,
        "height": height,
        "minutes": round(window_seconds / 60),
    }
