"""Every request and response model a service publishes has a realistic example, and the example
is valid: for each object schema among an OpenAPI document's ``components.schemas``, its
``examples`` are present and each validates against the schema (JSON Schema 2020-12, the
document's ``$ref``s resolved, formats such as ``date``, ``date-time`` and ``uuid`` checked).

The examples are what Swagger UI and ReDoc show and what a client developer copies: one that
does not validate teaches a request the service refuses.
"""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from tests.security.test_route_access_matrix import FACTORIES

SERVICES = ["procuratorate", "notifier", "aid_center"]

NOT_YET: dict[str, dict[str, str]] = {}
"""Models known to lack an example, each with the reason; an entry leaves once it has one."""


def _document(service: str) -> dict[str, Any]:
    factory, _ = FACTORIES[service]
    return factory().openapi()


def _objects(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: schema
        for name, schema in document["components"]["schemas"].items()
        if schema.get("type") == "object" or "properties" in schema
    }


def _validator(document: dict[str, Any], name: str) -> Draft202012Validator:
    # The document's components ride along in the root so a `#/components/schemas/…` $ref
    # resolves against the document itself.
    root = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return Draft202012Validator(root, format_checker=FormatChecker())


@pytest.mark.parametrize("service", SERVICES)
def test_every_object_schema_has_an_example(service: str) -> None:
    document = _document(service)
    objects = _objects(document)
    assert len(objects) >= 20
    without = sorted(name for name, schema in objects.items() if not schema.get("examples"))
    assert without == sorted(NOT_YET.get(service, {})), without


@pytest.mark.parametrize("service", SERVICES)
def test_every_example_validates_against_its_schema(service: str) -> None:
    document = _document(service)
    invalid: list[str] = []
    for name, schema in _objects(document).items():
        validator = _validator(document, name)
        for number, example in enumerate(schema.get("examples", [])):
            for error in validator.iter_errors(example):
                where = "/".join(map(str, error.absolute_path)) or "(root)"
                invalid.append(f"{name} example {number} at {where}: {error.message[:160]}")
    assert invalid == [], "\n".join(invalid)


def test_an_invalid_example_is_caught() -> None:
    """The check above can fail: a wrong type, a missing required member and a bad format."""
    document = _document("notifier")
    name = next(n for n in _objects(document) if n.startswith("TemplateView"))
    validator = _validator(document, name)
    assert list(validator.iter_errors({"subject": 1}))
    example = dict(document["components"]["schemas"][name]["examples"][0])
    assert not list(validator.iter_errors(example))
    assert list(validator.iter_errors({**example, "updated_at": "yesterday"}))
