"""``Idempotency-Key`` on every POST, one mechanism for every service (after the IETF draft
"The Idempotency-Key HTTP Header Field").

A client that may retry a POST (a timeout, a dropped connection) sends ``Idempotency-Key: <a
unique value it chose, 1–255 printable ASCII characters>``. Keys are the caller's own: stored
per token subject, so two callers never see each other's responses.

- The first request with a key claims it (a row inserted in a transaction the route then runs
  in: its unit of work joins it), then runs; a 2xx response is stored in that transaction
  (status, body sealed with the field cipher, and the headers a client needs:
  ``Content-Type``, ``Location``, ``ETag``, ``Link``, ``Content-Disposition``) and committed
  with the route's effect; the response is sent after that commit. The effect and its stored
  response are never apart: a process that dies before the commit leaves neither (nor the
  claim), so the retry runs anew; one that dies after it leaves both, so the retry is a replay.
- A retry with the same key and the same request (method, path, query and body, by SHA-256)
  gets the stored response again, with ``Idempotent-Replayed: true``, and the route does not
  run: nothing happens twice.
- The same key for a different request is a 422; a retry while the first is still running
  waits briefly for it (the uncommitted claim) and is then a 409 (retry later).
- A response that is not a 2xx is not stored: its transaction, the claim included, rolls back,
  so nothing happened, and the retry runs again (a 404 for a case not yet received may be a 201
  a second later).
- Keys expire ``idempotency_key_ttl_hours`` after their first use (24 by default); expired
  rows are purged as new keys are claimed.

Only what the route writes through the request's unit of work or session (``deps.py``) is in
the claim's transaction; a route that opened transactions of its own would commit them apart.

A POST without the header behaves as before. The header is validated and documented (OpenAPI)
on every POST; other methods ignore it (PUT, PATCH and DELETE are idempotent by their
semantics, guarded by ``If-Match``).
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service_runtime.errors import ApiError, Conflict, InvalidInput
from service_runtime.security.tokens import InvalidToken

log = logging.getLogger(__name__)

HEADER = "idempotency-key"
REPLAYED = "idempotent-replayed"
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
STORED_HEADERS = frozenset({b"content-type", b"location", b"etag", b"link", b"content-disposition"})
BODY_FIELD = "idempotent_response"
SESSION_SCOPE_KEY = "service_runtime.idempotent_session"
LOCK_NOT_AVAILABLE = "55P03"
_CLAIM_WAIT_MS = 250
_PURGE_BATCH = 100


def add_idempotency_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "idempotency_keys",
        metadata,
        sa.Column("caller", sa.Text, primary_key=True, comment="the token's subject"),
        sa.Column("key", sa.Text, primary_key=True, comment="the client's Idempotency-Key"),
        sa.Column("request_hash", sa.Text, nullable=False, comment="SHA-256 of the request"),
        sa.Column("status", sa.Integer, nullable=True, comment="null while the request runs"),
        sa.Column("headers", postgresql.JSONB, nullable=True),
        sa.Column("body", sa.LargeBinary, nullable=True, comment="sealed (field cipher)"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("idempotency_keys_expiry", "expires_at"),
    )


def create_idempotency_table(bind: sa.engine.Connection) -> None:
    """For each service's Alembic revision: ``create_idempotency_table(op.get_bind())``."""
    metadata = sa.MetaData()
    add_idempotency_table(metadata)
    metadata.create_all(bind)


HEADER_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes a retry safe: the same key and request within the key's lifetime "
    "returns the first 2xx response again (`Idempotent-Replayed: true`) and nothing happens "
    "twice; the key for another request is a 422, while the first still runs a 409. 1–255 "
    "printable ASCII characters, the caller's own (see the README's REST conventions).",
    "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"},
    "example": "3f1c2d9e-6f0a-4a57-9d55-1b2e0f8d7c41",
}


