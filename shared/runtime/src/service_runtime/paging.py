"""Cursor paging, the one way every list route of every service pages.

A list answers ``{"items": [...], "next_cursor": "..." | null}`` and, when there is more, a
``Link: <…?cursor=…>; rel="next"`` header (RFC 8288). The client sends ``limit`` (1 to
:data:`MAX_LIMIT`, default :data:`DEFAULT_LIMIT`) and the cursor it was given; it never builds one.

A cursor is the sort key of the last item of the previous page (keyset paging: no ``OFFSET``, so
a row inserted or removed meanwhile neither repeats nor skips an item), bound to the path it was
issued for and signed with an HMAC under the service's lookup key: a client cannot forge or
alter one, nor replay one on another list; a bad cursor is a 400 naming ``cursor``. Every list's
sort is total (it ends with a unique column) and its keys are never null, so the position is
exact. A cursor is not a snapshot: items added before the position are not seen by a client
that pages on.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

import sqlalchemy as sa
from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from service_runtime.errors import InvalidInput

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
CURSOR_PURPOSE = "list-cursor"
_MAC_BYTES = 16
_MAX_CURSOR_CHARS = 2000

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})

    items: list[T] = Field(description="This page's items, in the list's documented order.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page (also in the `Link` header, "
        "rel=next); null on the last page. Opaque: built by the server only."
    )


@dataclass(frozen=True)
class SortKey:
    """One term of a list's order: a column or expression that is never null."""

    expression: Any
    descending: bool = False


def _key(term: Any) -> SortKey:
    return term if isinstance(term, SortKey) else SortKey(term)


class CursorSigner:
    """Encodes and checks cursors: the sort key values, the path, and a MAC over both."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, payload: bytes) -> bytes:
        message = CURSOR_PURPOSE.encode() + b"\x00" + payload
        return hmac.new(self._key, message, "sha256").digest()[:_MAC_BYTES]

    def encode(self, path: str, values: Sequence[Any]) -> str:
        payload = json.dumps(
            {"p": path, "k": [_tagged(v) for v in values]}, separators=(",", ":")
        ).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def decode(self, path: str, cursor: str) -> tuple[Any, ...]:
        try:
            encoded_payload, encoded_mac = cursor.split(".")
            payload = _unb64(encoded_payload)
            if not hmac.compare_digest(self._mac(payload), _unb64(encoded_mac)):
                raise ValueError("bad signature")
            data = json.loads(payload)
            if data["p"] != path:
                raise ValueError("another list's cursor")
            return tuple(_untagged(v) for v in data["k"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise InvalidInput(
                "not a cursor this list issued (pass `next_cursor` as it was given)",
                field="cursor",
                where="query",
            ) from None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tagged(value: Any) -> Any:
    # JSON has no dates or UUIDs: tagged so the value compares with its column's type again.
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, UUID):
        return {"u": str(value)}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return {"s": str(value)}  # an enum and the like: its text


def _untagged(value: Any) -> Any:
    if isinstance(value, dict):
        ((tag, text),) = value.items()
        if tag == "t":
            return datetime.fromisoformat(text)
        if tag == "d":
            return date.fromisoformat(text)
        if tag == "u":
            return UUID(text)
        if tag == "s":
            return str(text)
        raise ValueError(tag)
    return value


@dataclass
class PageRequest:
    """What the client asked for (``limit``, where to resume), and how to answer it."""

    limit: int
    after: tuple[Any, ...] | None
    path: str
    signer: CursorSigner
    request: Request
    response: Response
    next_cursor: str | None = field(default=None, init=False)

    def keyset(self, query: sa.Select[Any], order: Sequence[Any], *, bounded: bool = True) -> Any:
        """``query`` ordered by ``order``, resumed after the cursor's position, with the sort
        keys as extra columns (for :meth:`take`) and, when ``bounded``, one row more than the
        limit (so :meth:`take` knows whether there is a next page)."""
        keys = [_key(term) for term in order]
        if self.after is not None:
            if len(self.after) != len(keys):
                raise InvalidInput("not a cursor this list issued", field="cursor", where="query")
            query = query.where(_after(keys, self.after))
        query = query.add_columns(
            *(k.expression.label(f"_page_{i}") for i, k in enumerate(keys))
        ).order_by(*(k.expression.desc() if k.descending else k.expression for k in keys))
        return query.limit(self.limit + 1) if bounded else query

    def take(self, rows: Iterable[T], key: Callable[[T], Sequence[Any]] | None = None) -> list[T]:
        """The first ``limit`` of ``rows`` (read with :meth:`keyset`); remembers the cursor of
        the next page when there are more. ``key`` gives an item's sort key when the items are
        not the query's rows."""
        taken: list[T] = []
        for item in rows:
            if len(taken) == self.limit:
                last = taken[-1]
                values = key(last) if key is not None else sort_keys(last)
                self.next_cursor = self.signer.encode(self.path, values)
                break
            taken.append(item)
        return taken

    async def fetch(self, session: Any, query: sa.Select[Any], order: Sequence[Any]) -> list[Any]:
        """Run ``query`` for this page (its rows carry the sort keys as ``_page_<n>``)."""
        result = await session.execute(self.keyset(query, order))
        return self.take(result.all())

    def slice(self, items: Iterable[T], key: Callable[[T], tuple[Any, ...]]) -> list[T]:
        """This page of a list held in memory, ordered by ``key`` (unique per item)."""
        ordered = sorted(items, key=key)
        if self.after is not None:
            after = self.after
            try:
                ordered = [item for item in ordered if key(item) > after]
            except TypeError:
                raise InvalidInput(
                    "not a cursor this list issued", field="cursor", where="query"
                ) from None
        return self.take(ordered, key=key)

    def page(self, items: Sequence[T]) -> Page[T]:
        """The response body; sets the ``Link`` header when there is a next page."""
        if self.next_cursor is not None:
            url = self.request.url.include_query_params(cursor=self.next_cursor)
            # A relative reference (RFC 8288 §3.1): right behind any proxy or host name.
            target = f"{url.path}?{url.query}"
            self.response.headers["Link"] = f'<{target}>; rel="next"'
        return Page(items=list(items), next_cursor=self.next_cursor)


