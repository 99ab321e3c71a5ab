"""The unit of work: everything one use case needs, inside one database transaction.

A use case is a plain function of ``(uow, command)``. The unit of work carries, as explicit
attributes, what the use case used to find next to the session or hidden in it:

- ``session``: the transaction. Opened per request (:func:`service_runtime.deps.get_unit_of_work`,
  committed before the response leaves, rolled back on an error) and per consumer transaction
  (:class:`HandlersInUnitOfWork`: the consumer's own transaction, the one that writes the inbox
  rows, so an event's effect and its inbox row still commit together);
- ``publish``: the outbox. An event is written to the ``outbox`` table in this same transaction,
  so it is published if and only if the state change commits (unlike a bus that publishes after
  the commit and can lose the event in between);
- ``settings`` (the service's own settings class), ``calendar`` (the legal calendar),
  ``clock`` (a callable giving the time now: the runtime's reads the wall clock, a test injects a
  fixed one; use cases and handlers never call ``datetime.now`` themselves), ``cipher`` (the
  service's field cipher for personal data), ``audit`` (the hash-chained audit log).

A service that needs more (a locked row handed over by an access check, repositories of its
aggregates) subclasses :class:`UnitOfWork` and names the subclass in its
``ServiceDefinition.unit_of_work``; routes and handlers then get that subclass.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar, cast, runtime_checkable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.util.concurrency import await_

from defense_messaging import Applied, EventPublisher
from defense_messaging.log_context import bound, envelope_ids
from defense_schemas import BaseEvent, Envelope
from legal_calendar import LegalCalendar
from service_runtime.security.audit import Actor, AuditEntry, append_audit_many
from service_runtime.security.fields import FieldCipher
from service_runtime.security.principal import Principal
from service_runtime.settings import ServiceSettings

if TYPE_CHECKING:
    from service_runtime.app import Runtime

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def utc_now() -> datetime:
    """The runtime's clock: the wall clock, in UTC."""
    return datetime.now(UTC)


class AuditTrail:
    """Appends audit entries to the hash-chained log in the unit of work's transaction, so an
    entry commits or rolls back with the write it records.

    ``deferred``: entries are queued and :meth:`flush` appends them together. The consumer's
    units of work defer, because appending takes the chain's advisory lock until the commit and
    REST requests' entries wait for it: taken once, as late as possible, per batch."""

    def __init__(
        self,
        session: AsyncSession,
        table: sa.Table,
        *,
        service: str,
        key: bytes,
        actor: Actor,
        clock: Clock,
        deferred: bool = False,
    ) -> None:
        self._session = session
        self._table = table
        self._service = service
        self._key = key
        self._actor = actor
        self._clock = clock
        self._deferred = deferred
        self._pending: list[tuple[Actor | Principal, AuditEntry]] = []

    async def record(self, entry: AuditEntry, *, actor: Actor | Principal | None = None) -> None:
        """Append ``entry``; ``actor`` defaults to this service's system actor (its consumer
        group), the actor of whatever a consumed event writes."""
        self._pending.append((actor or self._actor, entry))
        if not self._deferred:
            await self.flush()

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        await append_audit_many(
            self._session,
            self._table,
            pending,
            service=self._service,
            key=self._key,
            now=self._clock(),
        )


_AFTER_COMMIT = "defense_after_commit"


def on_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Queue ``callback`` to run when ``session``'s transaction commits; dropped on rollback."""
    queued: list[Callable[[], None]] | None = session.info.get(_AFTER_COMMIT)
    if queued is None:
        queued = session.info[_AFTER_COMMIT] = []
        sync = session.sync_session

        def committed(_: Any) -> None:
            callbacks, queued[:] = list(queued), []
            for run in callbacks:
                try:
                    run()
                except Exception:  # the commit happened; a metric's failure must not undo it
                    log.exception("an after-commit callback failed")

        def rolled_back(_: Any) -> None:
            queued.clear()

        sa.event.listen(sync, "after_commit", committed)
        sa.event.listen(sync, "after_rollback", rolled_back)
    queued.append(callback)


