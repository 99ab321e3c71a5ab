"""The bench's own arithmetic: CPU read from /proc, and the median table of several runs."""

from __future__ import annotations

import json
import time
from pathlib import Path

from bench.cpu import CpuMeter
from bench.summary import _runs, table


def test_cpu_meter_puts_the_clients_own_work_in_its_group() -> None:
    meter = CpuMeter(lambda: {})
    meter.start()
    spin_until = time.process_time() + 0.3
    while time.process_time() < spin_until:
        pass
    report = meter.stop(per=3)
    cpu_s = report["cpu_s"]
    assert isinstance(cpu_s, dict)
    assert cpu_s["bench_client"] >= 0.25
    per = report["cpu_ms_per_suspect"]
    assert isinstance(per, dict)
    assert per["bench_client"] >= 80  # 0.25 s over 3 suspects
    # The groups add up to the machine's busy time, "other" being the remainder.
    assert report["cpu_ms_per_suspect_total"] >= sum(per.values()) - 1


def _run(path: Path, suspects_per_s: float, p99: float) -> str:
    lines = [
        {"measure": "baseline", "value": 20000, "machine": {"load_avg_1m": 1.5}},
        {"measure": "pipeline", "value": suspects_per_s, "http_requests_per_s": 30},
        {"measure": "notice_to_assignment", "offered_per_s": 20.0, "p99_ms": p99},
        {"measure": "rebuild", "unit": "events/s", "value": 1000},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines))
    return str(path)


def test_summary_gives_each_measures_median_and_every_run(tmp_path: Path) -> None:
    runs = _runs(
        [
            _run(tmp_path / f"{i}.jsonl", s, p)
            for i, (s, p) in enumerate([(8, 900), (9, 1200), (7, 1000)])
        ]
    )
    text = table({"after": runs})
    assert "| pipeline (suspects/s) | **8**; 8 / 9 / 7 |" in text
    assert "| notice → assignment at 20/s, p99 (ms) | **1,000**; 900 / 1,200 / 1,000 |" in text
    assert "| rebuild (events/s) | **1,000**; 1,000 / 1,000 / 1,000 |" in text
