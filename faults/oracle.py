"""The verdict on one run, read from the public APIs and the topics once the system is quiet.

Each property is one the platform promises whatever fault it met: every suspect has exactly one
active assignment and one LawyerAssigned (wire duplicates of the same event are allowed, double
effects are not); letter numbers are unique and gap-free per unit and year; no lawyer is over
capacity; no dead letters but the injected ones; no backlog; every clock whose stopping event
happened is closed in every service; one delivery per recipient per event.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from bench.observer import Observer
from faults.topics import read_all

if TYPE_CHECKING:
    from faults.run import Run

# Clocks the workflow's own events stop: RightsNotified, DefenseNoticeSent, LawyerAssigned.
STOPPED_BY_THE_WORKFLOW = ("rights_notification", "notice_dispatch", "assignment")


@dataclass
class Verdict:
    scenario: str = ""
    suspects_in: int = 0
    assignments_out: int = 0
    lost: int = 0
    double_effects: int = 0
    wire_duplicates: int = 0
    dead_letters: int = 0
    dead_letters_injected: int = 0
    recover_s: float | None = None
    seconds: float = 0.0
    resent_requests: int = 0
    problems: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.problems


async def every(
    client: httpx.AsyncClient, path: str, params: dict[str, str] | None = None
) -> list[Any]:
    """Every item of a list, page after page (``items``, ``next_cursor``)."""
    query = {**(params or {}), "limit": "1000"}
    items: list[Any] = []
    while True:
        page = (await client.get(path, params=query)).raise_for_status().json()
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        query["cursor"] = page["next_cursor"]


async def judge(run: Run, suspects: set[str], observer: Observer) -> Verdict:
    verdict = Verdict()
    problems = verdict.problems
    sandbox = run.sandbox
    records = await read_all(sandbox.endpoints.kafka, sorted(sandbox.topics))

    # --- the topics: events de-duplicated by id ---
    events: dict[str, dict[str, Any]] = {}
    seen = 0
    for record in records:
        envelope = record.envelope()
        if envelope is None or record.topic.endswith(".dlq"):
            continue
        seen += 1
        events.setdefault(envelope["event_id"], envelope)
    verdict.wire_duplicates = seen - len(events)
    of_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for envelope in events.values():
        of_type[envelope["event_type"]].append(envelope)
    case_of = {
        e["payload"]["suspect_id"]: e["case_id"]
        for e in of_type["DefenseNoticeSent"]
        if e["payload"]["suspect_id"] in suspects
    }

    assigned_events = Counter(
        e["payload"]["suspect_id"]
        for e in of_type["LawyerAssigned"]
        if e["payload"]["suspect_id"] in suspects
    )
    doubles = sum(n - 1 for n in assigned_events.values() if n > 1)
    if doubles:
        problems.append(f"{doubles} extra LawyerAssigned events (distinct ids) for one suspect")
    no_event = len(suspects - set(assigned_events))
    if no_event:
        problems.append(f"{no_event} suspects without LawyerAssigned on the topic")

    # --- the aid center: active assignments and capacity ---
    async with run.platform.client("aid_center") as aid_center:
        active = await every(aid_center, "/assignments", {"status": "active"})
        lawyers = await every(aid_center, "/lawyers")
    per_suspect = Counter(a["suspect_id"] for a in active if a["suspect_id"] in suspects)
    verdict.assignments_out = sum(per_suspect.values())
    verdict.lost = len(suspects - set(per_suspect))
    extra_assignments = sum(n - 1 for n in per_suspect.values() if n > 1)
    if verdict.lost:
        problems.append(f"{verdict.lost} suspects without an active assignment")
    if extra_assignments:
        problems.append(f"{extra_assignments} extra active assignments")
    over = [
        f"{lawyer['name']} {lawyer['active_cases']}/{lawyer['max_concurrent_cases']}"
        for lawyer in lawyers
        if lawyer["active_cases"] > lawyer["max_concurrent_cases"]
    ]
    if over:
        problems.append(f"lawyers over capacity: {', '.join(over)}")
    verdict.details["lawyers"] = [
        f"{lawyer['active_cases']}/{lawyer['max_concurrent_cases']}" for lawyer in lawyers
    ]

    # --- letter numbers: unique and gap-free per unit and year ---
    numbers: dict[tuple[str, int], list[int]] = defaultdict(list)
    for e in of_type["DefenseNoticeSent"]:
        number = e["payload"]["letter"]["document_number"]
        numbers[(number["issuing_unit"], number["year"])].append(number["sequence"])
    duplicate_letters = 0
    for (unit, year), issued in numbers.items():
        duplicate_letters += len(issued) - len(set(issued))
        missing = set(range(1, max(issued) + 1)) - set(issued)
        if missing:
            problems.append(f"{unit} {year}: letter numbers missing {sorted(missing)[:10]}")
    if duplicate_letters:
        problems.append(f"{duplicate_letters} letter numbers issued twice")
    verdict.details["letters"] = sum(len(v) for v in numbers.values())

    # --- dead letters: only the injected ones, each filed by whom it should be ---
    filed: list[tuple[str, str, int, int]] = []
    for name in ("procuratorate", "aid_center", "notifier"):
        async with run.operator(name) as client:
            rows = await every(client, "/ops/dead-letters")
        filed += [
            (r["consumer"], r["source_topic"], r["source_partition"], r["source_offset"])
            for r in rows
        ]
    verdict.dead_letters = len(filed)
    verdict.dead_letters_injected = len(run.expected_dead_letters)
    unexpected = [f for f in filed if f not in run.expected_dead_letters]
    if unexpected:
        problems.append(f"{len(unexpected)} dead letters not injected: {unexpected[:5]}")
    missing_dl = run.expected_dead_letters - set(filed)
    if missing_dl:
        problems.append(f"injected poison not dead-lettered: {sorted(missing_dl)}")
    twice = [f for f, n in Counter(filed).items() if n > 1]
    if twice:
        problems.append(f"dead-lettered more than once: {twice}")

    # --- clocks the workflow stopped are closed in every service ---
    assigned = {s for s in suspects if s in assigned_events}
    async with run.platform.client("notifier") as notifier:
        open_notifier = []
        for kind in STOPPED_BY_THE_WORKFLOW:
            rows = await every(notifier, "/clocks", {"kind": kind})
            open_notifier += [r for r in rows if r.get("suspect_id") in assigned]
    if open_notifier:
        kinds = Counter(r["kind"] for r in open_notifier)
        problems.append(f"notifier: {len(open_notifier)} clocks open after their stop {kinds}")
    open_procuratorate, looked_at = await _procuratorate_open_clocks(run, assigned, case_of)
    if open_procuratorate:
        problems.append(f"procuratorate: {open_procuratorate} clocks open after their stop")
    if looked_at < 2 * len(assigned):  # rights notification and notice dispatch, each
        problems.append(f"procuratorate: only {looked_at} clocks for {len(assigned)} suspects")
    open_aid, notices = await _aid_center_open_clocks(run, assigned)
    if open_aid:
        problems.append(f"aid center: {open_aid} notices' clocks open after the assignment")
    if notices < len(assigned):
        problems.append(f"aid center: {notices} notices for {len(assigned)} assigned suspects")

    # --- one delivery per recipient per event ---
    delivered = of_type["NotificationDelivered"]
    per_job = Counter(e["payload"]["notification_id"] for e in delivered)
    per_recipient: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for e in delivered:
        p = e["payload"]
        per_recipient[(p["about_event_id"], p["recipient_role"], p["address"])].add(
            p["notification_id"]
        )
    double_deliveries = sum(n - 1 for n in per_job.values() if n > 1) + sum(
        len(jobs) - 1 for jobs in per_recipient.values() if len(jobs) > 1
    )
    sms_twice = _sms_written_twice(run)
    if double_deliveries:
        problems.append(f"{double_deliveries} deliveries recorded twice")
    if sms_twice:
        problems.append(f"{sms_twice} SMS written twice")
    verdict.details["deliveries"] = len(per_job)

    verdict.double_effects = (
        doubles + extra_assignments + duplicate_letters + double_deliveries + sms_twice
    )
    verdict.details["events"] = len(events)
    verdict.details["records_by_type"] = dict(observer.records)
    return verdict


async def _procuratorate_open_clocks(
    run: Run, assigned: set[str], case_of: dict[str, str]
) -> tuple[int, int]:
    """Open clocks of the assigned suspects' own (rights notification, notice dispatch), and
    how many clocks were looked at."""
    open_clocks = looked_at = 0
    async with run.platform.client("procuratorate") as procuratorate:
        for suspect_id in assigned:
            case_id = case_of.get(suspect_id)
            if case_id is None:
                continue
            view = (await procuratorate.get(f"/cases/{case_id}")).raise_for_status().json()
            for suspect in view["suspects"]:
                for clock in suspect["clocks"]:
                    if clock["kind"] not in STOPPED_BY_THE_WORKFLOW:
                        continue
                    looked_at += 1
                    open_clocks += clock["met_at"] is None and clock["outcome"] is None
    return open_clocks, looked_at


async def _aid_center_open_clocks(run: Run, assigned: set[str]) -> tuple[int, int]:
    """Notices of assigned suspects still waiting for an assignment (their clock running)."""
    async with run.platform.client("aid_center") as aid_center:
        notices = await every(aid_center, "/notices")
    ours = [n for n in notices if n["suspect_id"] in assigned]
    return sum(n["status"] not in ("assigned", "closed") for n in ours), len(ours)


def _sms_written_twice(run: Run) -> int:
    folder = run.sandbox.run_dir / "sms"
    references: Counter[str] = Counter()
    for path in folder.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            with_reference = json.loads(line) if line.strip() else {}
            references[with_reference.get("reference", "")] += 1
    return sum(n - 1 for n in references.values() if n > 1)
