"""Each service's OpenAPI document, shaped the same way for all three.

Errors: every error response of every operation is a reference to one of the shared
``components.responses`` (``application/problem+json``, the ``Problem`` schema of
service_runtime.errors), the route's own description kept beside the reference; an operation
also lists the errors the shared mechanism can answer for it whatever the route says — 500
always, 404 when its path has parameters, 400/413/422 when it takes a body (the request guard),
422 when it takes parameters. An error response a route gives its own content is left as it
is: the probes' 503 is their report of each check, not a problem. FastAPI's own validation
schemas, which the API never sends, are removed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_fields_from_routes, get_openapi
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from service_runtime.errors import (
    AUTH_RESPONSES,
    ERROR_RESPONSES,
    MAX_REPORTED_ERRORS,
    PROBLEM_JSON,
    TYPE_PREFIX,
)

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

API_VERSION = "1.1.0"
"""Each API's version, ``info.version``, by one rule: MAJOR.MINOR.PATCH of the contract, not of
the code. PATCH: documentation only. MINOR: additions an existing client ignores (a new
operation, an optional field or parameter, a new member of a response or problem, a new
``code``). MAJOR: anything else (a removed or renamed field, a stricter rule, a changed
meaning). A MAJOR version would be served beside the old one under a path prefix (``/v2``)
until clients move; the paths carry no ``/v1`` while there is one version, so as not to
break every client, link and audit entry for nothing.

