"""promtool, Prometheus's own checker (Debian's ``prometheus`` package, installed by
``deploy/local/install.sh``)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def promtool(*args: str, stdin: str | None = None, cwd: Path | None = None) -> str:
    """Runs promtool; fails the test with its output when it finds a problem."""
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail("promtool is missing: deploy/local/install.sh installs it (Debian: prometheus)")
    done = subprocess.run(
        [binary, *args], input=stdin, capture_output=True, text=True, timeout=120, cwd=cwd
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"promtool {' '.join(args)}: exit {done.returncode}\n{output}"
    return output
