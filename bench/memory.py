"""Each service's memory as the kernel counts it: peak resident set (``VmHWM``) and current
(``VmRSS``) from ``/proc/<pid>/status``, read after each measure of the run.

``VmHWM`` is the high-water mark since the process started, so the last reading of a process is
its peak through every measure before it. Under ``--profile`` the service is py-spy's child:
the service's own process is read, not the profiler's.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from bench.infra import ServiceProcess

TARGET_MIB = 300


def _status_kib(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("VmHWM", "VmRSS"):
                values[name] = int(rest.split()[0])
    return values


def service_pid(process: ServiceProcess) -> int | None:
    if process.process is None or process.process.poll() is not None:
        return None
    if process.profile_path is not None:
        return process._profiled_child()
    return process.process.pid


def reading(process: ServiceProcess) -> dict[str, float] | None:
    """``{"peak_mib", "now_mib"}`` of a running service, or None once it has exited."""
    pid = service_pid(process)
    if pid is None:
        return None
    kib = _status_kib(pid)
    if "VmHWM" not in kib:
        return None
    return {
        "peak_mib": round(kib["VmHWM"] / 1024, 1),
        "now_mib": round(kib.get("VmRSS", 0) / 1024, 1),
    }


class MemoryLog:
    """Readings per service after each named phase; the peak of each service over them."""

    def __init__(self) -> None:
        self.phases: list[dict[str, object]] = []

    def note(self, phase: str, services: dict[str, ServiceProcess]) -> None:
        readings = {name: reading(process) for name, process in services.items()}
        self.phases.append({"phase": phase, **{k: v for k, v in readings.items() if v}})

    def peaks(self) -> dict[str, float]:
        peaks: dict[str, float] = {}
        for phase in self.phases:
            for name, value in phase.items():
                if isinstance(value, dict):
                    peaks[name] = max(peaks.get(name, 0.0), value["peak_mib"])
        return peaks
