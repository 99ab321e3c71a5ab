"""A long history in the three projections: N suspects, cloned from suspects the real write path
made, so the hot reads and the pipeline can be measured against a national-sized year or more.

How the rows are made (the documented bulk path):

1. **Templates through the real write path.** A mix of suspects is pushed through the REST API
   of the running services (``TEMPLATE_MIX``): the whole workflow (case received → rights
   notified → no counsel → letter → assignment → defender projected → lawyer told), stopped
   after the rights notification (the decision pending), and stopped at receipt (the rights
   clock open). The platform is let go quiet, so every consumer has applied every event.
2. **Their rows, per service.** Every row of a projection table that names a template's case,
   suspect, event, clock, notice, assignment… (a closure over the UUID columns, from the
   template case ids) is read back; the tables that are not per case (outbox, audit log,
   templates, counters, calendars, idempotency keys) are left out.
3. **Copies.** Each copy of the templates is another set of cases: every UUID is mapped to a new
   one (XOR with a mask of its own per copy: references between rows and services hold), every
   date and time moved back by the copy's own number of days (spread over ``YEARS`` years, so
   receipts, due days and clocks spread over years and most past clocks are closed or
   overdue), the district (河东) replaced by the copy's district in every text, transfer and
   document numbers made unique per copy, and identity columns offset. Encrypted values are
   opened once from the template and sealed again for the new row, with the service's own
   cipher and associated data (``<field>|<new record id>``), exactly as the write path seals
   them; the lookup hashes of equal plaintexts are equal, as the write path's are. Lawyers and
   firms are copied once per group of ``COPIES_PER_LAWYER_GROUP`` copies, so each carries a load
   of active assignments as a real roster would.
4. **COPY** into the tables (asyncpg's binary COPY), identity sequences moved past the copies,
   counters (letter numbers) moved to the highest number used, ``ANALYZE``.

A notifier clock still open and past its due day in a copy gets the alert flags the deadline
watch would have set by then (``approaching_sent_at``, ``breached_at``), so the watch does not
fire a million stale alerts when the platform starts on the history. What copies do not change:
times written inside event payloads and letters (shown, never queried), the audit log (its hash
chain is of the requests that ran), the outbox (published rows are history only).

``tests/e2e/test_history_copies.py`` checks, at 200 suspects, that copies have the same columns
null and non-null, the same statuses, clocks and outcomes as the templates the write path made,
that every sealed value opens for its new record, and that the services' APIs read the copies.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from bench.workload import case_body, decide_without_counsel, receive_and_notify
from service_runtime.security.fields import FieldCipher
from service_runtime.security.personal import SEALED, seal, unseal
from service_runtime.settings import LOCAL_FIELD_KEY, LOCAL_FIELD_KEY_ID, LOCAL_LOOKUP_KEY

# The suspects of one copy: how far each got in the workflow.
TEMPLATE_MIX = {"complete": 12, "awaiting_decision": 4, "received": 4}
YEARS = 3
COPIES_PER_LAWYER_GROUP = 8
# Letter and reply numbers of a copy: SEQUENCE_BASE + copy × (letters per copy) + the
# template's number modulo that (the templates' letters, and their replies, are numbered one
# after another, so they differ modulo their count). A number has at most six digits.
SEQUENCE_BASE = 1000  # above the numbers the bench's own runs draw
HOME = "河东"  # the templates' district (bench/workload.py)
DISTRICTS = (
    "和平", "河东", "河西", "南开", "河北", "红桥", "东丽", "西青",
    "津南", "北辰", "武清", "宝坻", "滨海新", "宁河", "静海", "蓟州",
)  # fmt: skip

# Tables whose rows are not per case, or are not a projection of the workflow.
NOT_PER_CASE = {
    "alembic_version",
    "audit_log",
    "outbox",
    "templates",
    "notice_counters",
    "document_counters",
    "legal_calendar",
    "idempotency_keys",
    "dead_letters",
}
# Copied once per lawyer group, not per copy; their ids do not pull other rows in.
ROSTER = {"lawyers", "law_firms"}


@dataclass(frozen=True)
class Field:
    """A text column encrypted with ``cipher.encrypt(value, field=name, record_id=row[id])``."""

    name: str
    id_column: str


@dataclass(frozen=True)
class Document:
    """A JSON column sealed with ``seal(…, record=record, record_id=row[id])``."""

    record: str
    id_column: str
    keys: tuple[str, ...]


def _sealing() -> dict[str, dict[str, dict[str, Field | Document]]]:
    from aid_center.db import personal as aid
    from procuratorate.db import personal as pro

    deliveries = {
        name: Field(f"deliveries.{name}", "notification_id")
        for name in ("address", "recipient_name", "subject", "body", "last_error")
    }
    return {
        "procuratorate": {
            "suspects": {
                "name": Field(pro.NAME_FIELD, "suspect_id"),
                "facts": Document("suspect", "suspect_id", pro.SUSPECT_PERSONAL),
            },
            "timeline": {"payload": Document("event", "event_id", pro.TIMELINE_PERSONAL)},
            "notices": {"letter": Document("letter", "notice_id", pro.LETTER_PERSONAL)},
        },
        "aid_center": {
            "suspects": {
                "name": Field(aid.SUSPECT_NAME, "suspect_id"),
                "place_of_detention_or_residence": Field(
                    "suspect.place_of_detention_or_residence", "suspect_id"
                ),
            },
            "notices": {
                "suspect_name": Field(aid.NOTICE_SUSPECT_NAME, "notice_id"),
                "letter": Document("letter", "notice_id", aid.LETTER_PERSONAL),
            },
        },
        "notifier": {
            "suspects": {"name": Field("suspects.name", "suspect_id")},
            "contacts": {
                "name": Field("contacts.name", "id"),
                "address": Field("contacts.address", "id"),
            },
            "deliveries": deliveries,
        },
    }


def local_cipher() -> FieldCipher:
    """The cipher the bench's services run with (the local development keys)."""
    return FieldCipher({LOCAL_FIELD_KEY_ID: LOCAL_FIELD_KEY}, LOCAL_FIELD_KEY_ID, LOCAL_LOOKUP_KEY)