class UnitOfWork(Generic[SettingsT]):
    """One transaction of a service and what its use cases need (see the module docstring).

    Build one with :meth:`Runtime.unit_of_work` (a new transaction) or :meth:`joining` (a
    transaction already open, e.g. the consumer's)."""

    def __init__(
        self, runtime: Runtime, session: AsyncSession, *, deferred_audit: bool = False
    ) -> None:
        self.session = session
        self._outgoing: list[Envelope] = []
        self._pending: dict[sa.Insert, list[dict[str, Any]]] = {}
        sa.event.listen(session.sync_session, "before_commit", self._flush_before_commit)
        self.settings = cast(SettingsT, runtime.settings)
        self.calendar: LegalCalendar = runtime.calendar
        self.clock: Clock = runtime.clock
        self.cipher: FieldCipher = runtime.cipher
        self.publisher: EventPublisher = runtime.publisher
        self.service = runtime.definition.name
        self.audit = AuditTrail(
            session,
            runtime.definition.tables.audit_log,
            service=runtime.definition.name,
            key=runtime.settings.audit_key.get_secret_value().encode(),
            actor=Actor.system(runtime.settings.consumer_group or runtime.definition.name),
            clock=runtime.clock,
            deferred=deferred_audit,
        )

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` (no I/O: a metric, say) once this transaction has committed; never
        when it rolls back (a batch that falls back to one event at a time rolls back first,
        and its events' callbacks come again from the transactions that do commit)."""
        on_commit(self.session, callback)

    @classmethod
    def joining(
        cls, runtime: Runtime, session: AsyncSession, *, deferred_audit: bool = False
    ) -> Self:
        """A unit of work in ``session``'s open transaction; its owner commits it."""
        return cls(runtime, session, deferred_audit=deferred_audit)

    async def publish(
        self, event: BaseEvent, *, case_id: Any, caused_by: Envelope | None = None
    ) -> Envelope:
        """Queue ``event`` for the outbox of this transaction (written at :meth:`flush`, at the
        latest just before the commit); it inherits ``caused_by``'s correlation. Returns its
        envelope (the cause of what follows from it)."""
        envelope = self.publisher.envelope(event, case_id=case_id, caused_by=caused_by)
        self._outgoing.append(envelope)
        return envelope

    def insert_later(self, statement: sa.Insert, row: dict[str, Any]) -> None:
        """Queue ``row`` for ``statement`` (one insert, built once by the caller): the rows of
        one statement are written together at :meth:`flush`, in the order queued."""
        self._pending.setdefault(statement, []).append(row)

    async def flush(self) -> None:
        """Write what was queued: the outbox entries in one statement (with the relay's
        notification), then each queued statement with all its rows in one executemany.

        A request or a consumer transaction emits several events and timeline rows; written
        one by one they cost a round trip each under the case's lock. Queued, they cost one per
        table. The commit always flushes (``before_commit``), so a queued write commits with
        the transaction or not at all, like one written at once."""
        outgoing, self._outgoing = self._outgoing, []
        if outgoing:
            await self.publisher.publish_many(self.session, outgoing)
        for statement in list(self._pending):
            await self.flush_rows(statement)

    async def flush_rows(self, statement: sa.Insert) -> None:
        """Write the rows queued for ``statement`` now: a read of its table that must see them
        calls this first (the procuratorate's repository does before reading its timeline).
        The outbox is never read back, so it waits for the commit."""
        rows = self._pending.pop(statement, None)
        if rows:
            await self.session.execute(statement, rows)

    def _flush_before_commit(self, _session: Any) -> None:
        # Runs inside the commit's greenlet, where awaiting the async session is allowed.
        if self._outgoing or self._pending:
            await_(self.flush())

    def now(self) -> datetime:
        """The injected clock's time: the one source of "now" for use cases and handlers."""
        return self.clock()


@contextlib.asynccontextmanager
async def open_unit_of_work(runtime: Runtime) -> AsyncIterator[Any]:
    """A new transaction as the service's unit of work: committed when the block ends, rolled
    back when it raises."""
    async with runtime.sessions() as session, session.begin():
        yield runtime.definition.unit_of_work(runtime, session)


UnitOfWorkHandler = Callable[[Any, Envelope, Any], Awaitable[None]]
"""A consumed event's handler: ``(uow, envelope, event)``, the uow being the service's own."""


@runtime_checkable
class UnitOfWorkApplier(Protocol):
    """A projection that applies a transaction's events together (set-based) in a unit of
    work: the unit-of-work form of ``defense_messaging.EventApplier``."""

    def handles(self, event: BaseEvent) -> bool: ...

    async def apply(self, uow: Any, events: Applied) -> None: ...


class HandlersInUnitOfWork:
    """The consumer's applier for a service whose handlers take a unit of work: each consumer
    transaction (the one that writes the inbox rows) becomes one unit of work, given to the
    handler of every event in it in turn (or to a :class:`UnitOfWorkApplier` whole); the audit
    entries they record are appended last, in one statement, before the consumer commits."""

    def __init__(
        self,
        runtime: Runtime,
        handlers: Mapping[type[BaseEvent], UnitOfWorkHandler] | UnitOfWorkApplier,
    ) -> None:
        self._runtime = runtime
        self._handlers = handlers

    def handles(self, event: BaseEvent) -> bool:
        if isinstance(self._handlers, UnitOfWorkApplier):
            return self._handlers.handles(event)
        return type(event) in self._handlers

    async def apply(self, session: AsyncSession, events: Applied) -> None:
        uow = self._runtime.definition.unit_of_work.joining(
            self._runtime, session, deferred_audit=True
        )
        if isinstance(self._handlers, UnitOfWorkApplier):
            await self._handlers.apply(uow, events)
        else:
            for envelope, event in events:
                with bound(**envelope_ids(envelope)):
                    await self._handlers[type(event)](uow, envelope, event)
        # The outbox and queued rows first: the audit chain's lock, taken by its append, is
        # then held only until the commit.
        await uow.flush()
        await uow.audit.flush()
