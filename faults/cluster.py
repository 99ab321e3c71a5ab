"""``python -m faults.cluster`` (``./devctl cluster-test``): the workflow on a three-broker
Kafka cluster with two replicas of every service, one broker and one replica of each service
SIGKILLed mid-load.

It starts a PostgreSQL server and a three-node KRaft cluster of its own (``deploy/local/kafka.sh
cluster``: ports below the ephemeral range, data in ``.local/faults/cluster-<run>/``), never the
development broker. The topics are provisioned with replication factor 3 and
``min.insync.replicas`` 2 (defense_messaging.topics); the relays publish with ``acks=all``.
Each run starts the three services twice over (six processes on three databases), loads
suspects over REST through both procuratorate replicas, and when a third are in: SIGKILLs one
broker (node 1, the first address every client bootstraps from) and the second replica of each
service, neither restarted. The survivors must carry the workflow to its end on two brokers:
every suspect assigned exactly once, no lawyer over capacity, letter numbers gap-free, no dead
letters, every consumer group's lag back to 0 and every outbox empty (faults/oracle.py). The
recovery time is from the kills to that quiet. Prints a table on stderr and a JSON line per run
on stdout; exits 1 if a run failed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time
import traceback
import uuid

from bench.infra import ROOT
from bench.platform import SERVICES
from faults.__main__ import _print_json, _row, _summarize, _until_signalled
from faults.oracle import Verdict
from faults.run import Run, Scenario, run_scenario
from faults.stack import ClusterStack

KILLED_BROKER = 1


async def _kill_broker_and_a_replica_of_each(run: Run) -> None:
    stack = run.stack
    assert isinstance(stack, ClusterStack)
    began = time.perf_counter()
    replicas = [run.replicas[name] for name in SERVICES]
    for replica in replicas:
        assert replica.process is not None
        replica.process.send_signal(signal.SIGKILL)
    await stack.kill_node(KILLED_BROKER)
    for replica in replicas:
        assert replica.process is not None
        await asyncio.to_thread(replica.process.wait)
    run.say(
        f"killed broker {KILLED_BROKER} and {', '.join(r.name + '-2' for r in replicas)} "
        f"in {time.perf_counter() - began:.1f}s; none restarted"
    )


SCENARIO = Scenario(
    "cluster-kill",
    "3 brokers, 2 replicas of each service; SIGKILL broker 1 and a replica of each mid-load",
    _kill_broker_and_a_replica_of_each,
    replicas=True,
)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m faults.cluster", description=__doc__)
    parser.add_argument("--suspects", type=int, default=60, help="suspects per run")
    parser.add_argument("--runs", type=int, default=1, help="runs, each on fresh topics")
    parser.add_argument(
        "--quiesce-timeout", type=float, default=300.0, help="bound on the wait for quiet"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and broker data afterwards"
    )
    return parser.parse_args()


async def main() -> int:
    args = _arguments()
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    stack = ClusterStack(ROOT / ".local" / "faults" / f"cluster-{uuid.uuid4().hex[:8]}")

    def say(text: str) -> None:
        print(f"cluster: {text}", file=sys.stderr, flush=True)

    say(
        f"own stack in {stack.folder}: PostgreSQL 127.0.0.1:{stack.pg_port}, "
        f"Kafka {stack.endpoints.kafka}"
    )
    began = time.perf_counter()
    verdicts: list[Verdict] = []
    try:
        started = time.perf_counter()
        await stack.start()
        say(f"PostgreSQL and the three brokers up in {time.perf_counter() - started:.0f}s")
        for run_index in range(1, args.runs + 1):
            label = f"cluster-{run_index}"
            if run_index > 1:
                # The broker killed in the previous run comes back first (and catches up).
                await stack.start_node(KILLED_BROKER)
            say(f"{label}: {SCENARIO.what}, {args.suspects} suspects")
            try:
                verdict = await run_scenario(
                    stack,
                    SCENARIO,
                    suspects=args.suspects,
                    label=label,
                    say=say,
                    stall_seconds=0.0,
                    restart_after=0.0,
                    quiesce_timeout=args.quiesce_timeout,
                )
            except Exception as error:  # the run itself broke: a FAIL, and go on
                traceback.print_exc()
                verdict = Verdict(scenario=SCENARIO.name, suspects_in=args.suspects)
                verdict.problems.append(f"run aborted: {error!r}"[:2000])
            verdicts.append(verdict)
            _print_json(verdict, run_index, stack)
            say(_row(verdict) + ("" if verdict.passed else f"  {verdict.problems}"))
            if verdict.recover_s is not None:
                say(f"{label}: recovery time {verdict.recover_s:.1f}s (kills → quiet)")
    finally:
        await stack.stop()
        if not args.keep:
            stack.remove()
    return _summarize(verdicts, began, stack.folder, say)


def cli() -> int:
    return asyncio.run(_until_signalled(main()))


if __name__ == "__main__":
    sys.exit(cli())