# -- 1. templates through the real write path


async def make_templates(
    procuratorate: httpx.AsyncClient, mix: dict[str, int] | None = None
) -> list[uuid.UUID]:
    """The template suspects, each in a case of its own; returns their case ids."""
    case_ids: list[str] = []
    mix = mix or TEMPLATE_MIX
    for _ in range(mix.get("complete", 0)):
        case_id, suspect_id = await receive_and_notify(procuratorate)
        await decide_without_counsel(procuratorate, case_id, suspect_id)
        case_ids.append(case_id)
    for _ in range(mix.get("awaiting_decision", 0)):
        case_id, _suspect = await receive_and_notify(procuratorate)
        case_ids.append(case_id)
    for _ in range(mix.get("received", 0)):
        received_at = datetime.now(UTC) - timedelta(hours=1)
        response = await procuratorate.post("/cases", json=case_body(uuid.uuid4(), received_at))
        response.raise_for_status()
        case_ids.append(response.json()["case_id"])
    return [uuid.UUID(c) for c in case_ids]


# -- 2. the templates' rows


@dataclass
class TableTemplate:
    name: str
    columns: list[str]
    types: list[str]
    rows: list[list[Any]]
    identity: str | None = None  # a bigint identity column, offset per copy
    stride: int = 0
    plain: dict[tuple[int, str], Any] = field(default_factory=dict)  # opened sealed values


async def _tables(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
    )
    return sorted(r["table_name"] for r in rows if r["table_name"] not in NOT_PER_CASE)


async def _columns(conn: asyncpg.Connection, table: str) -> list[tuple[str, str, bool]]:
    rows = await conn.fetch(
        "SELECT column_name, data_type, is_identity = 'YES' AS identity "
        "FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 "
        "ORDER BY ordinal_position",
        table,
    )
    return [(r["column_name"], r["data_type"], r["identity"]) for r in rows]


async def roster_ids(conn: asyncpg.Connection) -> set[uuid.UUID]:
    """Every lawyer and firm id of the aid center's roster."""
    rows = await conn.fetch(
        "SELECT lawyer_id AS id FROM lawyers UNION SELECT firm_id FROM law_firms"
    )
    return {row["id"] for row in rows}


