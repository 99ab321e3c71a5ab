"""``python -m bench.summary before=a.jsonl,b.jsonl,c.jsonl after=d.jsonl,e.jsonl,f.jsonl``:
the median of several bench runs per measure, with each run's figure, as a Markdown table.

Each argument is ``<label>=<file>[,<file>…]``, the files being ``python -m bench``'s standard
output (one JSON line per measure). A measure missing from a run (skipped, or not in an older
checkout) is left out of that run's figures.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

Run = dict[str, list[dict[str, Any]]]  # measure name → its lines (a rate's measure repeats)


def _runs(files: Iterable[str]) -> list[Run]:
    runs = []
    for name in files:
        run: Run = {}
        for line in Path(name).read_text().splitlines():
            if line.strip():
                record = json.loads(line)
                run.setdefault(record["measure"], []).append(record)
        runs.append(run)
    return runs


def _at_rate(rate: float, key: str) -> Callable[[Run], float | None]:
    def pick(run: Run) -> float | None:
        for line in run.get("notice_to_assignment", []):
            if line.get("offered_per_s") == rate:
                value = line.get(key)
                return float(value) if value is not None else None
        return None

    return pick


def _first(measure: str, *path: str) -> Callable[[Run], float | None]:
    def pick(run: Run) -> float | None:
        value: Any = run.get(measure, [None])[0]
        for key in path:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return float(value) if isinstance(value, int | float) else None

    return pick


def rows(runs: list[Run]) -> list[tuple[str, Callable[[Run], float | None]]]:
    """What the table shows, in order: (label, how to read it from one run)."""
    wanted: list[tuple[str, Callable[[Run], float | None]]] = [
        ("baseline, raw Kafka (messages/s)", _first("baseline", "value")),
        ("pipeline (suspects/s)", _first("pipeline", "value")),
        ("pipeline (requests/s)", _first("pipeline", "http_requests_per_s")),
        (
            "pipeline, CPU ms per suspect, all",
            _first("pipeline", "cpu", "cpu_ms_per_suspect_total"),
        ),
    ]
    groups = sorted(
        {
            group
            for run in runs
            for line in run.get("pipeline", [])
            for group in (line.get("cpu") or {}).get("cpu_ms_per_suspect", {})
        }
    )
    wanted += [
        (f"… {group}", _first("pipeline", "cpu", "cpu_ms_per_suspect", group)) for group in groups
    ]
    rates = sorted(
        {line["offered_per_s"] for run in runs for line in run.get("notice_to_assignment", [])}
    )
    for rate in rates:
        wanted += [
            (f"notice → assignment at {rate:g}/s, p50 (ms)", _at_rate(rate, "p50_ms")),
            (f"notice → assignment at {rate:g}/s, p99 (ms)", _at_rate(rate, "p99_ms")),
            ("… procuratorate's half, p99 (ms)", _at_rate(rate, "notice_published_p99_ms")),
            ("… aid center's half, p99 (ms)", _at_rate(rate, "assignment_p99_ms")),
            (f"… requests failed at {rate:g}/s", _at_rate(rate, "requests_failed")),
        ]
    rebuilds = sorted(
        {
            name
            for run in runs
            for name, lines in run.items()
            if lines and lines[0].get("unit") == "events/s"
        }
    )
    wanted += [(f"{name} (events/s)", _first(name, "value")) for name in rebuilds]
    services = sorted(
        {name for run in runs for line in run.get("rss", []) for name in line.get("peaks", {})}
    )
    wanted += [(f"peak RSS, {name} (MiB)", _first("rss", "peaks", name)) for name in services]
    wanted.append(("load average at the end (1 min)", _load))
    return wanted


def _load(run: Run) -> float | None:
    for lines in run.values():
        value = lines[0].get("machine", {}).get("load_avg_1m")
        if value is not None:
            return float(value)
    return None


def _figure(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def table(labelled: dict[str, list[Run]]) -> str:
    every = [run for runs in labelled.values() for run in runs]
    header = "| measure | " + " | ".join(f"{label} (median; runs)" for label in labelled) + " |"
    lines = [header, "|---" * (len(labelled) + 1) + "|"]
    for title, pick in rows(every):
        cells = []
        for runs in labelled.values():
            values = [pick(run) for run in runs]
            present = [v for v in values if v is not None]
            median = statistics.median(present) if present else None
            each = " / ".join(_figure(v) for v in values)
            cells.append(f"**{_figure(median)}**; {each}" if present else "—")
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(arguments: list[str]) -> None:
    labelled: dict[str, list[Run]] = {}
    for argument in arguments:
        label, _, files = argument.partition("=")
        if not files:
            raise SystemExit(f"{argument!r}: expected <label>=<file>[,<file>…]")
        labelled[label] = _runs(files.split(","))
    print(table(labelled))


if __name__ == "__main__":
    main(sys.argv[1:])