def _type_of(expression: Any) -> Any:
    return getattr(expression, "type", None) or sa.types.NullType()


def sort_keys(row: Any) -> tuple[Any, ...]:
    """The sort key values :meth:`PageRequest.keyset` added to a row."""
    mapping = row._mapping if hasattr(row, "_mapping") else row
    values = []
    index = 0
    while (name := f"_page_{index}") in mapping:
        values.append(mapping[name])
        index += 1
    return tuple(values)


def _after(keys: Sequence[SortKey], values: Sequence[Any]) -> Any:
    """Rows strictly after ``values`` in the order ``keys``: (a, b) > (x, y) spelled out as
    ``a > x OR (a = x AND b > y)``, which also serves mixed directions, and ``a >= x`` beside
    it (implied, but only a plain range lets an index on the keys start at the cursor: under
    the OR alone, every row before it is read and filtered out)."""
    first = keys[0]
    start = sa.literal(values[0], _type_of(first.expression))
    lead = first.expression <= start if first.descending else first.expression >= start
    clauses = []
    for index, key in enumerate(keys):
        value = sa.literal(values[index], _type_of(key.expression))
        beyond = key.expression < value if key.descending else key.expression > value
        equal = [
            k.expression == sa.literal(v, _type_of(k.expression))
            for k, v in zip(keys[:index], values[:index], strict=True)
        ]
        clauses.append(sa.and_(*equal, beyond))
    return sa.and_(lead, sa.or_(*clauses))


async def page_request(
    request: Request,
    response: Response,
    limit: Annotated[
        int,
        Query(ge=1, le=MAX_LIMIT, description=f"Items per page (at most {MAX_LIMIT})."),
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            max_length=_MAX_CURSOR_CHARS,
            description="`next_cursor` of the previous page; absent for the first page.",
        ),
    ] = None,
) -> PageRequest:
    signer = CursorSigner(request.app.state.runtime.cipher.mac_key(CURSOR_PURPOSE))
    path = request.url.path
    after = signer.decode(path, cursor) if cursor is not None else None
    return PageRequest(
        limit=limit, after=after, path=path, signer=signer, request=request, response=response
    )


Paging = Annotated[PageRequest, Depends(page_request)]
"""A list route's paging parameters: ``limit`` and ``cursor``."""