async def read_templates(
    conn: asyncpg.Connection,
    seeds: Iterable[uuid.UUID],
    cipher: FieldCipher,
    service: str,
    roster: set[uuid.UUID],
) -> tuple[dict[str, TableTemplate], set[uuid.UUID]]:
    """Every per-case row linked to ``seeds`` through UUID columns, and the UUIDs met. A
    lawyer's or firm's id links nothing (every case of theirs would follow); the roster rows
    the templates name are read last."""
    ids = set(seeds)
    sealing = _sealing().get(service, {})
    columns = {t: await _columns(conn, t) for t in await _tables(conn)}
    found: dict[str, list[asyncpg.Record]] = {}

    async def matching(table: str, wanted: set[uuid.UUID]) -> list[asyncpg.Record]:
        uuid_cols = [name for name, kind, _ in columns[table] if kind == "uuid"]
        if not uuid_cols:
            return []
        where = " OR ".join(f'"{c}" = ANY($1::uuid[])' for c in uuid_cols)
        return list(await conn.fetch(f'SELECT * FROM "{table}" WHERE {where}', list(wanted)))

    for _ in range(5):  # case → suspects, events, notices → assignments, deliveries …
        before = len(ids)
        for table in columns:
            if table in ROSTER:
                continue
            found[table] = await matching(table, ids)
            for r in found[table]:
                ids.update(v for v in r.values() if isinstance(v, uuid.UUID) and v not in roster)
        if len(ids) == before:
            break
    named = {v for rows in found.values() for r in rows for v in r.values() if v in roster}
    for table in ROSTER & set(columns):
        found[table] = await matching(table, named)
    tables: dict[str, TableTemplate] = {}
    for table, rows in found.items():
        if not rows:
            continue
        cols = columns[table]
        template = TableTemplate(
            name=table,
            columns=[c[0] for c in cols],
            types=[c[1] for c in cols],
            rows=[list(r.values()) for r in rows],
            identity=next((name for name, _, ident in cols if ident), None),
        )
        if template.identity:
            index = template.columns.index(template.identity)
            template.stride = max(row[index] for row in template.rows) + 1
        _open_sealed(template, sealing.get(table, {}), cipher)
        tables[table] = template
    return tables, ids


def _open_sealed(
    table: TableTemplate, spec: dict[str, Field | Document], cipher: FieldCipher
) -> None:
    """Opens every sealed value once; a sealed value the spec does not know is an error (the
    copies would carry ciphertext bound to the template's rows)."""
    for r, row in enumerate(table.rows):
        for c, name in enumerate(table.columns):
            value = row[c]
            how = spec.get(name)
            if isinstance(how, Field) and value is not None:
                record_id = row[table.columns.index(how.id_column)]
                table.plain[(r, name)] = cipher.decrypt(value, field=how.name, record_id=record_id)
            elif isinstance(how, Document) and value is not None:
                record_id = row[table.columns.index(how.id_column)]
                document = json.loads(value)
                table.plain[(r, name)] = json.dumps(
                    unseal(cipher, document, record=how.record, record_id=record_id),
                    ensure_ascii=False,
                )
            elif isinstance(value, str) and (value.startswith("v1:") or f'"{SEALED}"' in value):
                raise ValueError(f"{table.name}.{name} holds sealed values the bench cannot copy")


# -- 3. copies


@dataclass(frozen=True)
class Copy:
    index: int
    days_back: int
    district: str
    lawyer_group: int


def plan_copies(count: int, seed: int = 19) -> list[Copy]:
    chance = random.Random(seed)
    return [
        Copy(
            index=i,
            days_back=chance.randrange(0, 365 * YEARS),
            district=chance.choice(DISTRICTS),
            lawyer_group=(i - 1) // COPIES_PER_LAWYER_GROUP,
        )
        for i in range(1, count + 1)
    ]


_UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_UNIQUE_NUMBER = re.compile(r"(〔\d{4}〕)([0-9a-z]+)(号)")  # transfer and document numbers


# The version and variant bits of a UUID: a mask leaves them as they were.
_KEEP = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)


def _mask(label: str) -> int:
    """A copy's UUID map: XOR with a mask drawn from its label, one to one within the copy
    (uuid5 per value cost half the copying time)."""
    return uuid.uuid5(uuid.NAMESPACE_OID, label).int & _KEEP


