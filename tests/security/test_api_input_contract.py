"""What a client may send is never more than the event contract and the date arithmetic accept.

A value the API model accepts but the event contract refuses (``""`` where an event needs at
least one character, a longer text) fails when the event is built, after the request was
accepted: a 500. A date at the edge of Python's range (``9999-12-31T23:59:59-12:00``) overflows
the first time it is turned to UTC or has a period added. These tests read every service's
published OpenAPI document, so a field added later is checked too.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from aid_center.service import create_app as aid_center_app
from defense_schemas.base import BaseEvent
from defense_schemas.events import EVENT_MODULES
from notifier.service import create_app as notifier_app
from procuratorate.service import create_app as procuratorate_app
from service_runtime.api_types import EARLIEST, LATEST, ApiDate, ApiDatetime

APPS: dict[str, Callable[[], Any]] = {
    "procuratorate": procuratorate_app,
    "aid_center": aid_center_app,
    "notifier": notifier_app,
}
# The operator's calendar upload: its dates must fall in its `year`, which the calendar checks.
BOUNDED_ELSEWHERE = {"CalendarYear"}


def _documents() -> dict[str, dict[str, Any]]:
    return {name: factory().openapi() for name, factory in APPS.items()}


DOCUMENTS = _documents()


def _inputs(document: dict[str, Any]) -> Iterator[tuple[str, str | None, dict[str, Any]]]:
    """(where, property name, schema) of every schema node a client sends: parameters and
    request bodies, through references and nested models."""
    components = document.get("components", {}).get("schemas", {})

    def walk(
        node: Any, where: str, key: str | None, seen: frozenset[str]
    ) -> Iterator[tuple[str, str | None, dict[str, Any]]]:
        if isinstance(node, list):
            for item in node:
                yield from walk(item, where, key, seen)
            return
        if not isinstance(node, dict):
            return
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[1]
            if name not in seen and name not in BOUNDED_ELSEWHERE:
                yield from walk(components[name], f"{where} {name}", key, seen | {name})
            return
        yield where, key, node
        for field, value in node.items():
            if field == "properties":
                for name, schema in value.items():
                    yield from walk(schema, f"{where}.{name}", name, seen)
            elif field in ("anyOf", "oneOf", "allOf", "items", "additionalProperties"):
                yield from walk(value, where, key, seen)
            elif field in ("content", "schema") or field.startswith("application/"):
                yield from walk(value, where, None, seen)

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                yield from walk(
                    parameter.get("schema", {}),
                    f"{method.upper()} {path} ?{parameter['name']}",
                    parameter["name"],
                    frozenset(),
                )
            yield from walk(
                operation.get("requestBody", {}), f"{method.upper()} {path}", None, frozenset()
            )


def _contract_strings() -> dict[str, tuple[int, int]]:
    """Property name → (the smallest minLength, the largest maxLength) of the plain text fields
    of that name in any event's contract."""
    found: dict[str, list[tuple[int, int]]] = {}

    def walk(node: Any, definitions: dict[str, Any]) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, definitions)
            return
        if not isinstance(node, dict):
            return
        for name, schema in (node.get("properties") or {}).items():
            candidates = [schema, *schema.get("anyOf", [])]
            for candidate in candidates:
                if "$ref" in candidate:
                    candidate = definitions.get(candidate["$ref"].rsplit("/", 1)[1], {})
                if _plain_text(candidate):
                    found.setdefault(name, []).append(
                        (candidate.get("minLength", 0), candidate.get("maxLength", 10**9))
                    )
        for value in node.values():
            walk(value, definitions)

    for module in EVENT_MODULES:
        for _, event in inspect.getmembers(module, inspect.isclass):
            if issubclass(event, BaseEvent) and event is not BaseEvent:
                schema = event.model_json_schema()
                walk(schema, schema.get("$defs", {}))
    return {
        name: (min(low for low, _ in bounds), max(high for _, high in bounds))
        for name, bounds in found.items()
    }


def _plain_text(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "string" and "format" not in schema and "enum" not in schema


@pytest.mark.parametrize("service", list(APPS))
def test_every_date_a_client_sends_is_bounded(service: str) -> None:
    unbounded = [
        where
        for where, _, schema in _inputs(DOCUMENTS[service])
        if schema.get("format") in ("date", "date-time")
        and not {"formatMinimum", "formatMaximum"} <= schema.keys()
    ]
    assert unbounded == [], f"use service_runtime.api_types.ApiDate/ApiDatetime: {unbounded}"


@pytest.mark.parametrize("service", list(APPS))
def test_no_text_a_client_sends_is_looser_than_the_event_contract(service: str) -> None:
    contract = _contract_strings()
    looser = []
    for where, key, schema in _inputs(DOCUMENTS[service]):
        if "?" in where or key not in contract or not _plain_text(schema):
            continue  # query filters do not reach an event
        low, high = contract[key]
        if schema.get("minLength", 0) < low or schema.get("maxLength", 10**9) > high:
            looser.append(f"{where}: {schema.get('minLength', 0)}..{schema.get('maxLength')}")
    assert looser == [], f"API text fields looser than the event contract: {looser}"


DATES = TypeAdapter(ApiDate)
INSTANTS = TypeAdapter(ApiDatetime)
OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@given(st.dates())
def test_a_date_is_accepted_only_inside_the_bounds(day: date) -> None:
    try:
        accepted = DATES.validate_python(day)
    except ValidationError as error:
        assert not EARLIEST <= day <= LATEST
        assert error.errors()[0]["type"] == "date_out_of_range"
        return
    # What the services do with a date: periods of years either way.
    assert accepted - timedelta(days=366 * 200) < accepted + timedelta(days=366 * 200)


@given(st.dates(), st.times(), OFFSETS)
def test_an_accepted_instant_survives_the_arithmetic_the_services_do(
    day: date, clock: time, offset: timezone
) -> None:
    text = datetime.combine(day, clock, tzinfo=offset).isoformat()
    try:
        instant = INSTANTS.validate_python(text)
    except ValidationError as error:
        assert error.errors()[0]["type"] == "datetime_out_of_range"
        return
    utc = instant.astimezone(UTC)
    assert utc + timedelta(days=3650) > utc - timedelta(days=3650)


@pytest.mark.parametrize(
    "text", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "3000-01-01T00:00:00Z"]
)
def test_the_instants_found_in_review_are_refused(text: str) -> None:
    with pytest.raises(ValidationError, match=r"datetime_out_of_range|must lie between"):
        INSTANTS.validate_python(text)