1.1.0 added, in every service's API: today's work (`GET /deadlines`), the lawyer's read of their
own cases, retained counsel linked to a lawyer account, the clock outcome `lapsed`, the finance
office's subsidy figures and workbook, lawyers' reports of a ground for ending aid, and the
applicant's relationship on applications. Refusing a recorded time outside the case's receipt
and now (1.0.0 took any) is counted as a correction of input the law never allowed, not as a
stricter contract."""

# The routes every service has (service_runtime.routes), by "METHOD /path".
SHARED_OPERATION_IDS: dict[str, str] = {
    "GET /health": "checkHealth",
    "GET /ready": "checkReadiness",
    "GET /metrics": "getMetrics",
    "GET /ops/dead-letters": "listDeadLetters",
    "POST /ops/dead-letters/{dead_letter_id}/replay": "replayDeadLetter",
    "GET /ops/outbox/parked": "listParkedOutboxRows",
    "GET /ops/calendar": "listCalendarYears",
    "PUT /ops/calendar/{year}": "loadCalendarYear",
    "GET /ops/lag": "getConsumerLag",
}
OPERATION_ID = re.compile(r"^[a-z][a-zA-Z0-9]*$")

# The shared routes' descriptions (a service's own are in its api/descriptions.py).
SHARED_DESCRIPTIONS: dict[str, str] = {
    "GET /health": (
        "Liveness, without I/O: 200 while the outbox relay's and the consumer's loops go round; "
        "503 naming the loop that died or is stuck, for the orchestrator to restart the "
        "process. No token needed."
    ),
    "GET /ready": (
        "Readiness: 200 when the database and Kafka answer, the topics exist and the loops run; "
        "503 naming each failing check, and at once when the service is draining on shutdown. "
        "No token needed."
    ),
    "GET /metrics": (
        "The service's Prometheus metrics (requests, events, outbox, consumer lag, deadlines) in "
        "the text exposition format. No token needed."
    ),
    "GET /ops/dead-letters": (
        "The messages this service's consumer filed as dead letters, oldest first, with the "
        "refusal's kind and text (opened for the operator) and the source topic, partition and "
        "offset. Operators only."
    ),
    "POST /ops/dead-letters/{dead_letter_id}/replay": (
        "Puts a dead letter's message back on its source topic through the outbox, once its "
        "cause is fixed; the consumer's inbox still applies it at most once. Already replayed "
        "is a 409. Operators only."
    ),
    "GET /ops/outbox/parked": (
        "Outbox rows the broker refused for good (too large, or not openable), which the relay "
        "set aside so the rows behind them go on. Operators only."
    ),
    "GET /ops/calendar": (
        "The years the legal calendar holds (holidays and adjusted working days), each with its "
        "source. Operators only."
    ),
    "PUT /ops/calendar/{year}": (
        "Loads or corrects one year of the official holiday calendar, without a release; every "
        "replica re-reads it and deadlines counted on a guessed calendar are recounted. The "
        "procuratorate keeps the platform's calendar: a load there is published "
        "(`LegalCalendarYearLoaded`) and the aid center and the notifier store it and recount "
        "too; they answer 409 here. The body's year must be the path's. Operators only."
    ),
    "GET /ops/lag": (
        "Per consumer group, topic and partition: the committed offset, the end offset and the "
        "lag between them, read from Kafka now (503 when it does not answer). Operators only."
    ),
}


def operation_ids(
    named: Mapping[str, str],
) -> Callable[[APIRoute], str]:
    """FastAPI's ``generate_unique_id_function``: the rule for every operationId.

    An operation's id is a lowerCamelCase verb phrase (``recordDefenseDecision``): the one the
    service's table gives its ``METHOD /path`` (``named``, with :data:`SHARED_OPERATION_IDS`),
    else the route function's name in lowerCamelCase (``list_firms`` → ``listFirms``). The
    table names operations whose function name does not read as the action, so client code
    generated from the document reads like the domain; a test holds every id to the pattern
    and to being unique in its document."""
    table = {**SHARED_OPERATION_IDS, **named}

    def generate(route: APIRoute) -> str:
        for method in sorted(route.methods or ()):
            found = table.get(f"{method} {route.path_format}")
            if found is not None:
                return found
        return lower_camel(route.name)

    return generate


def lower_camel(name: str) -> str:
    first, *rest = [part for part in name.split("_") if part]
    return first.lower() + "".join(part[:1].upper() + part[1:] for part in rest)


# status → (component name, description, example code, example detail)
PROBLEM_RESPONSES: dict[int, tuple[str, str, str, str]] = {
    400: (
        "BadRequest",
        "Input the rules reject (`invalid_input`; `errors[].pointer` names the field at fault), "
        "or a malformed request header",
        "invalid_input",
        "the period ends before it starts",
    ),
    401: (
        "Unauthorized",
        "No bearer token, or one that is expired, forged or for another audience",
        "unauthenticated",
        "no bearer token",
    ),
    403: (
        "Forbidden",
        "The caller's role may not use this route",
        "forbidden",
        "this route is for procuratorate staff",
    ),
    404: ("NotFound", "Unknown id, or a path no route serves", "not_found", "case … not found"),
    409: (
        "Conflict",
        "The current state forbids this action (`errors[].pointer` names what forbids it)",
        "conflict",
        "the case is closed",
    ),
    412: (
        "PreconditionFailed",
        "The resource changed since the version named in `If-Match`",
        "precondition_failed",
        "the resource changed since it was read",
    ),
    413: (
        "ContentTooLarge",
        "The request body exceeds the service's limit",
        "body_too_large",
        "the request body may not exceed 1048576 bytes",
    ),
    415: (
        "UnsupportedMediaType",
        "The request body's media type is not accepted",
        "unsupported_media_type",
        "only application/json is accepted",
    ),
    422: (
        "UnprocessableContent",
        "The body or a parameter is malformed; `errors` names each part "
        f"(at most {MAX_REPORTED_ERRORS}), never the value sent",
        "validation_failed",
        "the request is malformed: #/suspects/0/birth_date: Input should be a valid date",
    ),
    429: (
        "TooManyRequests",
        "Too many requests; retry after the time `Retry-After` names",
        "too_many_requests",
        "too many requests",
    ),
    503: (
        "ServiceUnavailable",
        "A dependency (the broker, the database) did not answer; retry later",
        "unavailable",
        "consumer lag unreadable: KafkaConnectionError",
    ),
    500: (
        "InternalServerError",
        "An unexpected error; logged under the problem's `instance`",
        "internal_error",
        "an unexpected error; it has been logged",
    ),
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": (
        "An RFC 9457 problem details object: every error of the API. Switch on `code`; "
        "`type` is the same kind as a URI (an identifier, not a link)."
    ),
    "type": "object",
    "required": ["type", "title", "status", "detail", "instance", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri", "description": "The kind, as a URI"},
        "title": {"type": "string", "description": "The kind's fixed summary"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What went wrong this time"},
        "instance": {
            "type": "string",
            "format": "uri",
            "description": "This occurrence (logged with a 5xx)",
        },
        "code": {
            "type": "string",
            "description": "The stable machine-readable kind (an extension member)",
            "examples": ["validation_failed"],
        },
        "errors": {
            "type": "array",
            "maxItems": MAX_REPORTED_ERRORS,
            "items": {"$ref": "#/components/schemas/ProblemError"},
        },
    },
    "additionalProperties": True,
}

PROBLEM_ERROR_SCHEMA: dict[str, Any] = {
    "title": "ProblemError",
    "description": (
        "One part at fault: `pointer` (a JSON pointer into the request body, as a URI "
        "fragment) or `parameter` with `in`."
    ),
    "type": "object",
    "required": ["detail"],
    "properties": {
        "pointer": {"type": "string", "examples": ["#/suspects/0/birth_date"]},
        "parameter": {"type": "string", "examples": ["received_to"]},
        "in": {"type": "string", "enum": ["query", "path", "header", "cookie"]},
        "detail": {"type": "string"},
        "type": {"type": "string", "description": "The validation error's kind, e.g. `missing`"},
    },
    "additionalProperties": True,
}


def _example(status: int, code: str, detail: str) -> dict[str, Any]:
    from service_runtime.errors import TITLES

    example: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": TITLES[code],
        "status": status,
        "detail": detail,
        "instance": "urn:uuid:0b7e4c4e-7f0c-4a36-9a55-2c1f7f1d3a10",
        "code": code,
    }
    if status == 422:
        example["errors"] = [
            {
                "pointer": "#/suspects/0/birth_date",
                "detail": "Input should be a valid date",
                "type": "date_from_datetime_parsing",
            }
        ]
    elif status in (400, 409):
        example["errors"] = [{"pointer": "#/received_to", "detail": detail}]
    return example


def problem_components() -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, (name, description, code, detail) in PROBLEM_RESPONSES.items():
        response: dict[str, Any] = {
            "description": description,
            "content": {
                PROBLEM_JSON: {
                    "schema": {"$ref": "#/components/schemas/Problem"},
                    "example": _example(status, code, detail),
                }
            },
        }
        if status == 401:
            response["headers"] = {
                "WWW-Authenticate": {
                    "description": "The bearer challenge (RFC 6750)",
                    "schema": {"type": "string"},
                }
            }
        responses[name] = response
    return responses


def _implied_errors(operation: dict[str, Any], path: str) -> set[int]:
    implied = {500}
    parameters = operation.get("parameters", [])
    if "{" in path:
        implied.add(404)
    if "requestBody" in operation:
        implied |= {400, 413, 422}
    if parameters:
        implied.add(422)
    return implied


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with every error response as a shared problem response (in place)."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    _, _, code, detail = PROBLEM_RESPONSES[422]
    validation = _example(422, code, detail)
    schemas["Problem"] = {**PROBLEM_SCHEMA, "examples": [validation]}
    schemas["ProblemError"] = {**PROBLEM_ERROR_SCHEMA, "examples": validation["errors"]}
    components.setdefault("responses", {}).update(problem_components())
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in _implied_errors(operation, path):
                responses.setdefault(str(status), {})
            for key in list(responses):
                if not key.isdigit() or int(key) not in PROBLEM_RESPONSES:
                    continue
                if "content" in responses[key] and not _fastapi_validation(responses[key]):
                    continue  # the route's own format (the probes' reports of each check)
                name, general, *_ = PROBLEM_RESPONSES[int(key)]
                own = responses[key].get("description")
                documented: dict[str, Any] = {"$ref": f"#/components/responses/{name}"}
                if own and own not in _GENERIC_DESCRIPTIONS | {general}:
                    documented["description"] = own
                responses[key] = documented
            operation["responses"] = dict(sorted(responses.items()))
    return schema


def _fastapi_validation(response: dict[str, Any]) -> bool:
    return "HTTPValidationError" in str(response.get("content"))


# Descriptions that say no more than the shared response's own.
_GENERIC_DESCRIPTIONS = {
    "Validation Error",
    "Successful Response",
    "Additional Response",
    *(str(r["description"]) for r in (*ERROR_RESPONSES.values(), *AUTH_RESPONSES.values())),
}


def describe(schema: dict[str, Any], descriptions: Mapping[str, str]) -> dict[str, Any]:
    """Each operation without a description of its own gets the table's (``"METHOD /path"``,
    with :data:`SHARED_DESCRIPTIONS`), in place."""
    table = {**SHARED_DESCRIPTIONS, **descriptions}
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method in METHODS and not operation.get("description"):
                found = table.get(f"{method.upper()} {path}")
                if found is not None:
                    operation["description"] = found
    return schema


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _model_examples(routes: Sequence[Any]) -> dict[str, list[list[Any]]]:
    """Every model's ``examples`` as its class declares them, by the model's title, for each
    model a route takes or answers and every model nested in one."""
    found: dict[str, list[list[Any]]] = {}
    for field in get_fields_from_routes(list(routes)):
        if field.field_info.annotation is None:
            continue
        generated = TypeAdapter(field.field_info.annotation).json_schema(mode=field.mode)
        for schema in (generated, *generated.get("$defs", {}).values()):
            if "examples" in schema and "title" in schema:
                found.setdefault(schema["title"], []).append(schema["examples"])
    return found


def restore_example_nulls(schema: dict[str, Any], routes: Sequence[Any]) -> dict[str, Any]:
    """Put back the ``null`` members of the models' examples, in place.

    FastAPI encodes the document with ``exclude_none``, which also drops every ``null`` inside
    an example: an example of a model with a required nullable field (``next_cursor: null`` on
    a last page) would then lack the field and contradict its own schema. Each component's
    examples are replaced by the declared ones they came from (the same title, equal once the
    nulls are dropped)."""
    declared = _model_examples(routes)
    for component in schema.get("components", {}).get("schemas", {}).values():
        examples = component.get("examples")
        if examples is None:
            continue
        for candidate in declared.get(component.get("title", ""), []):
            if _without_nulls(candidate) == examples:
                component["examples"] = candidate
                break
    return schema


def install_openapi(app: FastAPI, descriptions: Mapping[str, str] | None = None) -> None:
    """``app.openapi()`` builds the document once, shaped as this module says."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
            )
            restore_example_nulls(schema, app.routes)
            app.openapi_schema = describe(document_problems(schema), descriptions or {})
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
