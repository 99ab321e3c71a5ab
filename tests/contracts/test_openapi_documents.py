"""Each service's OpenAPI document, checked as a whole: a valid OpenAPI 3.1 document, and the
API's conventions on every operation (table-driven: one row per operation of the three)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest
from openapi_spec_validator import validate

from aid_center.api.descriptions import DESCRIPTIONS as AID_CENTER_DESCRIPTIONS
from aid_center.api.operation_ids import OPERATION_IDS as AID_CENTER_IDS
from aid_center.service import create_app as aid_center_app
from notifier.api.descriptions import DESCRIPTIONS as NOTIFIER_DESCRIPTIONS
from notifier.api.operation_ids import OPERATION_IDS as NOTIFIER_IDS
from notifier.service import create_app as notifier_app
from procuratorate.api.descriptions import DESCRIPTIONS as PROCURATORATE_DESCRIPTIONS
from procuratorate.api.operation_ids import OPERATION_IDS as PROCURATORATE_IDS
from procuratorate.service import create_app as procuratorate_app
from service_runtime.openapi import (
    METHODS,
    OPERATION_ID,
    SHARED_DESCRIPTIONS,
    SHARED_OPERATION_IDS,
)

FACTORIES = {
    "procuratorate": procuratorate_app,
    "aid_center": aid_center_app,
    "notifier": notifier_app,
}
DESCRIBED = {
    "procuratorate": PROCURATORATE_DESCRIPTIONS,
    "aid_center": AID_CENTER_DESCRIPTIONS,
    "notifier": NOTIFIER_DESCRIPTIONS,
}
NAMED = {
    "procuratorate": PROCURATORATE_IDS,
    "aid_center": AID_CENTER_IDS,
    "notifier": NOTIFIER_IDS,
}


@cache
def document(service: str) -> dict[str, Any]:
    # The document depends on the code, not on settings: read from an app never started.
    return FACTORIES[service]().openapi()


def _operations() -> list[tuple[str, str, str]]:
    return [
        (service, method, path)
        for service in FACTORIES
        for path, item in document(service)["paths"].items()
        for method in item
        if method in METHODS
    ]


OPERATIONS = _operations()


def _operation(service: str, method: str, path: str) -> dict[str, Any]:
    operation: dict[str, Any] = document(service)["paths"][path][method]
    return operation


def _resolve(service: str, ref: str) -> dict[str, Any]:
    node: Any = document(service)
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return dict(node)


@pytest.mark.parametrize("service", list(FACTORIES))
def test_the_document_is_valid_openapi(service: str) -> None:
    validate(document(service))


@pytest.mark.parametrize(("service", "method", "path"), OPERATIONS)
def test_every_error_response_is_a_shared_problem(service: str, method: str, path: str) -> None:
    responses = _operation(service, method, path)["responses"]
    errors = {status: response for status, response in responses.items() if status >= "400"}
    assert "500" in errors, "every operation can fail unexpectedly"
    if "{" in path:
        assert "404" in errors
    for status, response in errors.items():
        if path in ("/health", "/ready") and status == "503":
            continue  # the probes' own answer, naming each check
        assert response["$ref"].startswith("#/components/responses/"), (status, response)
        shared = _resolve(service, response["$ref"])
        content = shared["content"]
        assert list(content) == ["application/problem+json"], (status, content)
        assert content["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"
        }
        assert content["application/problem+json"]["example"]["status"] == int(status)


@pytest.mark.parametrize("service", list(FACTORIES))
def test_fastapis_own_validation_shape_is_not_documented(service: str) -> None:
    assert "HTTPValidationError" not in document(service)["components"]["schemas"]


@pytest.mark.parametrize(("service", "method", "path"), OPERATIONS)
def test_every_operation_has_a_readable_id_a_summary_a_description_and_a_tag(
    service: str, method: str, path: str
) -> None:
    operation = _operation(service, method, path)
    assert OPERATION_ID.match(operation["operationId"]), operation["operationId"]
    assert operation.get("summary"), "no summary"
    assert operation.get("description"), "no description"
    assert operation.get("tags"), "no tag"


@pytest.mark.parametrize("service", list(FACTORIES))
def test_operation_ids_are_unique_and_the_tables_name_real_operations(service: str) -> None:
    operations = {
        f"{method.upper()} {path}": item[method]["operationId"]
        for path, item in document(service)["paths"].items()
        for method in item
        if method in METHODS
    }
    ids = list(operations.values())
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for key, named in {**SHARED_OPERATION_IDS, **NAMED[service]}.items():
        assert operations.get(key) == named, f"{key}: the table names no such operation"


@pytest.mark.parametrize("service", list(FACTORIES))
def test_the_api_version_is_semantic(service: str) -> None:
    assert re.fullmatch(r"[1-9][0-9]*\.[0-9]+\.[0-9]+", document(service)["info"]["version"])


@pytest.mark.parametrize("service", list(FACTORIES))
def test_the_description_tables_name_real_operations(service: str) -> None:
    paths = document(service)["paths"]
    for key, text in {**SHARED_DESCRIPTIONS, **DESCRIBED[service]}.items():
        method, path = key.split(" ", 1)
        assert method.lower() in paths.get(path, {}), f"{key}: no such operation"
        # A route's own description wins: the table's text is then dead and should go.
        assert paths[path][method.lower()]["description"] == text, f"{key}: described twice"


def _models(service: str, node: Any) -> set[str]:
    """The component schemas ``node`` references, directly or through arrays, unions and the
    pages of a list (``Page_…``, whose ``items`` are the model)."""
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            found.add(name)
            if name.startswith("Page_"):
                found |= _models(service, document(service)["components"]["schemas"][name])
        for value in node.values():
            found |= _models(service, value)
    elif isinstance(node, list):
        for value in node:
            found |= _models(service, value)
    return found


@pytest.mark.parametrize("service", list(FACTORIES))
def test_the_shared_routes_models_and_the_problem_have_examples(service: str) -> None:
    """The runtime's own routes (the services' models have none yet: see the README)."""
    paths = document(service)["paths"]
    schemas = document(service)["components"]["schemas"]
    models = {"Problem"}
    for key in SHARED_OPERATION_IDS:
        method, path = key.split(" ", 1)
        operation = paths[path][method.lower()]
        models |= _models(service, operation.get("requestBody"))
        models |= _models(service, operation["responses"].get("200"))
    assert {"DeadLetterView", "CalendarYear", "PartitionLagView"} <= models
    for name in models:
        schema = schemas[name]
        if schema.get("type") == "object":
            assert schema.get("examples"), f"{name} has no example"
