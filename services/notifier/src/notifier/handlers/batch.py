"""The rows one consumer transaction works on: loaded together, changed in memory, written
together.

Applying an event used to cost 15–20 sequential statements (read the case, its suspects, its
contacts, its open clocks, the templates; write each row), so the notifier could not follow, let
alone rebuild, faster than the database answered one statement after another. A batch instead
reads every row the transaction's events touch in one statement per table, the handlers change these
rows in memory in event order — exactly as they would have changed the tables — and
:meth:`ProjectionBatch.flush` writes what changed in a few multi-row statements. Nothing else
writes these rows meanwhile: cases, suspects and contacts are the consumer's alone, the open
clocks are read ``FOR UPDATE`` (the deadline scanner sets their alert flags), and deliveries
are only inserted here.

The consumer's alone, but not always one member's: the group gives each member all the
partitions of its cases (defense_messaging.assignment), yet when a rebalance moves a partition
the member losing it may still be applying a batch while the one gaining it starts again from
the committed offset. The inbox makes the events both read apply once; the case locks
(:func:`lock_cases`) make the events only the new owner read wait for the old owner's commit
instead of reading the rows it is about to overwrite, so one case's transactions follow each
other.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from defense_schemas import BaseEvent, Envelope, decode_event
from defense_schemas.vocabulary import ClockKind, RecipientRole, ResponsibleParty
from notifier.db.personal import (
    open_contact,
    open_held,
    open_held_contacts,
    open_suspect,
    seal_contact,
    seal_held,
    seal_held_contacts,
    seal_suspect_name,
)
from notifier.db.tables import cases, clocks, contacts, held_deliveries, suspects, templates
from notifier.domain.clocks import ClockKey
from notifier.domain.deliveries import Contact
from service_runtime.security.fields import FieldCipher

Row = dict[str, Any]

CONTACT_ID_SEQUENCE = sa.func.pg_get_serial_sequence("contacts", "id")


def _among(column: sa.Column[Any], values: list[Any]) -> sa.ColumnElement[bool]:
    """``column = ANY(:values)``: one statement text whatever the number of values, so it is
    prepared once per connection (``IN`` renders one parameter per value, a new statement for
    every batch size)."""
    return column == sa.any_(sa.literal(values, ARRAY(column.type)))


CASE_LOCKS = 0x6E6F7469
"""The first key of the cases' transaction-scoped advisory locks (two 32-bit keys, a space the
single 64-bit keys of the service's other locks do not share)."""


def case_lock_key(case_id: UUID) -> int:
    """A case's second key: 32 of its id's random bits. Two cases that share one wait for each
    other, nothing worse."""
    return int.from_bytes(case_id.bytes[-4:], "big", signed=True)


async def lock_cases(session: AsyncSession, case_ids: Iterable[UUID]) -> None:
    """Hold the cases until the transaction ends, in ascending key order (every transaction
    takes them in the same order, so two never wait for each other)."""
    keys = sorted({case_lock_key(case_id) for case_id in case_ids})
    if not keys:
        return
    # unnest gives the keys in array order and the locks are taken row by row in that order.
    await session.execute(
        sa.text("SELECT pg_advisory_xact_lock(:space, key) FROM unnest(CAST(:keys AS int[])) key"),
        {"space": CASE_LOCKS, "keys": keys},
    )


@dataclass
class NewContact:
    """A contact learnt in this batch: its id (the associated data of its sealed fields) is
    taken from the sequence when it is written."""

    case_id: UUID
    contact: Contact
    source_event_id: UUID


@dataclass
class Held:
    """An event whose messages wait for a fact another topic brings (see
    handlers/deliveries.py: ``waiting_for``)."""

    envelope: Envelope
    event: BaseEvent
    waits_for: str
    kept: tuple[Contact, ...] | None = None
    """The contacts of its own topic's roles when it was held (domain/deliveries.py:
    ``kept_for_held``); None for an event held before they were kept."""