class Copier:
    """Maps one template's values into copy ``copy``; the same value always maps the same way
    within a copy, so every reference (between rows, between services) holds."""

    def __init__(
        self, copy: Copy, ids: set[uuid.UUID], roster_ids: set[uuid.UUID], letters: int
    ) -> None:
        self.letters = max(letters, 1)
        self.copy = copy
        self.ids = ids
        self.roster_ids = roster_ids
        self._mask = _mask(f"bench-history-{copy.index}")
        self._roster_mask = _mask(f"bench-roster-{copy.lawyer_group}")
        self.shift = timedelta(days=copy.days_back)
        self._uuids: dict[uuid.UUID, uuid.UUID] = {}
        self._texts: dict[str, str] = {}

    def uuid(self, value: uuid.UUID) -> uuid.UUID:
        mapped = self._uuids.get(value)
        if mapped is None:
            if value in self.roster_ids:
                mapped = uuid.UUID(int=value.int ^ self._roster_mask)
            elif value in self.ids:
                mapped = uuid.UUID(int=value.int ^ self._mask)
            else:
                mapped = value
            self._uuids[value] = mapped
        return mapped

    def _uuid_text(self, match: re.Match[str]) -> str:
        text = match.group(0)
        mapped = self._texts.get(text)
        if mapped is None:
            mapped = self._texts[text] = str(self.uuid(uuid.UUID(text)))
        return mapped

    def text(self, value: str) -> str:
        if "-" in value:
            value = _UUID_TEXT.sub(self._uuid_text, value)
        if "〔" in value:
            value = _UNIQUE_NUMBER.sub(self._number, value)
        if HOME in value and self.copy.district != HOME:
            value = value.replace(HOME, self.copy.district)
        return value

    def _number(self, match: re.Match[str]) -> str:
        """A letter's or reply's sequence moves with ``notices.sequence``; a transfer number
        (free text) gets the copy's mark."""
        year, number, end = match.groups()
        if number.isdigit():
            return f"{year}{self.sequence(int(number))}{end}"
        return f"{year}{number}c{self.copy.index}{end}"

    def sequence(self, number: int) -> int:
        return SEQUENCE_BASE + self.copy.index * self.letters + number % self.letters

    def roster_text(self, value: str) -> str:
        """Names of a lawyer group's copies: unique per group (firm names, licence numbers)."""
        return f"{self.text(value)}·{self.copy.lawyer_group}"

    def value(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, uuid.UUID):
            return self.uuid(value)
        if isinstance(value, datetime | date):
            return value - self.shift
        if isinstance(value, str):
            return self.text(value)
        return value


ROSTER_UNIQUE = {"law_firms": ("name", "contact"), "lawyers": ("license_number", "name")}


def copy_rows(
    table: TableTemplate,
    copier: Copier,
    cipher: FieldCipher,
    spec: dict[str, Field | Document],
    *,
    today: date,
) -> Iterator[tuple[Any, ...]]:
    copy = copier.copy
    if table.name in ROSTER and (copy.index - 1) % COPIES_PER_LAWYER_GROUP != 0:
        return  # the group's first copy brought its roster
    columns = table.columns
    unique = [c for c, name in enumerate(columns) if name in ROSTER_UNIQUE.get(table.name, ())]
    identity = columns.index(table.identity) if table.identity else None
    numbered = table.name == "notices" and "sequence" in columns
    sequence = columns.index("sequence") if numbered else None
    sealed = {columns.index(name) for name in spec}  # sealed again below, not mapped here
    plain_columns = [c for c in range(len(columns)) if c not in sealed]
    sealing = [
        (name, columns.index(name), columns.index(how.id_column), how) for name, how in spec.items()
    ]
    value = copier.value
    alerts = None
    if table.name == "clocks" and "breached_at" in columns:
        alerts = tuple(
            columns.index(c) for c in ("status", "due_on", "approaching_sent_at", "breached_at")
        )
    for r, row in enumerate(table.rows):
        out = list(row)
        for c in plain_columns:
            out[c] = value(row[c])
        if identity is not None:
            out[identity] = row[identity] + copy.index * table.stride
        if sequence is not None:
            out[sequence] = copier.sequence(row[sequence])
        for c in unique:
            if row[c] is not None:
                out[c] = copier.roster_text(row[c])
        for name, c, id_column, how in sealing:
            plain = table.plain.get((r, name))
            if plain is None:
                continue
            record_id = out[id_column]
            text = copier.text(plain)
            if isinstance(how, Field):
                out[c] = cipher.encrypt(text, field=how.name, record_id=record_id)
            else:
                sealed = seal(cipher, json.loads(text), how.keys, record=how.record,
                              record_id=record_id)  # fmt: skip
                out[c] = json.dumps(sealed, ensure_ascii=False)
        if alerts is not None:
            _alerts_sent(alerts, out, today)
        yield tuple(out)


def _alerts_sent(at: tuple[int, ...], row: list[Any], today: date) -> None:
    """What the notifier's deadline watch would have set on a clock open past its due day."""
    status, due_on, approaching, breached = at
    if row[status] != "open" or row[due_on] >= today:
        return
    due = datetime.combine(row[due_on], datetime.min.time(), tzinfo=UTC)
    row[approaching] = due - timedelta(days=1)
    row[breached] = due + timedelta(days=1)


