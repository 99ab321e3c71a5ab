"""Schemathesis against each service's own OpenAPI document, in-process over ASGI.

Every operation gets its explicit examples and generated requests, both valid ones and ones
that break the schema on purpose (schemathesis's negative mode: wrong types, missing fields,
out-of-range values, NUL characters); each response must not be a 5xx, must match the schema
the API publishes for that status, and an error must echo nothing of the request and not be
cached. The size is small so the suite stays quick; run it deeper (more examples, the coverage
phase's boundary values, shrinking) with

    SCHEMATHESIS_MAX_EXAMPLES=200 uv run --frozen pytest tests/security/test_schemathesis.py

The services run their whole lifespan (migrations, topics, relay, consumer) on scratch
databases and topics of their own, in schemathesis's ASGI event-loop thread.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import response_schema_conformance

from aid_center.service import create_app as aid_center_app
from aid_center.settings import AidCenterSettings
from notifier.service import create_app as notifier_app
from notifier.settings import NotifierSettings
from procuratorate.service import create_app as procuratorate_app
from procuratorate.settings import ProcuratorateSettings
from service_runtime.security.principal import Role
from service_runtime.settings import ServiceSettings
from tests.infrastructure import bearer, own_topics

pytestmark = pytest.mark.integration

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "3"))


def error_echoes_nothing_and_is_not_cached(ctx: Any, response: Any, case: Any) -> bool | None:
    """A refused request's answer carries no ``input`` (FastAPI's default 422 echoed it, personal
    data included), stays small, and like every API answer is ``no-store``."""
    if response.status_code >= 400:
        assert b'"input"' not in response.content, "the error echoes the request's input"
        assert len(response.content) < 16_384, f"an error of {len(response.content)} bytes"
    if case.path not in ("/health", "/ready", "/metrics"):
        assert response.headers.get("cache-control") == ["no-store"], "cacheable API answer"
    return None


CHECKS = [not_a_server_error, response_schema_conformance, error_echoes_nothing_and_is_not_cached]
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,  # no .hypothesis folder in the checkout
    # The suite's run is the same every time (no flaky CI); the long run explores at random.
    derandomize=MAX_EXAMPLES <= 3,
    suppress_health_check=list(HealthCheck),
    # The quick run reports a failure as found; the long run also shrinks it to its simplest.
    phases=[Phase.explicit, Phase.generate] + ([Phase.shrink] if MAX_EXAMPLES > 3 else []),
)

# Who calls each service's own routes in the fuzz run; /ops/* is called as an operator.
CALLER: dict[str, tuple[Role, dict[str, str]]] = {
    "procuratorate": (Role.PROCURATORATE_STAFF, {"agency": "天津市河东区人民检察院"}),
    "aid_center": (Role.AID_CENTER_STAFF, {"agency": "河东区法律援助中心"}),
    "notifier": (Role.OPERATOR, {}),
}


def _headers(service: str, service_settings: ServiceSettings, path: str) -> dict[str, str]:
    role, claims = (Role.OPERATOR, {}) if path.startswith("/ops") else CALLER[service]
    return bearer(service_settings, role, **claims)


async def _settings(service_settings: Any, settings_class: type, label: str) -> Any:
    return await service_settings(
        settings_class, label, topic_partitions=1, **own_topics(f"fuzz-{label}")
    )


@pytest.fixture(scope="module")
async def fuzz_settings(service_settings: Any) -> dict[str, ServiceSettings]:
    return {
        "procuratorate": await _settings(service_settings, ProcuratorateSettings, "procuratorate"),
        "aid_center": await _settings(service_settings, AidCenterSettings, "aid_center"),
        "notifier": await _settings(service_settings, NotifierSettings, "notifier"),
    }


def _schema(create_app: Any) -> Any:
    # The document depends on the code, not on settings: read it from an app never started.
    schema = schemathesis.openapi.from_dict(create_app().openapi())
    schema.location = "/openapi.json"
    # The coverage phase sends every boundary value of every field: thorough and slow, so it is
    # part of the long run only.
    schema.config.phases.coverage.enabled = MAX_EXAMPLES > 3
    # Valid requests and ones that break the schema on purpose, NUL characters included.
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], allow_x00=True
    )
    return schema


# Loaded at import (schemathesis's lazy fixture schemas do not run under pytest 9); requests
# go to the running app through the `fuzzed_apps` clients.
procuratorate = _schema(procuratorate_app)
aid_center = _schema(aid_center_app)
notifier = _schema(notifier_app)
SCHEMAS = {"procuratorate": procuratorate, "aid_center": aid_center, "notifier": notifier}
FACTORIES = {
    "procuratorate": procuratorate_app,
    "aid_center": aid_center_app,
    "notifier": notifier_app,
}


@pytest.fixture(scope="module")
def fuzzed_apps(fuzz_settings: dict[str, ServiceSettings]) -> Iterator[dict[str, Any]]:
    """An ASGI client per service; entering it runs the app's lifespan in schemathesis's
    event-loop thread, where every request of the run is then served."""
    with contextlib.ExitStack() as stack:
        yield {
            name: stack.enter_context(asgi.get_client(factory(fuzz_settings[name])))
            for name, factory in FACTORIES.items()
        }
        # Stop the lifespans (relay, consumer, pools) while the scratch databases still exist.
        asgi.shutdown_lifespans()


@procuratorate.parametrize()
@FUZZ
def test_procuratorate_api_keeps_its_contract(
    case: Any, fuzzed_apps: dict[str, Any], fuzz_settings: dict[str, ServiceSettings]
) -> None:
    headers = _headers("procuratorate", fuzz_settings["procuratorate"], case.path)
    case.call_and_validate(session=fuzzed_apps["procuratorate"], headers=headers, checks=CHECKS)


@aid_center.parametrize()
@FUZZ
def test_aid_center_api_keeps_its_contract(
    case: Any, fuzzed_apps: dict[str, Any], fuzz_settings: dict[str, ServiceSettings]
) -> None:
    headers = _headers("aid_center", fuzz_settings["aid_center"], case.path)
    case.call_and_validate(session=fuzzed_apps["aid_center"], headers=headers, checks=CHECKS)


@notifier.parametrize()
@FUZZ
def test_notifier_api_keeps_its_contract(
    case: Any, fuzzed_apps: dict[str, Any], fuzz_settings: dict[str, ServiceSettings]
) -> None:
    headers = _headers("notifier", fuzz_settings["notifier"], case.path)
    case.call_and_validate(session=fuzzed_apps["notifier"], headers=headers, checks=CHECKS)