@dataclass
class ProjectionBatch:
    now: datetime | None = None
    """The unit of work's time (its clock), for what the batch stamps: a case row's
    ``updated_at``, a new delivery's first attempt. Set by :meth:`load`."""
    cipher: FieldCipher | None = None
    """The service's field cipher, which seals what :meth:`flush` writes. Set by :meth:`load`."""
    cases: dict[UUID, Row] = field(default_factory=dict)
    suspects: dict[UUID, dict[UUID, Row]] = field(default_factory=dict)
    """case → suspect → row."""
    contacts: dict[UUID, list[tuple[int | None, Contact]]] = field(default_factory=dict)
    """case → its contacts in id order; ``None`` ids are the batch's new ones."""
    open_clocks: dict[UUID, dict[ClockKey, Row]] = field(default_factory=dict)
    templates: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    """(event type, recipient role or ``*``) → (subject, body)."""
    held: dict[UUID, list[Held]] = field(default_factory=dict)
    """case → events whose messages wait, in arrival order."""
    opened: dict[UUID, dict[ClockKey, int]] = field(default_factory=dict)
    """case → how many clocks of each key it has had, stopped ones included (the next clock
    of a key is named by this count: notifier.domain.ids.clock_id)."""

    _dirty_cases: set[UUID] = field(default_factory=set)
    _dirty_suspects: set[tuple[UUID, UUID]] = field(default_factory=set)
    _new_contacts: list[NewContact] = field(default_factory=list)
    _forgotten_contacts: list[int] = field(default_factory=list)
    _new_clocks: dict[UUID, Row] = field(default_factory=dict)
    _changed_clocks: dict[UUID, Row] = field(default_factory=dict)
    _new_held: dict[UUID, Held] = field(default_factory=dict)
    _released_held: set[UUID] = field(default_factory=set)
    _backfills: list[tuple[UUID, UUID | None, str, str]] = field(default_factory=list)
    """(case, suspect or None, column, value) for stopped clocks, which the batch does not
    hold: a fact that arrived after the clock closed still describes it."""

    @classmethod
    async def load(
        cls, session: AsyncSession, case_ids: Iterable[UUID], *, cipher: FieldCipher, now: datetime
    ) -> ProjectionBatch:
        ids = sorted(set(case_ids))
        await lock_cases(session, ids)
        batch = cls(now=now, cipher=cipher)
        for row in (
            await session.execute(sa.select(cases).where(_among(cases.c.case_id, ids)))
        ).mappings():
            batch.cases[row["case_id"]] = dict(row)
        for row in (
            await session.execute(sa.select(suspects).where(_among(suspects.c.case_id, ids)))
        ).mappings():
            batch.suspects.setdefault(row["case_id"], {})[row["suspect_id"]] = open_suspect(
                cipher, row
            )
        for row in (
            await session.execute(
                sa.select(contacts).where(_among(contacts.c.case_id, ids)).order_by(contacts.c.id)
            )
        ).mappings():
            opened = open_contact(cipher, row)
            contact = Contact(
                RecipientRole(opened["role"]),
                opened["name"],
                opened["address"],
                opened["suspect_id"],
            )
            batch.contacts.setdefault(row["case_id"], []).append((row["id"], contact))
        for case_id, kind, suspect_id, subject, count in await session.execute(
            sa.select(
                clocks.c.case_id,
                clocks.c.kind,
                clocks.c.suspect_id,
                clocks.c.subject,
                sa.func.count(),
            )
            .where(_among(clocks.c.case_id, ids))
            .group_by(clocks.c.case_id, clocks.c.kind, clocks.c.suspect_id, clocks.c.subject)
        ):
            key = ClockKey(ClockKind(kind), suspect_id, subject)
            batch.opened.setdefault(case_id, {})[key] = count
        for row in (
            await session.execute(
                sa.select(clocks)
                .where(_among(clocks.c.case_id, ids), clocks.c.status == "open")
                .order_by(clocks.c.case_id, clocks.c.clock_id)  # one lock order for everyone
                .with_for_update()
            )
        ).mappings():
            key = ClockKey(ClockKind(row["kind"]), row["suspect_id"], row["subject"])
            batch.open_clocks.setdefault(row["case_id"], {})[key] = dict(row)
        for event_type, role, subject, body in await session.execute(
            sa.select(
                templates.c.event_type,
                templates.c.recipient_role,
                templates.c.subject,
                templates.c.body,
            )
        ):
            batch.templates[(event_type, role)] = (subject, body)
        for row in (
            await session.execute(
                sa.select(held_deliveries)
                .where(_among(held_deliveries.c.case_id, ids))
                .order_by(held_deliveries.c.case_id, held_deliveries.c.event_id)
                .with_for_update()
            )
        ).mappings():
            envelope, event = decode_event(open_held(cipher, row).encode())
            batch.held.setdefault(row["case_id"], []).append(
                Held(envelope, event, row["waits_for"], open_held_contacts(cipher, row))
            )
        for waiting in batch.held.values():
            waiting.sort(key=lambda held: held.envelope.occurred_at)
        return batch

    # --- cases and suspects -------------------------------------------------------------

    def case(self, case_id: UUID) -> Row:
        """The case's row, made (empty) by the first event that names it."""
        row = self.cases.get(case_id)
        if row is None:
            row = self.cases[case_id] = {
                "case_id": case_id,
                "transfer_number": None,
                "procuratorate_unit": None,
                "district": None,
                "review_deadline": None,
                "updated_at": self.now,
            }
            self._dirty_cases.add(case_id)
        return row

    def update_case(self, case_id: UUID, **values: object) -> None:
        self.case(case_id).update(values)
        self._dirty_cases.add(case_id)

    def suspects_of(self, case_id: UUID) -> dict[UUID, Row]:
        return self.suspects.get(case_id, {})

    def suspect(self, case_id: UUID, suspect_id: UUID) -> Row | None:
        return self.suspects.get(case_id, {}).get(suspect_id)

    def update_suspect(self, case_id: UUID, suspect_id: UUID, **values: object) -> None:
        of_case = self.suspects.setdefault(case_id, {})
        row = of_case.get(suspect_id)
        if row is None:
            row = of_case[suspect_id] = {
                "case_id": case_id,
                "suspect_id": suspect_id,
                "name": None,
                "in_scope": None,
                "decided_no_counsel": False,
                "notice_sent": False,
                "has_defender": False,
                "lawyer_assigned": False,
                "aid_center": None,
                "lawyer_firm": None,
                "lawyer_assigned_at": None,
                "notice_sent_at": None,
                "letter_reopened_at": None,
                "aid_terminated": False,
                "legal_aid_law_ground": False,
                "application_decided_at": None,
            }
        row.update(values)
        self._dirty_suspects.add((case_id, suspect_id))

    # --- contacts -----------------------------------------------------------------------

    def contacts_of(self, case_id: UUID) -> list[Contact]:
        return [contact for _, contact in self.contacts.get(case_id, [])]

    def add_contact(self, case_id: UUID, contact: Contact, source_event_id: UUID) -> None:
        self.contacts.setdefault(case_id, []).append((None, contact))
        self._new_contacts.append(NewContact(case_id, contact, source_event_id))

    def forget_contacts(self, case_id: UUID, role: RecipientRole, suspect_id: UUID | None) -> None:
        """Drop the case's contacts of ``role`` for ``suspect_id`` (``None``: case-wide ones)."""
        kept: list[tuple[int | None, Contact]] = []
        for contact_id, contact in self.contacts.get(case_id, []):
            if contact.role is role and contact.suspect_id == suspect_id:
                if contact_id is not None:
                    self._forgotten_contacts.append(contact_id)
                else:
                    self._new_contacts = [
                        new for new in self._new_contacts if new.contact is not contact
                    ]
            else:
                kept.append((contact_id, contact))
        self.contacts[case_id] = kept

    # --- clocks -------------------------------------------------------------------------

    def open_clock(self, case_id: UUID, key: ClockKey) -> Row | None:
        return self.open_clocks.get(case_id, {}).get(key)

    def clocks_opened(self, case_id: UUID, key: ClockKey) -> int:
        """How many clocks of ``key`` the case has had so far."""
        return self.opened.get(case_id, {}).get(key, 0)

    def start_clock(self, case_id: UUID, key: ClockKey, row: Row) -> None:
        self.open_clocks.setdefault(case_id, {})[key] = row
        opened = self.opened.setdefault(case_id, {})
        opened[key] = opened.get(key, 0) + 1
        self._new_clocks[row["clock_id"]] = row

    def change_clock(self, case_id: UUID, key: ClockKey, **values: object) -> None:
        row = self.open_clocks[case_id][key]
        row.update(values)
        if row["status"] != "open":
            del self.open_clocks[case_id][key]
        if row["clock_id"] not in self._new_clocks:
            self._changed_clocks[row["clock_id"]] = row

    def backfill_clocks(
        self, case_id: UUID, suspect_id: UUID | None, column: str, value: str | None
    ) -> None:
        """A description a clock lacked because the fact behind it arrived later (the case's
        district, the center a letter went to): fill it in on the case's clocks (the suspect's,
        for a suspect's fact) that have none, open or stopped."""
        if value is None:
            return
        responsible = ResponsibleParty.AID_CENTER.value if column == "agency" else None
        known = {row["clock_id"]: row for row in self.open_clocks.get(case_id, {}).values()}
        for row in (*self._new_clocks.values(), *self._changed_clocks.values()):
            if row["case_id"] == case_id:
                known[row["clock_id"]] = row
        for row in known.values():
            if suspect_id is not None and row["suspect_id"] != suspect_id:
                continue
            if responsible is not None and row["responsible"] != responsible:
                continue
            if row[column] is None:
                row[column] = value
                if row["clock_id"] not in self._new_clocks:
                    self._changed_clocks[row["clock_id"]] = row
        self._backfills.append((case_id, suspect_id, column, value))

    def clocks_written(self) -> list[Row]:
        """Every clock row the batch started or changed, as it will be written."""
        return [*self._new_clocks.values(), *self._changed_clocks.values()]

    # --- held messages ------------------------------------------------------------------

    def hold(self, held: Held) -> None:
        self.held.setdefault(held.envelope.case_id, []).append(held)
        self._new_held[held.envelope.event_id] = held

    def release(self, case_id: UUID, held: Held) -> None:
        self.held[case_id].remove(held)
        if self._new_held.pop(held.envelope.event_id, None) is None:
            self._released_held.add(held.envelope.event_id)

    # --- writing ------------------------------------------------------------------------

    def _cipher(self) -> FieldCipher:
        if self.cipher is None:
            raise RuntimeError("a batch that writes sealed rows is made by ProjectionBatch.load")
        return self.cipher

    async def flush(self, session: AsyncSession) -> None:
        """Write every row the batch changed."""
        if self._dirty_cases:
            await _upsert(
                session, cases, ["case_id"], [self.cases[c] for c in sorted(self._dirty_cases)]
            )
        if self._dirty_suspects:
            cipher = self._cipher()
            rows = [
                {**row, "name": seal_suspect_name(cipher, row["suspect_id"], row["name"])}
                for row in (self.suspects[c][s] for c, s in sorted(self._dirty_suspects))
            ]
            await _upsert(session, suspects, ["case_id", "suspect_id"], rows)
        if self._forgotten_contacts:
            await session.execute(
                sa.delete(contacts).where(contacts.c.id.in_(self._forgotten_contacts))
            )
        if self._new_contacts:
            await self._insert_contacts(session)
        # The clocks the batch stopped first: a clock it opened may take the key of one it
        # stopped, and only one clock of a key may be open (uq_open_clock).
        if self._changed_clocks:
            await session.execute(
                sa.update(clocks).where(clocks.c.clock_id == sa.bindparam("changed_clock_id")),
                [
                    {
                        **{k: v for k, v in row.items() if k != "clock_id"},
                        "changed_clock_id": clock_id,
                    }
                    for clock_id, row in self._changed_clocks.items()
                ],
            )
        if self._new_clocks:
            await session.execute(sa.insert(clocks), list(self._new_clocks.values()))
        # In order (the first fact fills a column, later ones find it filled), each run of
        # one form in one executemany.
        for (column, of_suspect), run in itertools.groupby(
            self._backfills, key=lambda backfill: (backfill[2], backfill[1] is not None)
        ):
            await session.execute(
                _backfill_statement(column, of_suspect),
                [
                    {"backfill_case": case_id, "backfill_suspect": suspect_id, "value": value}
                    for case_id, suspect_id, _, value in run
                ],
            )
        if self._released_held:
            await session.execute(
                sa.delete(held_deliveries).where(
                    held_deliveries.c.event_id.in_(sorted(self._released_held))
                )
            )
        if self._new_held:
            cipher = self._cipher()
            await session.execute(
                sa.insert(held_deliveries),
                [
                    {
                        "event_id": event_id,
                        "case_id": held.envelope.case_id,
                        "waits_for": held.waits_for,
                        "envelope": seal_held(cipher, event_id, held.envelope.to_bytes().decode()),
                        "kept_contacts": seal_held_contacts(cipher, event_id, held.kept),
                    }
                    for event_id, held in self._new_held.items()
                ],
            )

    async def _insert_contacts(self, session: AsyncSession) -> None:
        # The ids come first: each is the associated data its row's fields are sealed with.
        ids = (
            await session.scalars(
                sa.select(sa.func.nextval(CONTACT_ID_SEQUENCE)).select_from(
                    sa.func.generate_series(1, len(self._new_contacts))
                )
            )
        ).all()
        cipher = self._cipher()
        rows = []
        for contact_id, new in zip(sorted(ids), self._new_contacts, strict=True):
            personal = seal_contact(
                cipher, contact_id, {"name": new.contact.name, "address": new.contact.address}
            )
            rows.append(
                {
                    "id": contact_id,
                    "case_id": new.case_id,
                    "suspect_id": new.contact.suspect_id,
                    "role": new.contact.role.value,
                    "source_event_id": new.source_event_id,
                    **personal,
                }
            )
        await session.execute(sa.insert(contacts), rows)


@functools.cache
def _backfill_statement(column: str, of_suspect: bool) -> sa.Update:
    """Fill ``column`` on a case's clocks (a suspect's, ``of_suspect``) that lack it; the
    center a letter went to describes only the center's clocks."""
    statement = sa.update(clocks).where(
        clocks.c.case_id == sa.bindparam("backfill_case"), clocks.c[column].is_(None)
    )
    if of_suspect:
        statement = statement.where(clocks.c.suspect_id == sa.bindparam("backfill_suspect"))
    if column == "agency":
        statement = statement.where(clocks.c.responsible == ResponsibleParty.AID_CENTER.value)
    return statement.values({column: sa.bindparam("value")})


async def _upsert(
    session: AsyncSession, table: sa.Table, keys: list[str], rows: Sequence[Row]
) -> None:
    statement = pg_insert(table)
    columns = [column.name for column in table.columns if column.name not in keys]
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=keys, set_={name: statement.excluded[name] for name in columns}
        ),
        list(rows),
    )
