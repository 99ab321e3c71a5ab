"""The fault suite's runner, sent SIGTERM or SIGINT, stops the database server, the broker and
the service processes it started, and leaves no port open.

Starting a real PostgreSQL server and Kafka broker takes tens of seconds on the development
machine, so here the runner's stack scripts are stand-ins with the same contract as
``deploy/local/postgres.sh`` and ``kafka.sh`` (a detached server on the port of the
environment, its pid in the data folder, ``start`` returns once the port answers, ``stop`` ends
it), and the scenario is one that starts a child process listening on a port and waits. The
runner itself (``faults.__main__.cli``: arguments, the stack, the signal handling) is the real
one, in a process of its own.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SERVER = """
import signal, socket, sys, time
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen()
while True:
    time.sleep(3600)
"""

# One script for both servers: its name says which port and data folder of the environment.
FAKE_SCRIPT = """#!{python}
import os, signal, socket, subprocess, sys, time
from pathlib import Path

kind = "kafka" if Path(sys.argv[0]).name == "kafka.sh" else "postgres"
port = int(os.environ["KAFKA_PORT" if kind == "kafka" else "PG_PORT"])
data = Path(os.environ["KAFKA_DATA_DIR" if kind == "kafka" else "PG_DATA_DIR"])
pid_file = data / f"{{kind}}.pid"
if sys.argv[1] == "start":
    data.mkdir(parents=True, exist_ok=True)
    (data / f"{{kind}}.starting").touch()
    time.sleep(float(os.environ.get(f"FAKE_{{kind.upper()}}_START_DELAY", "0")))
    server = subprocess.Popen(
        [sys.executable, "-c", {server!r}, str(port)],
        start_new_session=True,  # detached, as the real scripts run their servers
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    pid_file.write_text(str(server.pid))
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
elif sys.argv[1] == "stop" and pid_file.exists():
    pid = int(pid_file.read_text())
    os.kill(pid, signal.SIGTERM)
    stat = Path(f"/proc/{{pid}}/stat")
    while stat.exists() and stat.read_bytes().rsplit(b")", 1)[1].split()[0] != b"Z":
        time.sleep(0.05)
    pid_file.unlink()
"""

DRIVER = """
import asyncio, subprocess, sys
from pathlib import Path

import faults.__main__ as runner
import faults.stack
from bench.infra import steady_port

faults.stack.SCRIPTS = Path(sys.argv[1])
runner.ROOT = Path(sys.argv[2])


async def scenario(stack, scenario, *, say, **_):
    port = steady_port()
    service = subprocess.Popen([sys.executable, "-c", {server!r}, str(port)])
    try:
        print(f"service {{service.pid}} {{port}}", flush=True)
        await asyncio.Event().wait()
    finally:
        service.terminate()
        await asyncio.to_thread(service.wait)


runner.run_scenario = scenario
sys.argv = ["faults", "--scenario", "control"]
sys.exit(runner.cli())
"""


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != b"Z"  # a zombie is gone but for its exit status


def _wait_for(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _pids(root: Path) -> dict[str, int]:
    return {path.stem: int(path.read_text()) for path in root.glob(".local/faults/*/*/*.pid")}


@pytest.fixture
def fake_scripts(tmp_path: Path) -> Path:
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    body = FAKE_SCRIPT.format(python=sys.executable, server=SERVER)
    for name in ("postgres.sh", "kafka.sh"):
        (scripts / name).write_text(body)
        (scripts / name).chmod(0o755)
    return scripts


@pytest.mark.parametrize(
    ("signum", "during"),
    [(signal.SIGTERM, "the scenario"), (signal.SIGINT, "the broker's start")],
)
def test_a_signal_stops_the_servers_and_services_the_runner_started(
    fake_scripts: Path, tmp_path: Path, signum: signal.Signals, during: str
) -> None:
    checkout = tmp_path / "checkout"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if during == "the broker's start":
        # The signal comes while kafka.sh start runs: the stop must wait for it to finish.
        env["FAKE_KAFKA_START_DELAY"] = "2"
    runner = subprocess.Popen(
        [sys.executable, "-c", DRIVER.format(server=SERVER), str(fake_scripts), str(checkout)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    ports: list[int] = []
    pids: dict[str, int] = {}
    try:
        if during == "the scenario":
            assert runner.stdout is not None
            line = runner.stdout.readline()  # once the stack is up and the service started
            assert line.startswith("service "), (
                line,
                runner.stderr.read() if runner.stderr else "",
            )
            _, service_pid, service_port = line.split()
            pids = {**_pids(checkout), "service": int(service_pid)}
            assert set(pids) == {"postgres", "kafka", "service"}
            ports.append(int(service_port))
        else:
            starting = ".local/faults/*/kafka/kafka.starting"
            _wait_for(lambda: any(checkout.glob(starting)), "the broker's start")
            pids = _pids(checkout)
            assert set(pids) == {"postgres"}
        runner.send_signal(signum)
        try:
            _, stderr_so_far = runner.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            runner.kill()
            raise
        assert runner.returncode == 128 + signum, stderr_so_far
        # The broker's pid file appears only when its start finished; read it from the log.
        started = [line for line in stderr_so_far.splitlines() if "own stack in" in line]
        assert started, stderr_so_far
        stack_ports = [
            int(part.rsplit(":", 1)[1].rstrip(",")) for part in started[0].split()[-3::2]
        ]
        ports.extend(stack_ports)
        for name, pid in pids.items():
            assert not _alive(pid), f"{name} (pid {pid}) still running after {signum.name}"
        for port in ports:
            assert not _answers(port), f"port {port} still open after {signum.name}"
        assert not _pids(checkout), "a server's pid file is left: it was not stopped"
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
        for pid in {*pids.values(), *_pids(checkout).values()}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
