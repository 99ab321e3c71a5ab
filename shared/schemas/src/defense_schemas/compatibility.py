"""Is the current schema of a published contract still compatible with its snapshot?

A published (event_type, schema_version) is frozen: consumers were written against it. The
current model may only widen it (add optional properties, add enum values, relax a bound).
Anything that would make a message valid under the snapshot invalid now, or take away a
property a consumer reads, is a breaking change and needs a new schema version instead:

- a property removed or renamed;
- a type narrowed: the type set shrank (e.g. a nullable field made non-null), an enum lost a
  value or a const changed, a string's maxLength lowered or minLength raised, a pattern or
  format changed, a number bound tightened, an array's item bounds tightened;
- a new required property, or an optional property made required;
- additionalProperties tightened.

Local `$ref`s (`#/$defs/...`) are resolved in each document; `anyOf`/`oneOf` are compared
branch by branch (so a nullable field is two branches), array `items` recursively.

    python -m defense_schemas.compatibility   # exit 1 and list breaking changes
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

Schema = Mapping[str, Any]

_ALL_TYPES = frozenset({"null", "boolean", "object", "array", "number", "integer", "string"})


class BreakKind(StrEnum):
    """The kinds of breaking change the checker reports."""

    CONTRACT_REMOVED = "contract_removed"
    PROPERTY_REMOVED = "property_removed"
    TYPE_NARROWED = "type_narrowed"
    ENUM_VALUE_REMOVED = "enum_value_removed"
    CONST_CHANGED = "const_changed"
    MAX_LENGTH_LOWERED = "max_length_lowered"
    MIN_LENGTH_RAISED = "min_length_raised"
    PATTERN_CHANGED = "pattern_changed"
    FORMAT_CHANGED = "format_changed"
    BOUND_TIGHTENED = "bound_tightened"
    ITEMS_BOUND_TIGHTENED = "items_bound_tightened"
    REQUIRED_PROPERTY_ADDED = "required_property_added"
    PROPERTY_MADE_REQUIRED = "property_made_required"
    ADDITIONAL_PROPERTIES_TIGHTENED = "additional_properties_tightened"
    UNRESOLVABLE_REF = "unresolvable_ref"


@dataclass(frozen=True)
class BreakingChange:
    """One incompatibility, at a path such as `$.suspects[].guardian.contact`."""

    kind: BreakKind
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.kind.value}: {self.detail}"


def breaking_changes(published: Schema, current: Schema) -> list[BreakingChange]:
    """Every breaking change from the `published` snapshot to the `current` schema."""
    return _Comparison(published, current).compare(published, current, "$", frozenset())


def check_published(
    published_dir: Path, current: Mapping[str, Schema]
) -> dict[str, list[BreakingChange]]:
    """Compare each snapshot `<name>.json` in `published_dir` with `current[name]`; returns the
    breaking changes of each snapshot that has any (a contract no longer produced is one)."""
    report: dict[str, list[BreakingChange]] = {}
    for path in sorted(published_dir.glob("*.json")):
        name = path.stem
        snapshot = json.loads(path.read_text(encoding="utf-8"))
        if name not in current:
            breaks = [BreakingChange(BreakKind.CONTRACT_REMOVED, "$", f"{name} is published")]
        else:
            breaks = breaking_changes(snapshot, current[name])
        if breaks:
            report[name] = breaks
    return report


def unpublished(published_dir: Path, current: Mapping[str, Schema]) -> list[str]:
    """Current contracts with no snapshot yet (`generate --publish` writes them)."""
    return sorted(name for name in current if not (published_dir / f"{name}.json").exists())


class _Comparison:
    def __init__(self, old_doc: Schema, new_doc: Schema) -> None:
        self.old_doc = old_doc
        self.new_doc = new_doc

    def compare(
        self, old: Any, new: Any, path: str, seen: frozenset[tuple[str, str]]
    ) -> list[BreakingChange]:
        # A recursive schema refers to itself: stop when the same pair of refs comes round.
        pair = (_ref_of(old), _ref_of(new))
        if pair != ("", "") and pair in seen:
            return []
        seen = seen | {pair}
        try:
            old_node = _resolve(old, self.old_doc)
            new_node = _resolve(new, self.new_doc)
        except LookupError as error:
            return [BreakingChange(BreakKind.UNRESOLVABLE_REF, path, str(error))]

        old_variants = self._variants(old_node, self.old_doc)
        new_variants = self._variants(new_node, self.new_doc)
        if len(old_variants) == 1 and len(new_variants) == 1:
            return self._compare_one(old_variants[0], new_variants[0], path, seen)
        breaks: list[BreakingChange] = []
        for variant in old_variants:
            old_types = _types(variant)
            candidates = [v for v in new_variants if _overlap(old_types, _types(v))]
            if not candidates:
                breaks.append(
                    BreakingChange(
                        BreakKind.TYPE_NARROWED,
                        path,
                        f"values of type {_show(old_types)} are no longer accepted",
                    )
                )
                continue
            outcomes = [self._compare_one(variant, v, path, seen) for v in candidates]
            fewest = min(outcomes, key=len)  # the branch that matches best
            breaks += fewest
        return breaks

    def _variants(self, node: Mapping[str, Any], doc: Schema) -> list[Mapping[str, Any]]:
        """The alternatives a node accepts: its anyOf/oneOf branches, or the node itself."""
        branches = node.get("anyOf", node.get("oneOf"))
        if not branches:
            return [node]
        variants: list[Mapping[str, Any]] = []
        for branch in branches:
            resolved = _resolve(branch, doc)
            variants += self._variants(resolved, doc)
        return variants

    def _compare_one(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        path: str,
        seen: frozenset[tuple[str, str]],
    ) -> list[BreakingChange]:
        breaks: list[BreakingChange] = []

        def report(kind: BreakKind, detail: str, at: str = path) -> None:
            breaks.append(BreakingChange(kind, at, detail))

        if new.get("not") == {} and old.get("not") != {}:
            report(BreakKind.TYPE_NARROWED, "no value is accepted any more")
            return breaks

        old_types, new_types = _types(old), _types(new)
        lost = {t for t in old_types if not _accepts(new_types, t)}
        if lost:
            report(BreakKind.TYPE_NARROWED, f"type {_show(lost)} is no longer accepted")

        self._compare_values(old, new, report)
        self._compare_strings(old, new, report)
        self._compare_numbers(old, new, report)

        # arrays
        if _raised(old.get("minItems"), new.get("minItems")):
            report(BreakKind.ITEMS_BOUND_TIGHTENED, _moved("minItems", old, new))
        if _lowered(old.get("maxItems"), new.get("maxItems")):
            report(BreakKind.ITEMS_BOUND_TIGHTENED, _moved("maxItems", old, new))
        if new.get("uniqueItems") and not old.get("uniqueItems"):
            report(BreakKind.ITEMS_BOUND_TIGHTENED, "items must now be unique")
        if "items" in old or "items" in new:
            breaks += self.compare(old.get("items", {}), new.get("items", {}), f"{path}[]", seen)

        # objects
        old_props: Mapping[str, Any] = old.get("properties", {})
        new_props: Mapping[str, Any] = new.get("properties", {})
        added = sorted(set(new_props) - set(old_props))
        for name in sorted(set(old_props) - set(new_props)):
            hint = f" (renamed to {added[0]!r}?)" if len(added) == 1 else ""
            report(
                BreakKind.PROPERTY_REMOVED, f"property {name!r} was removed{hint}", f"{path}.{name}"
            )
        for name in sorted(set(old_props) & set(new_props)):
            breaks += self.compare(old_props[name], new_props[name], f"{path}.{name}", seen)
        old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
        for name in sorted(new_required - old_required):
            if name in old_props:
                report(
                    BreakKind.PROPERTY_MADE_REQUIRED,
                    f"optional {name!r} is now required",
                    f"{path}.{name}",
                )
            else:
                report(
                    BreakKind.REQUIRED_PROPERTY_ADDED,
                    f"new property {name!r} is required",
                    f"{path}.{name}",
                )
        breaks += self._compare_additional(old, new, path, seen)
        return breaks

    def _compare_values(self, old: Mapping[str, Any], new: Mapping[str, Any], report: Any) -> None:
        old_values, new_values = _allowed_values(old), _allowed_values(new)
        if new_values is None:
            return
        if old_values is None:
            report(BreakKind.TYPE_NARROWED, f"values now restricted to {_show(new_values)}")
        elif "const" in new and "const" in old and new_values != old_values:
            report(BreakKind.CONST_CHANGED, f"const {_show(old_values)} → {_show(new_values)}")
        else:
            missing = [v for v in old_values if v not in new_values]
            if missing:
                report(BreakKind.ENUM_VALUE_REMOVED, f"no longer allowed: {_show(missing)}")

    def _compare_strings(self, old: Mapping[str, Any], new: Mapping[str, Any], report: Any) -> None:
        if _raised(old.get("minLength"), new.get("minLength")):
            report(BreakKind.MIN_LENGTH_RAISED, _moved("minLength", old, new))
        if _lowered(old.get("maxLength"), new.get("maxLength")):
            report(BreakKind.MAX_LENGTH_LOWERED, _moved("maxLength", old, new))
        if "pattern" in new and new["pattern"] != old.get("pattern"):
            report(BreakKind.PATTERN_CHANGED, _moved("pattern", old, new))
        if old.get("format") != new.get("format"):
            report(BreakKind.FORMAT_CHANGED, _moved("format", old, new))

    def _compare_numbers(self, old: Mapping[str, Any], new: Mapping[str, Any], report: Any) -> None:
        old_low, new_low = _lower_bound(old), _lower_bound(new)
        if new_low is not None and (old_low is None or new_low > old_low):
            report(BreakKind.BOUND_TIGHTENED, f"lower bound {_bound(old_low)} → {_bound(new_low)}")
        old_high, new_high = _upper_bound(old), _upper_bound(new)
        if new_high is not None and (old_high is None or new_high < old_high):
            report(
                BreakKind.BOUND_TIGHTENED, f"upper bound {_bound(old_high)} → {_bound(new_high)}"
            )
        new_step, old_step = new.get("multipleOf"), old.get("multipleOf")
        if new_step is not None and (old_step is None or old_step % new_step != 0):
            report(BreakKind.BOUND_TIGHTENED, _moved("multipleOf", old, new))

    def _compare_additional(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        path: str,
        seen: frozenset[tuple[str, str]],
    ) -> list[BreakingChange]:
        old_extra = old.get("additionalProperties", True)
        new_extra = new.get("additionalProperties", True)
        old_open = old_extra is True or old_extra == {}
        new_open = new_extra is True or new_extra == {}
        if new_open or old_extra is False:
            return []
        if new_extra is False:
            detail = "additional properties are no longer accepted"
        elif old_open:
            detail = "additional properties are now constrained"
        else:
            return self.compare(old_extra, new_extra, f"{path}.*", seen)
        return [BreakingChange(BreakKind.ADDITIONAL_PROPERTIES_TIGHTENED, path, detail)]


# --- helpers --------------------------------------------------------------------------------


def _ref_of(node: Any) -> str:
    return node.get("$ref", "") if isinstance(node, Mapping) else ""


def _resolve(node: Any, doc: Schema) -> Mapping[str, Any]:
    """Follow local $refs (keeping the referring node's own keywords), flatten allOf, and turn
    boolean schemas into their object forms."""
    if node is True:
        return {}
    if node is False:
        return {"not": {}}
    seen: set[str] = set()
    while isinstance(node, Mapping) and "$ref" in node:
        ref = node["$ref"]
        if ref in seen:
            raise LookupError(f"$ref cycle at {ref!r}")
        seen.add(ref)
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        node = {**_pointer(doc, ref), **siblings}
    if not isinstance(node, Mapping):
        raise LookupError(f"not a schema: {node!r}")
    if "allOf" in node:
        merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
        for part in node["allOf"]:
            resolved = _resolve(part, doc)
            properties = {**merged.get("properties", {}), **resolved.get("properties", {})}
            required = [*merged.get("required", ()), *resolved.get("required", ())]
            merged = {**resolved, **merged}
            if properties:
                merged["properties"] = properties
            if required:
                merged["required"] = sorted(set(required))
        node = merged
    return node


def _pointer(doc: Schema, ref: str) -> Any:
    if not ref.startswith("#"):
        raise LookupError(f"only local $refs are supported, not {ref!r}")
    target: Any = doc
    for token in filter(None, ref[1:].split("/")):
        key = token.replace("~1", "/").replace("~0", "~")
        try:
            target = target[int(key)] if isinstance(target, list) else target[key]
        except (KeyError, IndexError, ValueError) as error:
            raise LookupError(f"$ref {ref!r} does not resolve") from error
    return target


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _types(node: Mapping[str, Any]) -> frozenset[str]:
    declared = node.get("type")
    if isinstance(declared, str):
        return frozenset({declared})
    if isinstance(declared, list):
        return frozenset(declared)
    if "const" in node:
        return frozenset({_json_type(node["const"])})
    if "enum" in node:
        return frozenset(_json_type(v) for v in node["enum"])
    return _ALL_TYPES


def _accepts(types: frozenset[str], json_type: str) -> bool:
    return json_type in types or (json_type == "integer" and "number" in types)


def _overlap(a: frozenset[str], b: frozenset[str]) -> bool:
    return any(_accepts(b, t) for t in a) or any(_accepts(a, t) for t in b)


def _allowed_values(node: Mapping[str, Any]) -> list[str] | None:
    """The values a node allows (canonical JSON text, so 1 and true differ), or None if any."""
    if "const" in node:
        return [json.dumps(node["const"], sort_keys=True)]
    if "enum" in node:
        return [json.dumps(v, sort_keys=True) for v in node["enum"]]
    return None


def _lower_bound(node: Mapping[str, Any]) -> tuple[float, bool] | None:
    """(value, exclusive): a larger tuple is a tighter lower bound."""
    bounds = []
    if isinstance(node.get("minimum"), int | float):
        bounds.append((node["minimum"], False))
    if isinstance(node.get("exclusiveMinimum"), int | float) and not isinstance(
        node["exclusiveMinimum"], bool
    ):
        bounds.append((node["exclusiveMinimum"], True))
    return max(bounds) if bounds else None


def _upper_bound(node: Mapping[str, Any]) -> tuple[float, bool] | None:
    """(value, inclusive): a smaller tuple is a tighter upper bound."""
    bounds = []
    if isinstance(node.get("maximum"), int | float):
        bounds.append((node["maximum"], True))
    if isinstance(node.get("exclusiveMaximum"), int | float) and not isinstance(
        node["exclusiveMaximum"], bool
    ):
        bounds.append((node["exclusiveMaximum"], False))
    return min(bounds) if bounds else None


def _bound(bound: tuple[float, bool] | None) -> str:
    return "none" if bound is None else str(bound[0])


def _raised(old: Any, new: Any) -> bool:
    return new is not None and (old is None or new > old)


def _lowered(old: Any, new: Any) -> bool:
    return new is not None and (old is None or new < old)


def _moved(keyword: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    return f"{keyword} {old.get(keyword)!r} → {new.get(keyword)!r}"


def _show(values: Any) -> str:
    return ", ".join(sorted(str(v) for v in values))


def main(argv: Sequence[str] | None = None) -> int:
    from defense_schemas.generate import PUBLISHED_DIR, current_schemas

    published_dir = Path(argv[0]) if argv else PUBLISHED_DIR
    current = current_schemas()
    report = check_published(published_dir, current)
    for name, breaks in report.items():
        for change in breaks:
            print(f"{name}: {change}", file=sys.stderr)
    for name in unpublished(published_dir, current):
        print(f"unpublished: {name} (run `python -m defense_schemas.generate --publish`)")
    return 1 if report else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
