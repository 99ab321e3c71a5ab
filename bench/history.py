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
   Each template row is compiled once (``_Compiler``): what a copy changes in it is a list of
   columns per kind (UUIDs by index, dates, identity, letter number), every text that names
   a UUID, a number or the district becomes a ``str.format_map`` pattern, and every sealed
   document becomes a pattern of the write path's own ``seal`` output with a slot per sealed
   value; a copy then maps its UUIDs once, fills the patterns and encrypts each slot for its
   new record. Equal, row for row and after opening every sealed value, to mapping each
   value of each row (the way of the previous version).
4. **COPY** into the tables (asyncpg's binary COPY) from ``workers`` processes (one per core),
   each taking chunks of whole lawyer groups of one service in a transaction of its own;
   where the role may, without the row-by-row foreign key checks and triggers
   (``session_replication_role = replica``: the references hold by construction), and
   without waiting for the WAL flush at commit. Then identity sequences moved past the
   copies, counters (letter numbers) moved to the highest number used, every statistics
   month of the procuratorate marked stale (what its triggers would have done), ``ANALYZE``.
   The report gives the CPU milliseconds per copy of the copying processes and of their
   database backends: on a shared machine, the measure that does not depend on the load.

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
import multiprocessing
import os
import random
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
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
    "statistics_months",  # counted again on the first read (the copies make them stale)
    "statistics_stale",
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

    deliveries: dict[str, Field | Document] = {
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


async def _tables_of(conn: asyncpg.Connection) -> set[str]:
    rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {row["tablename"] for row in rows}


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


# Every value a copy changes inside a text: a UUID, a transfer or document number, the district.
_SLOT = re.compile(
    r"(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"|(?P<number>(〔\d{4}〕)([0-9a-z]+)(号))"
    rf"|(?P<home>{HOME})"
)
_NUMBER = re.compile(r"(〔\d{4}〕)([0-9a-z]+)(号)")

# The version and variant bits of a UUID: a mask leaves them as they were.
_KEEP = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)

# How a template UUID maps in a copy: unchanged, the copy's mask, the lawyer group's mask.
_SAME, _OF_COPY, _OF_ROSTER = 0, 1, 2


def _mask(label: str) -> int:
    """A copy's UUID map: XOR with a mask drawn from its label, one to one within the copy
    (uuid5 per value cost half the copying time)."""
    return uuid.uuid5(uuid.NAMESPACE_OID, label).int & _KEEP


ROSTER_UNIQUE = {"law_firms": ("name", "contact"), "lawyers": ("license_number", "name")}


@dataclass
class RowPlan:
    """One template row, compiled: what stays (``base``) and, per column a copy changes, how.
    Texts are ``str.format_map`` patterns over the copy's substitutions (``{u<n>}`` a UUID,
    ``{n<n>}`` a number, ``{d}`` the district, ``{g}`` the lawyer group, ``{s<n>}`` a value
    sealed for the row), so a copy is a few dictionary look-ups per text, not a regex."""

    base: list[Any]
    uuids: list[tuple[int, int]] = field(default_factory=list)  # column, UUID index
    shifted: list[tuple[int, Any]] = field(default_factory=list)  # column, date or time
    texts: list[tuple[int, str]] = field(default_factory=list)  # column, pattern
    identity: tuple[int, int] | None = None  # column, template value
    sequence: tuple[int, int] | None = None  # column, template letter number
    # column, pattern of the plaintext, field name, id column
    fields: list[tuple[int, str, str, int]] = field(default_factory=list)
    # column, pattern of the sealed document, [(slot, pattern of a plaintext, field)], id column
    documents: list[tuple[int, str, list[tuple[str, str, str]], int]] = field(default_factory=list)


@dataclass
class TablePlan:
    name: str
    columns: list[str]
    rows: list[RowPlan]
    stride: int
    roster: bool  # copied once per lawyer group
    alerts: tuple[int, ...] | None  # the notifier's clocks: status, due_on, approaching, breached


@dataclass
class ServicePlan:
    """A service's templates compiled once; every copy is then made from it."""

    service: str
    url: str
    tables: list[TablePlan]  # parents first
    uuid_ints: list[int]
    uuid_kinds: list[int]
    uuid_values: list[uuid.UUID]
    text_uuids: list[tuple[str, int]]  # substitution key, UUID index
    numbers: list[tuple[str, str, str, str]]  # key, 〔year〕, number, 号
    letters: int


class _Recorder:
    """Stands in for the cipher while a template document is sealed once: each value the write
    path would seal becomes a slot, so the document's shape (which keys are sealed, under which
    field names, the list of sealed keys) is the write path's own ``seal``'s."""

    def __init__(self) -> None:
        self.slots: list[tuple[str, str, str]] = []

    def encrypt(self, plaintext: str, *, field: str, record_id: object) -> str:
        token = f"@@sealed{len(self.slots)}@@"
        self.slots.append((token, plaintext, field))
        return token


class _Compiler:
    def __init__(self, ids: set[uuid.UUID], roster: set[uuid.UUID]) -> None:
        self.ids = ids
        self.roster = roster
        self.uuid_index: dict[uuid.UUID, int] = {}
        self.text_keys: dict[int, str] = {}
        self.number_keys: dict[tuple[str, str, str], str] = {}

    def uuid(self, value: uuid.UUID) -> int:
        index = self.uuid_index.get(value)
        if index is None:
            index = self.uuid_index[value] = len(self.uuid_index)
        return index

    def text(self, value: str) -> str:
        """``value`` as a pattern (braces doubled, every slot a key)."""
        out: list[str] = []
        at = 0
        for match in _SLOT.finditer(value):
            out.append(_escape(value[at : match.start()]))
            at = match.end()
            if match["uuid"]:
                index = self.uuid(uuid.UUID(match["uuid"]))
                key = self.text_keys.setdefault(index, f"u{index}")
            elif match["number"]:
                parts = _NUMBER.fullmatch(match["number"])
                assert parts is not None
                groups = (parts[1], parts[2], parts[3])
                key = self.number_keys.setdefault(groups, f"n{len(self.number_keys)}")
            else:
                key = "d"
            out.append("{" + key + "}")
        out.append(_escape(value[at:]))
        return "".join(out)

    def document(self, plain: str, how: Document) -> tuple[str, list[tuple[str, str, str]]]:
        recorder = _Recorder()
        skeleton = seal(recorder, json.loads(plain), how.keys, record=how.record, record_id=None)  # type: ignore[arg-type]
        pattern = self.text(json.dumps(skeleton, ensure_ascii=False))
        slots = []
        for n, (token, plaintext, name) in enumerate(recorder.slots):
            key = f"s{n}"
            pattern = pattern.replace(f'"{token}"', '"{' + key + '}"')
            slots.append((key, self.text(plaintext), name))
        return pattern, slots

    def plan(
        self, service: str, url: str, tables: dict[str, TableTemplate], letters: int
    ) -> ServicePlan:
        spec = _sealing().get(service, {})
        plans = [self._table(tables[name], spec.get(name, {})) for name in _insert_order(tables)]
        values = list(self.uuid_index)
        kinds = [
            _OF_ROSTER if v in self.roster else _OF_COPY if v in self.ids else _SAME for v in values
        ]
        return ServicePlan(
            service=service,
            url=url,
            tables=plans,
            uuid_ints=[v.int for v in values],
            uuid_kinds=kinds,
            uuid_values=values,
            text_uuids=[(key, index) for index, key in self.text_keys.items()],
            numbers=[(key, *groups) for groups, key in self.number_keys.items()],
            letters=max(letters, 1),
        )

    def _table(self, table: TableTemplate, spec: dict[str, Field | Document]) -> TablePlan:
        columns = table.columns
        unique = {columns.index(n) for n in ROSTER_UNIQUE.get(table.name, ()) if n in columns}
        identity = columns.index(table.identity) if table.identity else None
        sequence = (
            columns.index("sequence") if table.name == "notices" and "sequence" in columns else None
        )
        sealed = {columns.index(name): how for name, how in spec.items()}
        alerts = None
        if table.name == "clocks" and "breached_at" in columns:
            alerts = tuple(
                columns.index(c) for c in ("status", "due_on", "approaching_sent_at", "breached_at")
            )
        rows = []
        for r, row in enumerate(table.rows):
            plan = RowPlan(base=list(row))
            for c, value in enumerate(row):
                how = sealed.get(c)
                if how is not None:
                    plain = table.plain.get((r, columns[c]))
                    if plain is None:
                        continue
                    id_column = columns.index(how.id_column)
                    if isinstance(how, Field):
                        plan.fields.append((c, self.text(plain), how.name, id_column))
                    else:
                        pattern, slots = self.document(plain, how)
                        plan.documents.append((c, pattern, slots, id_column))
                elif c == identity:
                    plan.identity = (c, value)
                elif c == sequence:
                    plan.sequence = (c, value)
                elif value is None:
                    continue
                elif c in unique:
                    plan.texts.append((c, self.text(value) + "·{g}"))
                elif isinstance(value, uuid.UUID):
                    plan.uuids.append((c, self.uuid(value)))
                elif isinstance(value, datetime | date):
                    plan.shifted.append((c, value))
                elif isinstance(value, str):
                    pattern = self.text(value)
                    if pattern != _escape(value):
                        plan.texts.append((c, pattern))
            rows.append(plan)
        return TablePlan(
            name=table.name,
            columns=columns,
            rows=rows,
            stride=table.stride,
            roster=table.name in ROSTER,
            alerts=alerts,
        )


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def sequence_of(copy: Copy, number: int, letters: int) -> int:
    return SEQUENCE_BASE + copy.index * letters + number % letters


def _substitutions(plan: ServicePlan, copy: Copy) -> tuple[list[uuid.UUID], dict[str, str]]:
    """The copy's UUIDs (by template index) and the values its text patterns take."""
    own, group = _mask(f"bench-history-{copy.index}"), _mask(f"bench-roster-{copy.lawyer_group}")
    masks = (0, own, group)
    mapped = [
        uuid.UUID(int=value ^ masks[kind]) if kind else same
        for value, kind, same in zip(plan.uuid_ints, plan.uuid_kinds, plan.uuid_values, strict=True)
    ]
    subs = {"d": copy.district, "g": str(copy.lawyer_group)}
    for key, index in plan.text_uuids:
        subs[key] = str(mapped[index])
    for key, year, number, end in plan.numbers:
        # A letter's or reply's sequence moves with ``notices.sequence``; a transfer number
        # (free text) gets the copy's mark.
        if number.isdigit():
            subs[key] = f"{year}{sequence_of(copy, int(number), plan.letters)}{end}"
        else:
            subs[key] = f"{year}{number}c{copy.index}{end}"
    return mapped, subs


def copy_rows(
    plan: ServicePlan,
    table: TablePlan,
    copy: Copy,
    cipher: FieldCipher,
    today: date,
    substitutions: tuple[list[uuid.UUID], dict[str, str]] | None = None,
) -> Iterator[tuple[Any, ...]]:
    """``table``'s rows in ``copy``; ``substitutions``: ``_substitutions(plan, copy)``, made
    once per copy for all its tables."""
    if table.roster and (copy.index - 1) % COPIES_PER_LAWYER_GROUP != 0:
        return  # the group's first copy brought its roster
    mapped, subs = substitutions or _substitutions(plan, copy)
    shift = timedelta(days=copy.days_back)
    encrypt = cipher.encrypt
    for row in table.rows:
        out = list(row.base)
        for c, index in row.uuids:
            out[c] = mapped[index]
        for c, value in row.shifted:
            out[c] = value - shift
        for c, pattern in row.texts:
            out[c] = pattern.format_map(subs)
        if row.identity is not None:
            c, value = row.identity
            out[c] = value + copy.index * table.stride
        if row.sequence is not None:
            c, value = row.sequence
            out[c] = sequence_of(copy, value, plan.letters)
        for c, pattern, name, id_column in row.fields:
            out[c] = encrypt(pattern.format_map(subs), field=name, record_id=out[id_column])
        for c, pattern, slots, id_column in row.documents:
            record_id = out[id_column]
            for key, plain, name in slots:
                subs[key] = encrypt(plain.format_map(subs), field=name, record_id=record_id)
            out[c] = pattern.format_map(subs)
        if table.alerts is not None:
            _alerts_sent(table.alerts, out, today)
        yield tuple(out)


def _alerts_sent(at: tuple[int, ...], row: list[Any], today: date) -> None:
    """What the notifier's deadline watch would have set on a clock open past its due day."""
    status, due_on, approaching, breached = at
    if row[status] != "open" or row[due_on] >= today:
        return
    due = datetime.combine(row[due_on], datetime.min.time(), tzinfo=UTC)
    row[approaching] = due - timedelta(days=1)
    row[breached] = due + timedelta(days=1)


def compile_service(
    service: str,
    url: str,
    tables: dict[str, TableTemplate],
    ids: set[uuid.UUID],
    roster: set[uuid.UUID],
    letters: int,
) -> ServicePlan:
    return _Compiler(ids, roster).plan(service, url, tables, letters)


# -- the copying processes: each takes a chunk of copies of one service, makes its rows and
# COPYs them in one transaction. Chunks hold whole lawyer groups (a group's roster rows come
# with its first copy, and its assignments name them).

_PLANS: dict[str, ServicePlan] = {}


def _worker_start(plans: dict[str, ServicePlan]) -> None:
    _PLANS.update(plans)


def _copy_chunk(service: str, copies: list[Copy]) -> dict[str, int]:
    return asyncio.run(_write_chunk(_PLANS[service], copies))


async def _write_chunk(plan: ServicePlan, copies: list[Copy]) -> dict[str, int]:
    cipher = local_cipher()
    today = datetime.now(UTC).date()
    written: dict[str, int] = {}
    began = time.process_time()
    made = [(copy, _substitutions(plan, copy)) for copy in copies]
    conn = await asyncpg.connect(plan.url)
    try:
        await _bulk_session(conn)
        backend = await conn.fetchval("SELECT pg_backend_pid()")
        async with conn.transaction():
            for table in plan.tables:
                records = [
                    row
                    for copy, substitutions in made
                    for row in copy_rows(plan, table, copy, cipher, today, substitutions)
                ]
                if records:
                    await conn.copy_records_to_table(
                        table.name, records=records, columns=table.columns
                    )
                written[table.name] = len(records)
        # CPU seconds, as counts (the machine is shared: CPU time per copy is the measure).
        written[":cpu_ms_copying"] = round((time.process_time() - began) * 1000)
        written[":cpu_ms_database"] = _cpu_ms(backend)
    finally:
        await conn.close()
    return written


def _cpu_ms(pid: int) -> int:
    """utime + stime of a local process (a PostgreSQL backend on this machine), 0 if unknown."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return round((int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK"))


async def _bulk_session(conn: asyncpg.Connection) -> bool:
    """Without the row-by-row checks of the foreign keys (and without the tables' triggers)
    where the role may (a superuser's ``session_replication_role``): the copies' references
    hold by construction (every id of a copy maps with the copy's mask), and the checks were
    most of the database's time; what the triggers do is done once at the end
    (``_after_copy``). Commits do not wait for the WAL flush either (a crash loses a chunk,
    not its consistency)."""
    await conn.execute("SET synchronous_commit = off")
    try:
        await conn.execute("SET session_replication_role = replica")
    except asyncpg.InsufficientPrivilegeError:
        return False
    return True


async def write_copies(
    plans: list[ServicePlan],
    copies: list[Copy],
    *,
    workers: int,
    chunk: int = 5 * COPIES_PER_LAWYER_GROUP,
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """COPY every service's rows for ``copies`` from ``workers`` processes; returns the rows
    written per service and table, and the CPU milliseconds the copying processes and their
    database backends spent."""
    if chunk % COPIES_PER_LAWYER_GROUP:
        raise ValueError("a chunk holds whole lawyer groups")
    written: dict[str, dict[str, int]] = {plan.service: {} for plan in plans}
    cpu = {"cpu_ms_copying": 0, "cpu_ms_database": 0}
    chunks = [copies[first : first + chunk] for first in range(0, len(copies), chunk)]
    loop = asyncio.get_running_loop()
    started = last = time.perf_counter()
    context = multiprocessing.get_context("spawn")  # no copy of the caller's event loop
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_worker_start,
        initargs=({plan.service: plan for plan in plans},),
    ) as pool:  # fmt: skip

        async def one(service: str, part: list[Copy]) -> tuple[str, dict[str, int]]:
            return service, await loop.run_in_executor(pool, _copy_chunk, service, part)

        tasks = [one(plan.service, part) for part in chunks for plan in plans]
        for done, finished in enumerate(asyncio.as_completed(tasks), start=1):
            service, rows = await finished
            for table, n in rows.items():
                if table.startswith(":"):
                    cpu[table[1:]] += n
                else:
                    written[service][table] = written[service].get(table, 0) + n
            now = time.perf_counter()
            if progress and (now - last > 10 or done == len(tasks)):
                last = now
                rate = done / len(tasks) * len(copies) / (now - started)
                progress(f"history: {done}/{len(tasks)} chunks written ({rate:.0f} copies/s)")
    return written, cpu


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
    if "statistics_stale" in await _tables_of(conn):
        # What the triggers would have appended, had they run: every month counted again.
        await conn.execute(
            "INSERT INTO statistics_stale (procuratorate_unit, district, month) "
            "SELECT DISTINCT procuratorate_unit, district, "
            "date_trunc('month', timezone('Asia/Shanghai', received_at))::date FROM cases"
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
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Copies the template cases' rows in every service until ``suspects`` suspects are held;
    ``database_urls``: libpq URLs by service; ``workers``: copying processes (one per core)."""
    cipher = local_cipher()
    copies = plan_copies(copies_for(suspects, mix))
    report: dict[str, Any] = {"suspects": len(copies) * sum((mix or TEMPLATE_MIX).values())}
    report["copies"] = len(copies)
    workers = workers or os.cpu_count() or 2
    report["workers"] = workers
    started = time.perf_counter()

    conn = await asyncpg.connect(database_urls["aid_center"])
    try:
        roster = await roster_ids(conn)
    finally:
        await conn.close()

    # The procuratorate's timeline holds every event of the cases, both sides': its ids seed
    # the others (an event the aid center or the notifier only marks in its inbox).
    seeds = set(template_cases)
    plans: list[ServicePlan] = []
    templates: dict[str, dict[str, TableTemplate]] = {}
    for service in SERVICES:
        conn = await asyncpg.connect(database_urls[service])
        try:
            tables, ids = await read_templates(conn, seeds, cipher, service, roster)
        finally:
            await conn.close()
        seeds.update(ids)
        if service == "procuratorate" and len(tables["cases"].rows) != len(template_cases):
            raise RuntimeError("the templates' rows reach other cases")
        letters = (mix or TEMPLATE_MIX)["complete"]
        plans.append(compile_service(service, database_urls[service], tables, ids, roster, letters))
        templates[service] = tables
    report["compile_seconds"] = round(time.perf_counter() - started, 2)

    written, cpu = await write_copies(plans, copies, workers=workers, progress=progress)
    report["cpu_ms_per_copy"] = {
        "copying": round(cpu["cpu_ms_copying"] / len(copies), 1),
        "database": round(cpu["cpu_ms_database"] / len(copies), 1),
    }
    report["copy_seconds"] = round(time.perf_counter() - started - report["compile_seconds"], 1)
    for service in SERVICES:
        conn = await asyncpg.connect(database_urls[service])
        try:
            await _after_copy(conn, templates[service])
        finally:
            await conn.close()
        report[service] = {"rows": written[service]}
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
