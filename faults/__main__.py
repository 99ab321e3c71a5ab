"""``python -m faults`` (``./devctl faults``): the scenarios against the suite's own stack.

It starts a PostgreSQL server and a Kafka broker of its own (ports below the ephemeral range,
data in ``.local/faults/<run>/``), and for each run of each scenario the three services on a
fresh set of databases and topics; pushes the suspects through the workflow over REST, injects
the scenario's fault mid-load, waits (bounded) until the system is quiet, and judges the outcome
(faults/oracle.py). Prints a table on stderr and one JSON line per run on stdout; exits 1 if any
run failed. The services' logs stay in the run folder. SIGTERM or SIGINT stops what it started
(services, broker, database server) and exits with 128 + the signal's number.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from bench.__main__ import _machine
from bench.infra import ROOT
from faults.oracle import Verdict
from faults.run import MAX_POLL_INTERVAL_MS, run_scenario
from faults.scenarios import SCENARIOS
from faults.stack import Stack

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

COLUMNS = (
    ("scenario", 21),
    ("in", 5),
    ("assigned", 8),
    ("lost", 4),
    ("double", 6),
    ("wire dup", 8),
    ("dead letters", 12),
    ("recover s", 9),
    ("result", 6),
)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m faults", description=__doc__)
    parser.add_argument("--suspects", type=int, default=200, help="suspects per run")
    parser.add_argument(
        "--scenario",
        action="append",
        choices=sorted(SCENARIOS),
        help="run this one (repeat for several); default: all",
    )
    parser.add_argument("--runs", type=int, default=1, help="runs of each scenario")
    parser.add_argument(
        "--stall-seconds",
        type=float,
        default=30.0,
        help="how long the stalled consumer stays stopped or stuck on a lock (past its 10 s "
        f"session timeout and the {MAX_POLL_INTERVAL_MS / 1000:.0f} s max.poll.interval.ms the "
        "services run with)",
    )
    parser.add_argument("--restart-after", type=float, default=5.0)
    parser.add_argument(
        "--quiesce-timeout", type=float, default=300.0, help="bound on the wait for quiet"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and broker data afterwards"
    )
    return parser.parse_args()


def _row(verdict: Verdict) -> str:
    dead = f"{verdict.dead_letters}/{verdict.dead_letters_injected}"
    recover = "-" if verdict.recover_s is None else f"{verdict.recover_s:.1f}"
    cells = (
        verdict.scenario,
        verdict.suspects_in,
        verdict.assignments_out,
        verdict.lost,
        verdict.double_effects,
        verdict.wire_duplicates,
        dead,
        recover,
        "PASS" if verdict.passed else "FAIL",
    )
    return " ".join(str(c).ljust(w) for c, (_, w) in zip(cells, COLUMNS, strict=True))


async def main() -> int:
    args = _arguments()
    # The suite's own watcher loses the broker on purpose in two scenarios: its client's
    # reconnect errors say nothing the table does not.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    names = args.scenario or list(SCENARIOS)
    stack = Stack(ROOT / ".local" / "faults" / f"run-{uuid.uuid4().hex[:8]}")

    def say(text: str) -> None:
        print(f"faults: {text}", file=sys.stderr, flush=True)

    say(
        f"own stack in {stack.folder}: PostgreSQL 127.0.0.1:{stack.pg_port}, "
        f"Kafka 127.0.0.1:{stack.kafka_port}"
    )
    began = time.perf_counter()
    verdicts: list[Verdict] = []
    try:
        await stack.start()  # inside: a signal during the start stops what did start
        for run_index in range(1, args.runs + 1):
            for name in names:
                label = f"{name}-{run_index}"
                say(f"{label}: {SCENARIOS[name].what}, {args.suspects} suspects")
                try:
                    verdict = await run_scenario(
                        stack,
                        SCENARIOS[name],
                        suspects=args.suspects,
                        label=label,
                        say=say,
                        stall_seconds=args.stall_seconds,
                        restart_after=args.restart_after,
                        quiesce_timeout=args.quiesce_timeout,
                    )
                except Exception as error:  # the run itself broke: a FAIL, and go on
                    traceback.print_exc()
                    verdict = Verdict(scenario=name, suspects_in=args.suspects)
                    verdict.problems.append(f"run aborted: {error!r}"[:2000])
                verdicts.append(verdict)
                _print_json(verdict, run_index, stack)
                say(_row(verdict) + ("" if verdict.passed else f"  {verdict.problems}"))
    finally:
        await stack.stop()
        if not args.keep:
            stack.remove()
    return _summarize(verdicts, began, stack.folder, say)


def _summarize(
    verdicts: list[Verdict], began: float, logs: object, say: Callable[[str], None]
) -> int:
    """The table of every run and the failures' reasons; the exit status."""
    print(" ".join(title.ljust(w) for title, w in COLUMNS), file=sys.stderr)
    for verdict in verdicts:
        print(_row(verdict), file=sys.stderr)
    failed = [v for v in verdicts if not v.passed]
    say(
        f"{len(verdicts) - len(failed)}/{len(verdicts)} runs passed in "
        f"{time.perf_counter() - began:.0f}s; logs in {logs}"
    )
    for verdict in failed:
        say(f"{verdict.scenario}: {'; '.join(verdict.problems)}")
    return 1 if failed else 0


def _print_json(verdict: Verdict, run_index: int, stack: Stack) -> None:
    line: dict[str, Any] = {
        "measure": "fault_scenario",
        "scenario": verdict.scenario,
        "run": run_index,
        "result": "PASS" if verdict.passed else "FAIL",
        "suspects_in": verdict.suspects_in,
        "assignments_out": verdict.assignments_out,
        "lost": verdict.lost,
        "double_effects": verdict.double_effects,
        "wire_duplicates": verdict.wire_duplicates,
        "dead_letters": verdict.dead_letters,
        "dead_letters_injected": verdict.dead_letters_injected,
        "recover_s": verdict.recover_s,
        "seconds": verdict.seconds,
        "resent_requests": verdict.resent_requests,
        "problems": verdict.problems,
        **verdict.details,
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": _machine(),
    }
    print(json.dumps(line, ensure_ascii=False), flush=True)


def cli() -> int:
    return asyncio.run(_until_signalled(main()))


async def _until_signalled(work: Coroutine[Any, Any, int]) -> int:
    """Runs ``work``; SIGTERM or SIGINT cancels it, so that its ``finally`` blocks stop the
    services, the broker and the database server it started. (A signal's default action ends
    the process at once and leaves them running, holding their ports and data folders.) A
    second signal changes nothing: every step of the cleanup is bounded."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    received: list[int] = []

    def on_signal(signum: int) -> None:
        if not received:
            name = signal.Signals(signum).name
            print(f"faults: {name}: stopping what the suite started", file=sys.stderr, flush=True)
            task.cancel()
        received.append(signum)

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        return await work
    except asyncio.CancelledError:
        if not received:
            raise
        return 128 + received[0]  # as a shell reports a process a signal ended
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)


if __name__ == "__main__":
    sys.exit(cli())
