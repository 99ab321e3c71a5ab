"""A published contract version never breaks: the checker finds each kind of break, lets
compatible growth through, and the real registry passes against shared/schemas/published/."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from defense_schemas.compatibility import (
    BreakKind,
    breaking_changes,
    check_published,
    main,
    unpublished,
)
from defense_schemas.generate import PUBLISHED_DIR, current_schemas

# --- the real contracts -------------------------------------------------------------------


def test_current_contracts_are_compatible_with_their_published_snapshots():
    report = check_published(PUBLISHED_DIR, current_schemas())
    assert report == {}, "\n".join(f"{n}: {c}" for n, cs in report.items() for c in cs)


def test_every_contract_is_published():
    missing = unpublished(PUBLISHED_DIR, current_schemas())
    assert missing == [], "run `python -m defense_schemas.generate --publish` and commit"


def test_the_cli_reports_a_break(tmp_path, capsys):
    assert main([str(PUBLISHED_DIR)]) == 0
    (tmp_path / "EventGone.v1.json").write_text("{}", encoding="utf-8")
    assert main([str(tmp_path)]) == 1
    assert "EventGone.v1: $: contract_removed" in capsys.readouterr().err


def test_a_real_break_is_caught():
    current = current_schemas()
    published = current["LawyerAssigned.v1"]
    changed = copy.deepcopy(published)
    del changed["properties"]["lawyer"]
    changed["$defs"]["AppointmentBasis"]["enum"].remove("application")
    kinds = {c.kind for c in breaking_changes(published, changed)}
    assert kinds == {BreakKind.PROPERTY_REMOVED, BreakKind.ENUM_VALUE_REMOVED}


# --- the checker on small schemas ---------------------------------------------------------


def obj(required: tuple[str, ...] = (), **properties: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


BASE = obj(
    ("name", "status"),
    name={"type": "string", "minLength": 1, "maxLength": 100},
    status={"$ref": "#/$defs/Status"},
    count={"type": "integer", "minimum": 0, "maximum": 10},
    when={"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}], "default": None},
    tags={"type": "array", "items": {"type": "string", "maxLength": 20}},
)
BASE["$defs"] = {"Status": {"type": "string", "enum": ["open", "closed"]}}


def changed(edit) -> dict[str, Any]:
    schema = copy.deepcopy(BASE)
    edit(schema)
    return schema


def kinds(new: dict[str, Any], old: dict[str, Any] = BASE) -> list[tuple[BreakKind, str]]:
    return [(c.kind, c.path) for c in breaking_changes(old, new)]


def test_identical_schemas_are_compatible():
    assert kinds(copy.deepcopy(BASE)) == []


def test_adding_an_optional_property_is_compatible():
    def edit(s):
        s["properties"]["note"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}

    assert kinds(changed(edit)) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda s: s["$defs"]["Status"]["enum"].append("pending"), []),
        (lambda s: s["properties"]["name"].update(maxLength=200), []),
        (lambda s: s["properties"]["name"].pop("minLength"), []),
        (lambda s: s["properties"]["count"].update(type="number", maximum=20), []),
        (lambda s: s["properties"]["name"].update(type=["string", "null"]), []),
        (lambda s: s["properties"]["name"].update(description="more words", title="Name"), []),
        (lambda s: s["required"].remove("status"), []),
    ],
    ids=[
        "enum value added",
        "maxLength raised",
        "minLength dropped",
        "number widened",
        "made nullable",
        "annotations",
        "made optional",
    ],
)
def test_widening_is_compatible(edit, expected):
    assert kinds(changed(edit)) == expected


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda s: s["properties"].pop("count"),
            [(BreakKind.PROPERTY_REMOVED, "$.count")],
        ),
        (
            lambda s: s["properties"].update(total=s["properties"].pop("count")),
            [(BreakKind.PROPERTY_REMOVED, "$.count")],
        ),
        (
            lambda s: s["properties"]["count"].update(type="string"),
            [(BreakKind.TYPE_NARROWED, "$.count")],
        ),
        (
            lambda s: s["properties"]["when"].update(anyOf=[{"type": "string", "format": "date"}]),
            [(BreakKind.TYPE_NARROWED, "$.when")],
        ),
        (
            lambda s: s["$defs"]["Status"]["enum"].remove("closed"),
            [(BreakKind.ENUM_VALUE_REMOVED, "$.status")],
        ),
        (
            lambda s: s["properties"]["name"].update(enum=["a", "b"]),
            [(BreakKind.TYPE_NARROWED, "$.name")],
        ),
        (
            lambda s: s["properties"]["name"].update(maxLength=50),
            [(BreakKind.MAX_LENGTH_LOWERED, "$.name")],
        ),
        (
            lambda s: s["properties"]["name"].update(minLength=2),
            [(BreakKind.MIN_LENGTH_RAISED, "$.name")],
        ),
        (
            lambda s: s["properties"]["name"].update(pattern="^[A-Z]"),
            [(BreakKind.PATTERN_CHANGED, "$.name")],
        ),
        (
            lambda s: s["properties"]["when"]["anyOf"][0].update(format="date-time"),
            [(BreakKind.FORMAT_CHANGED, "$.when")],
        ),
        (
            lambda s: s["properties"]["count"].update(minimum=1),
            [(BreakKind.BOUND_TIGHTENED, "$.count")],
        ),
        (
            lambda s: s["properties"]["count"].update(exclusiveMaximum=10),
            [(BreakKind.BOUND_TIGHTENED, "$.count")],
        ),
        (
            lambda s: s["properties"]["count"].update(type="integer", multipleOf=2),
            [(BreakKind.BOUND_TIGHTENED, "$.count")],
        ),
        (
            lambda s: s["properties"]["tags"]["items"].update(maxLength=10),
            [(BreakKind.MAX_LENGTH_LOWERED, "$.tags[]")],
        ),
        (
            lambda s: s["properties"]["tags"].update(minItems=1, uniqueItems=True),
            [
                (BreakKind.ITEMS_BOUND_TIGHTENED, "$.tags"),
                (BreakKind.ITEMS_BOUND_TIGHTENED, "$.tags"),
            ],
        ),
        (
            lambda s: (
                s["properties"].update(owner={"type": "string"}),
                s["required"].append("owner"),
            ),
            [(BreakKind.REQUIRED_PROPERTY_ADDED, "$.owner")],
        ),
        (
            lambda s: s["required"].append("count"),
            [(BreakKind.PROPERTY_MADE_REQUIRED, "$.count")],
        ),
        (
            lambda s: s.update(additionalProperties=False),
            [(BreakKind.ADDITIONAL_PROPERTIES_TIGHTENED, "$")],
        ),
        (
            lambda s: s.update(additionalProperties={"type": "string"}),
            [(BreakKind.ADDITIONAL_PROPERTIES_TIGHTENED, "$")],
        ),
        (
            lambda s: s["properties"]["status"].update({"$ref": "#/$defs/Missing"}),
            [(BreakKind.UNRESOLVABLE_REF, "$.status")],
        ),
    ],
    ids=[
        "property removed",
        "property renamed",
        "type changed",
        "nullable made required-value",
        "enum lost a value",
        "free string made an enum",
        "maxLength lowered",
        "minLength raised",
        "pattern added",
        "format changed",
        "minimum raised",
        "exclusive maximum added",
        "multipleOf added",
        "array items narrowed",
        "array bounds tightened",
        "new required property",
        "optional made required",
        "additionalProperties closed",
        "additionalProperties constrained",
        "dangling ref",
    ],
)
def test_each_kind_of_break_is_detected(edit, expected):
    assert kinds(changed(edit)) == expected


def test_a_rename_hints_at_the_new_name():
    new = changed(lambda s: s["properties"].update(total=s["properties"].pop("count")))
    (change,) = breaking_changes(BASE, new)
    assert "renamed to 'total'?" in change.detail


def test_refs_are_resolved_on_both_sides_even_when_moved():
    def inline(s):
        s["properties"]["status"] = {"type": "string", "enum": ["open"], "description": "x"}
        del s["$defs"]

    assert kinds(changed(inline)) == [(BreakKind.ENUM_VALUE_REMOVED, "$.status")]

    def rename_def(s):
        s["$defs"]["State"] = s["$defs"].pop("Status")
        s["properties"]["status"] = {"$ref": "#/$defs/State"}

    assert kinds(changed(rename_def)) == []


def test_nested_objects_and_additional_properties_schemas_are_compared():
    old = obj(inner=obj(("a",), a={"type": "string"}), extra={"type": "object"})
    old["properties"]["extra"]["additionalProperties"] = {"type": ["string", "integer"]}
    new = copy.deepcopy(old)
    new["properties"]["inner"]["properties"]["a"]["maxLength"] = 3
    new["properties"]["extra"]["additionalProperties"] = {"type": "string"}
    assert kinds(new, old) == [
        (BreakKind.TYPE_NARROWED, "$.extra.*"),
        (BreakKind.MAX_LENGTH_LOWERED, "$.inner.a"),
    ]


def test_recursive_schemas_terminate():
    old = {
        "$ref": "#/$defs/Node",
        "$defs": {"Node": obj(children={"type": "array", "items": {"$ref": "#/$defs/Node"}})},
    }
    new = copy.deepcopy(old)
    new["$defs"]["Node"]["properties"]["label"] = {"type": "string"}
    assert kinds(new, old) == []
    new["$defs"]["Node"]["required"] = ["label"]
    assert kinds(new, old) == [(BreakKind.REQUIRED_PROPERTY_ADDED, "$.label")]
