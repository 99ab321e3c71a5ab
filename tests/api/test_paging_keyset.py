"""Keyset paging resumes with a range on the first sort key, so an index on the sort keys
starts at the cursor instead of walking every row before it (a deep page of a long list cost
as much as all the pages before it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from service_runtime.paging import CursorSigner, PageRequest, SortKey

items = sa.Table(
    "items",
    sa.MetaData(),
    sa.Column("received_at", sa.DateTime(timezone=True)),
    sa.Column("item_id", sa.Uuid),
)
AT = datetime(2026, 3, 2, 9, tzinfo=UTC)
ID = UUID(int=7)


def _page(after: tuple[Any, ...]) -> PageRequest:
    return PageRequest(
        limit=10,
        after=after,
        path="/items",
        signer=CursorSigner(b"k" * 32),
        request=None,  # type: ignore[arg-type]
        response=None,  # type: ignore[arg-type]
    )


def _where(order: list[Any]) -> sa.ColumnElement[bool]:
    query = _page((AT, ID)).keyset(sa.select(items), order)
    clause = query.whereclause
    assert clause is not None
    return clause


def _conjuncts(clause: sa.ColumnElement[bool]) -> list[str]:
    parts = list(clause.clauses) if isinstance(clause, sa.BooleanClauseList) else [clause]
    return [str(p.compile(dialect=postgresql.dialect())) for p in parts]


def test_the_first_key_bounds_the_range_from_the_cursor_on() -> None:
    conjuncts = _conjuncts(_where([items.c.received_at, items.c.item_id]))
    assert any(c.startswith("items.received_at >= ") for c in conjuncts), conjuncts


def test_a_descending_first_key_bounds_it_from_above() -> None:
    order = [SortKey(items.c.received_at, descending=True), items.c.item_id]
    conjuncts = _conjuncts(_where(order))
    assert any(c.startswith("items.received_at <= ") for c in conjuncts), conjuncts