def document_idempotency(app: Any) -> None:
    """Every POST operation of ``app``'s OpenAPI document lists the ``Idempotency-Key`` header
    (the middleware, not the route, reads it)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return dict[str, Any](app.openapi_schema)
        document: dict[str, Any] = generate()
        for operations in document.get("paths", {}).values():
            if "post" in operations:
                parameters = operations["post"].setdefault("parameters", [])
                if not any(p.get("name") == "Idempotency-Key" for p in parameters):
                    parameters.append(HEADER_PARAMETER)
        return document

    app.openapi = openapi


def request_hash(method: str, path: str, query: bytes, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def idempotency(ttl: timedelta) -> Any:
    """The middleware, for ``FastAPI.add_middleware``."""

    def build(app: ASGIApp) -> ASGIApp:
        return IdempotencyMiddleware(app, ttl)

    return build


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, ttl: timedelta) -> None:
        self.app = app
        self.ttl = ttl

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        key = _header(scope, HEADER.encode())
        if key is None:
            await self.app(scope, receive, send)
            return
        if not KEY_PATTERN.fullmatch(key):
            await _error(
                scope,
                receive,
                send,
                InvalidInput(
                    "Idempotency-Key must be 1 to 255 printable ASCII characters",
                    field="Idempotency-Key",
                    where="header",
                ),
            )
            return
        caller = await _caller(scope)
        if caller is None:
            # No verified caller: the route answers 401 itself; nothing to key it to.
            await self.app(scope, receive, send)
            return
        body, more = await _read_body(receive)
        runtime = scope["app"].state.runtime
        table: sa.Table = runtime.definition.tables.idempotency
        fingerprint = request_hash(
            scope["method"], scope["path"], scope.get("query_string", b""), body
        )
        now = datetime.now(UTC)
        mine = sa.and_(table.c.caller == caller, table.c.key == key)
        async with runtime.sessions() as session:
            transaction = await session.begin()
            try:
                # A claim is the row this transaction inserts: while it runs, the uncommitted
                # row makes another request's claim of the key wait; that wait is bounded, and
                # its end (lock_not_available) means "still being processed".
                await session.execute(sa.text(f"SET LOCAL lock_timeout = '{_CLAIM_WAIT_MS}ms'"))
                # This key's own expired claim goes first, whatever the purge's batch holds.
                await session.execute(sa.delete(table).where(mine, table.c.expires_at < now))
                await _purge_expired(session, table, now)
                claimed = await session.execute(
                    postgresql.insert(table)
                    .values(
                        caller=caller,
                        key=key,
                        request_hash=fingerprint,
                        created_at=now,
                        expires_at=now + self.ttl,
                    )
                    .on_conflict_do_nothing()
                    .returning(table.c.key)
                )
                first = claimed.first() is not None
                if first:
                    await session.execute(sa.text("SET LOCAL lock_timeout TO DEFAULT"))
                    await self._run(
                        scope, _replayed_receive(body, more, receive), send, session, caller, key
                    )
                    return
                stored = (await session.execute(sa.select(table).where(mine))).first()
            except DBAPIError as error:
                if _sqlstate(error) != LOCK_NOT_AVAILABLE:
                    raise
                stored = None
            finally:
                if transaction.is_active:
                    await transaction.rollback()
        if stored is not None and stored.request_hash != fingerprint:
            await _error(
                scope,
                receive,
                send,
                _Unprocessable(
                    "this Idempotency-Key was used for a different request; use a new key",
                    field="Idempotency-Key",
                    where="header",
                ),
            )
        elif stored is None or stored.status is None:
            # Still running; or (gone between the two statements) just expired; or a claim
            # left by a version that stored the response after the commit.
            await _error(
                scope,
                receive,
                send,
                Conflict(
                    "a request with this Idempotency-Key is still being processed; retry later",
                    field="Idempotency-Key",
                    where="header",
                ),
            )
        else:
            await _replay(send, runtime.cipher, stored, caller)

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        session: Any,
        caller: str,
        key: str,
    ) -> None:
        """Runs the route in the claim's transaction and holds its response back: a 2xx is
        stored in that transaction and committed with the route's effect, and only then sent.
        No moment exists where the effect is committed and the response not stored: a process
        that dies before the commit leaves neither the effect nor the claim, and the retry
        runs anew."""
        runtime = scope["app"].state.runtime
        table: sa.Table = runtime.definition.tables.idempotency
        messages: list[Message] = []
        await self.app({**scope, SESSION_SCOPE_KEY: session}, receive, _held(messages))
        start = next((m for m in messages if m["type"] == "http.response.start"), None)
        status = start["status"] if start is not None else 500
        complete = bool(messages) and not messages[-1].get("more_body", False)
        if start is not None and complete and 200 <= status < 300:
            headers = [
                [name.decode("latin-1"), value.decode("latin-1")]
                for name, value in start.get("headers", [])
                if name.lower() in STORED_HEADERS
            ]
            content = b"".join(
                m.get("body", b"") for m in messages if m["type"] == "http.response.body"
            )
            sealed = runtime.cipher.encrypt_bytes(
                content, field=BODY_FIELD, record_id=_record(caller, key)
            )
            await session.execute(
                sa.update(table)
                .where(table.c.caller == caller, table.c.key == key)
                .values(status=status, headers=headers, body=sealed)
            )
            await session.commit()
        else:
            # Not a 2xx: the effect (if any) and the claim go; the retry runs again.
            await session.rollback()
        for message in messages:
            await send(message)


def _held(messages: list[Message]) -> Send:
    async def hold(message: Message) -> None:
        messages.append(message)

    return hold


def _sqlstate(error: DBAPIError) -> str | None:
    original = getattr(error, "orig", None)
    return getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)


def idempotent_session(scope: Scope) -> Any:
    """The claim's open transaction a keyed POST's route runs in (its owner, the middleware,
    commits it); None for any other request."""
    return scope.get(SESSION_SCOPE_KEY)


class _Unprocessable(InvalidInput):
    status_code = 422
    code = "idempotency_key_reused"


def _record(caller: str, key: str) -> str:
    return f"{caller}\x00{key}"


async def _replay(send: Send, cipher: Any, stored: Any, caller: str) -> None:
    body = cipher.decrypt_bytes(
        stored.body, field=BODY_FIELD, record_id=_record(caller, stored.key)
    )
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in stored.headers]
    headers += [
        (b"content-length", str(len(body)).encode()),
        (REPLAYED.encode(), b"true"),
        (b"cache-control", b"no-store"),
    ]
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _error(scope: Scope, receive: Receive, send: Send, error: ApiError) -> None:
    """The refusal as every other error of the API (a middleware sits outside FastAPI's
    exception handlers)."""
    await error.response()(scope, receive, send)


async def _purge_expired(session: Any, table: sa.Table, now: datetime) -> None:
    expired = (
        sa.select(table.c.caller, table.c.key)
        .where(table.c.expires_at < now)
        .limit(_PURGE_BATCH)
        .with_for_update(skip_locked=True)
    )
    await session.execute(
        sa.delete(table).where(sa.tuple_(table.c.caller, table.c.key).in_(expired))
    )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


async def _caller(scope: Scope) -> str | None:
    authorization = _header(scope, b"authorization")
    if authorization is None or not authorization.lower().startswith("bearer "):
        return None
    verifier = scope["app"].state.token_verifier
    try:
        principal = await verifier.verify(authorization[7:].strip())
    except InvalidToken:
        return None
    return str(principal.subject)


async def _read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    """The whole body (the request guard in front has bounded it)."""
    chunks: list[bytes] = []
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks), messages


def _replayed_receive(body: bytes, messages: list[Message], receive: Receive) -> Receive:
    """The body read for the fingerprint, handed to the app again, then the real channel."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
    if messages and messages[-1]["type"] != "http.request":
        pending.append(messages[-1])

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