async def write_copies(
    conn: asyncpg.Connection,
    service: str,
    tables: dict[str, TableTemplate],
    ids: set[uuid.UUID],
    copies: list[Copy],
    cipher: FieldCipher,
    *,
    roster: set[uuid.UUID],
    letters: int,
    chunk: int = 500,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """COPY every table's rows for ``copies``; returns the rows written per table."""
    spec = _sealing().get(service, {})
    today = datetime.now(UTC).date()
    written = dict.fromkeys(tables, 0)
    order = _insert_order(tables)
    started = time.perf_counter()
    for first in range(0, len(copies), chunk):
        batch = copies[first : first + chunk]
        copiers = [Copier(copy, ids, roster, letters) for copy in batch]
        async with conn.transaction():
            for name in order:
                table = tables[name]
                records = [
                    row
                    for copier in copiers
                    for row in copy_rows(table, copier, cipher, spec.get(name, {}), today=today)
                ]
                if records:
                    await conn.copy_records_to_table(name, records=records, columns=table.columns)
                    written[name] += len(records)
        if progress:
            done = first + len(batch)
            rate = done / (time.perf_counter() - started)
            progress(f"{service}: {done}/{len(copies)} copies ({rate:.0f} copies/s)")
    await _after_copy(conn, tables)
    return written


def _insert_order(tables: dict[str, TableTemplate]) -> list[str]:
    """Parents before children (the foreign keys are checked row by row during COPY)."""
    first = ["law_firms", "lawyers", "cases", "case_transfers", "suspects", "notices"]
    return [t for t in first if t in tables] + sorted(t for t in tables if t not in first)


async def _after_copy(conn: asyncpg.Connection, tables: dict[str, TableTemplate]) -> None:
    for table in tables.values():
        if table.identity:
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{table.identity}'), "
                f'(SELECT max("{table.identity}") FROM "{table.name}"))'
            )
    # Letter numbers: the next one drawn is above every copy's.
    for counters, numbered, unit in (
        ("notice_counters", "notices", "issuing_unit"),
    ):  # fmt: skip
        if numbered in tables and "sequence" in tables[numbered].columns:
            await conn.execute(
                f"INSERT INTO {counters} ({unit}, year, last_sequence) "
                f"SELECT {unit}, year, max(sequence) FROM {numbered} GROUP BY {unit}, year "
                f"ON CONFLICT ({unit}, year) DO UPDATE SET last_sequence = "
                f"greatest({counters}.last_sequence, excluded.last_sequence)"
            )
    await conn.execute("ANALYZE")


# -- the whole of it


SERVICES = ("procuratorate", "aid_center", "notifier")


def copies_for(suspects: int, mix: dict[str, int] | None = None) -> int:
    per_copy = sum((mix or TEMPLATE_MIX).values())
    return max(1, -(-suspects // per_copy))


async def load_history(
    database_urls: dict[str, str],
    template_cases: list[uuid.UUID],
    suspects: int,
    *,
    mix: dict[str, int] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Copies the template cases' rows in every service until ``suspects`` suspects are held;
    ``database_urls``: libpq URLs by service."""
    cipher = local_cipher()
    copies = plan_copies(copies_for(suspects, mix))
    report: dict[str, Any] = {"suspects": len(copies) * sum((mix or TEMPLATE_MIX).values())}
    report["copies"] = len(copies)
    started = time.perf_counter()

    conn = await asyncpg.connect(database_urls["aid_center"])
    try:
        roster = await roster_ids(conn)
    finally:
        await conn.close()

    # The procuratorate's timeline holds every event of the cases, both sides': its ids seed
    # the others (an event the aid center or the notifier only marks in its inbox).
    seeds = set(template_cases)

    async def one(service: str) -> tuple[str, dict[str, int], float]:
        conn = await asyncpg.connect(database_urls[service])
        try:
            began = time.perf_counter()
            tables, ids = await read_templates(conn, seeds, cipher, service, roster)
            seeds.update(ids)
            if service == "procuratorate" and len(tables["cases"].rows) != len(template_cases):
                raise RuntimeError("the templates' rows reach other cases")
            rows = await write_copies(
                conn,
                service,
                tables,
                ids,
                copies,
                cipher,
                roster=roster,
                letters=(mix or TEMPLATE_MIX)["complete"],
                progress=progress,
            )
            return service, rows, time.perf_counter() - began
        finally:
            await conn.close()

    # One after another: the three share two cores; running them together only interleaves.
    for service in SERVICES:
        name, rows, seconds = await one(service)
        report[name] = {"seconds": round(seconds, 1), "rows": rows}
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


async def wait_deliveries_settled(notifier_url: str, timeout: float = 120.0) -> None:
    """Until the notifier has no delivery waiting to be sent (the templates' all went out)."""
    conn = await asyncpg.connect(notifier_url)
    try:
        deadline = time.monotonic() + timeout
        while await conn.fetchval("SELECT count(*) FROM deliveries WHERE status = 'pending'"):
            if time.monotonic() > deadline:
                raise TimeoutError("the notifier still has deliveries pending")
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


def libpq_url(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)
