"""Each service's OpenAPI document, checked as a whole: a valid OpenAPI 3.1 document, and the
API's conventions on every operation (table-driven: one row per operation of the three)."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from openapi_spec_validator import validate

from aid_center.service import create_app as aid_center_app
from notifier.service import create_app as notifier_app
from procuratorate.service import create_app as procuratorate_app
from service_runtime.openapi import METHODS

FACTORIES = {
    "procuratorate": procuratorate_app,
    "aid_center": aid_center_app,
    "notifier": notifier_app,
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
