"""The aid center's routes parse, authorise, call one use case and shape the answer: none of
them builds SQL or reaches the session; storage is the repository's, on the unit of work."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import aid_center.api

API = Path(aid_center.api.__file__).parent

NOT_YET = {
    # The object-level access checks are SQL conditions by design (each list and lookup carries
    # its caller's scope inside the query); they stay as they are.
    "access.py": "access checks are queries by design",
}


def _offences(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
            )
            found += [
                f"line {node.lineno}: imports {name}"
                for name in names
                if name.split(".")[0] == "sqlalchemy" or name == "aid_center.db.tables"
            ]
        if isinstance(node, ast.Attribute) and node.attr == "session":
            found.append(f"line {node.lineno}: reaches .session")
    return found


@pytest.mark.parametrize(
    "module", sorted(p.name for p in API.glob("*.py") if p.name not in NOT_YET)
)
def test_route_module_reaches_storage_only_through_use_cases(module: str) -> None:
    assert _offences((API / module).read_text(encoding="utf-8")) == []


def test_the_check_sees_sql_in_a_route() -> None:
    route = (
        "import sqlalchemy as sa\nasync def r(uow):\n    await uow.session.execute(sa.select(1))\n"
    )
    assert _offences(route) == ["line 1: imports sqlalchemy", "line 3: reaches .session"]
