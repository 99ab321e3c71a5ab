"""Where the CPU goes during a measure: user + system seconds per process, read from ``/proc``.

Each measure reads every process's ``utime`` and ``stime`` (``/proc/<pid>/stat``) and the
machine's busy time (``/proc/stat``) when it starts and when it ends. A process is put in one
group: each service (its own process, not py-spy's, under ``--profile``), PostgreSQL (every
backend), Kafka (the broker's JVM), the bench's own client, and "other" — the rest of the
machine's busy time, which also holds what processes that exited during the measure used (a
PostgreSQL backend whose connection closed, say), so the groups add up to the machine's figure.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def _process_seconds(pid: int) -> float | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        # The command name is in parentheses and may hold spaces: the fields follow its ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS_PER_S
    return None


def _command(pid: int) -> str:
    with contextlib.suppress(OSError):
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        return raw.replace(b"\0", b" ").decode(errors="replace")
    return ""


def _machine_busy_seconds() -> float:
    # cpu  user nice system idle iowait irq softirq steal …
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / _TICKS_PER_S


def _group(pid: int, named: dict[int, str]) -> str | None:
    if pid in named:
        return named[pid]
    command = _command(pid)
    program = os.path.basename(command.split(" ", 1)[0])
    if program == "postgres" or command.startswith("postgres:"):
        return "postgresql"
    if program == "java" and " kafka.Kafka " in command:
        return "kafka"
    return None


def _snapshot(named: dict[int, str]) -> dict[int, tuple[str, float]]:
    seen: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        group = _group(pid, named)
        seconds = _process_seconds(pid) if group else None
        if group and seconds is not None:
            seen[pid] = (group, seconds)
    return seen


@dataclass
class CpuMeter:
    """``meter = CpuMeter(pids); meter.start(); …; meter.stop(per=suspects)``.

    ``pids`` names the processes to report by name (the services); it is called at each reading,
    so a service restarted in between is still found.
    """

    pids: Callable[[], dict[str, int | None]]
    _started: float = 0.0
    _busy: float = 0.0
    _before: dict[int, tuple[str, float]] = field(default_factory=dict)

    def _named(self) -> dict[int, str]:
        named = {pid: name for name, pid in self.pids().items() if pid is not None}
        named[os.getpid()] = "bench_client"
        return named

    def start(self) -> None:
        self._before = _snapshot(self._named())
        self._busy = _machine_busy_seconds()
        self._started = time.monotonic()

    def stop(self, per: int | None = None, unit: str = "suspect") -> dict[str, object]:
        """Seconds of CPU per group, each as a share of one core over the measure, and (with
        ``per``) milliseconds per unit of work."""
        wall = time.monotonic() - self._started
        busy = _machine_busy_seconds() - self._busy
        used: dict[str, float] = {}
        for pid, (group, seconds) in _snapshot(self._named()).items():
            before = self._before.get(pid)
            start = before[1] if before and before[0] == group else 0.0
            used[group] = used.get(group, 0.0) + max(seconds - start, 0.0)
        used["other"] = max(busy - sum(used.values()), 0.0)
        report: dict[str, object] = {
            "wall_s": round(wall, 2),
            "machine_busy_cores": round(busy / wall, 2) if wall else None,
            "cores": os.cpu_count(),
            "cpu_s": {k: round(v, 2) for k, v in sorted(used.items(), key=lambda kv: -kv[1])},
            "share_of_a_core": {
                k: round(v / wall, 2) for k, v in sorted(used.items(), key=lambda kv: -kv[1])
            },
        }
        if per:
            report[f"cpu_ms_per_{unit}"] = {
                k: round(1000 * v / per, 1) for k, v in sorted(used.items(), key=lambda kv: -kv[1])
            }
            report[f"cpu_ms_per_{unit}_total"] = round(1000 * busy / per, 1)
        return report
