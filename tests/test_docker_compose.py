"""docker-compose.yml cannot run here (no Docker engine), so its agreement with the code is
checked by reading it: every service, its port and every environment variable it sets."""

from __future__ import annotations

import http.server
import re
import subprocess
import sys
import threading
from urllib.parse import urlsplit

import pytest
import yaml

from aid_center.settings import AidCenterSettings
from console.settings import ConsoleSettings
from notifier.settings import NotifierSettings
from procuratorate.settings import ProcuratorateSettings
from service_runtime.settings import ServiceSettings
from tests.infrastructure import ROOT

SERVICES: dict[str, type[ServiceSettings]] = {
    "procuratorate": ProcuratorateSettings,
    "aid_center": AidCenterSettings,
    "notifier": NotifierSettings,
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


ONE_SHOT = {"topics", "demo"}
# Not a ServiceSettings service: no database, no broker, only the three APIs.
CONSOLE = "console"


def test_compose_runs_broker_database_and_every_service(compose: dict) -> None:
    assert set(compose["services"]) == {
        "kafka",
        "postgres",
        "prometheus",
        "grafana",
        *SERVICES,
        CONSOLE,
        *ONE_SHOT,
    }
    assert compose["services"]["kafka"]["image"].startswith("apache/kafka:")
    assert compose["services"]["postgres"]["image"].startswith("postgres:")


@pytest.mark.parametrize("name", ["kafka", "postgres"])
def test_images_are_pinned_to_an_exact_version(compose: dict, name: str) -> None:
    """``postgres:15`` moves with every minor release: a rebuild months later is another
    server. An exact tag (major.minor[.patch]) or a digest."""
    image = compose["services"][name]["image"]
    assert re.fullmatch(r"[\w./-]+(:\d+\.\d+(\.\d+)?|@sha256:[0-9a-f]{64})", image), image


def test_the_event_log_and_the_databases_are_kept_in_volumes(compose: dict) -> None:
    kafka = compose["services"]["kafka"]
    data_dir = kafka["environment"]["KAFKA_LOG_DIRS"]
    assert f"kafkadata:{data_dir}" in kafka["volumes"]
    # Formatting a kept volume again needs the same cluster id.
    assert kafka["environment"]["CLUSTER_ID"]
    assert any(v.startswith("pgdata:") for v in compose["services"]["postgres"]["volumes"])
    assert {"kafkadata", "pgdata"} <= set(compose["volumes"])


@pytest.mark.parametrize("name", ["kafka", "postgres", CONSOLE, *sorted(SERVICES)])
def test_every_long_running_service_is_health_checked_and_restarted(
    compose: dict, name: str
) -> None:
    service = compose["services"][name]
    assert service["healthcheck"]["test"]
    assert service["restart"] == "unless-stopped"


def test_topics_are_provisioned_before_the_services_and_the_demo_loaded_after(
    compose: dict,
) -> None:
    services = compose["services"]
    topics, demo = services["topics"], services["demo"]
    assert topics["command"] == ["python", "-m", "procuratorate", "create-topics"]
    assert topics["restart"] == "no" and demo["restart"] == "no"
    assert topics["depends_on"]["kafka"]["condition"] == "service_healthy"
    for name in SERVICES:
        condition = services[name]["depends_on"]["topics"]["condition"]
        assert condition == "service_completed_successfully"
        assert demo["depends_on"][name]["condition"] == "service_healthy"
    # The demo loader finds the services by their compose names, through its settings.
    environment = demo["environment"]
    procuratorate = ProcuratorateSettings(
        **{
            k.removeprefix("PROCURATORATE_").lower(): v
            for k, v in environment.items()
            if k.startswith("PROCURATORATE_")
        }
    )
    aid_center = AidCenterSettings(
        **{
            k.removeprefix("AID_CENTER_").lower(): v
            for k, v in environment.items()
            if k.startswith("AID_CENTER_")
        }
    )
    assert (procuratorate.http_host, procuratorate.http_port) == ("procuratorate", 8101)
    assert (aid_center.http_host, aid_center.http_port) == ("aid_center", 8102)
    assert procuratorate.kafka_bootstrap_servers == "kafka:9092"
    # …and the image has it and its data.
    assert demo["command"] == ["python", "deploy/local/demo_data.py"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY deploy/local/demo_data.py ./deploy/local/demo_data.py" in dockerfile
    assert "COPY deploy/demo ./deploy/demo" in dockerfile


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_service_environment_matches_its_settings(compose: dict, name: str) -> None:
    settings_class = SERVICES[name]
    prefix = settings_class.model_config["env_prefix"]
    service = compose["services"][name]
    environment = service["environment"]
    # DEFENSE_ENV has no prefix: every service reads it (development mode, see Security).
    known = {prefix + field.upper() for field in settings_class.model_fields} | {"DEFENSE_ENV"}
    assert set(environment) <= known, f"unknown variables: {set(environment) - known}"

    settings = settings_class(
        **{
            key.removeprefix(prefix).lower() if key.startswith(prefix) else key: v
            for key, v in environment.items()
        }
    )
    # Compose runs the published local keys, which only development mode accepts (read from
    # the file itself: the test session's own environment is in development mode too).
    assert environment.get("DEFENSE_ENV") == "development"
    assert service["command"] == ["python", "-m", name]
    assert service["ports"] == [f"{settings.http_port}:{settings.http_port}"]
    assert settings.http_port == settings_class().http_port, "compose and local ports differ"
    assert settings.kafka_bootstrap_servers == "kafka:9092"

    database = urlsplit(str(settings.database_url))
    assert database.hostname == "postgres"
    init_sql = (ROOT / "deploy" / "docker" / "init-databases.sql").read_text()
    assert f"CREATE DATABASE {database.path.lstrip('/')} OWNER {database.username};" in init_sql
    assert f"CREATE ROLE {database.username} LOGIN PASSWORD '{database.password}'" in init_sql
    assert set(service["depends_on"]) == {"kafka", "postgres", "topics"}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_is_health_checked_on_its_health_probe(compose: dict, name: str) -> None:
    """A service whose relay or consumer loop died answers /health 503: the healthcheck marks
    the container unhealthy (what Swarm acts on, and `docker compose ps` shows); a process
    that exits is started again by the restart policy."""
    service = compose["services"][name]
    settings = SERVICES[name]()
    check = service["healthcheck"]["test"]
    assert check[0] == "CMD" and check[1] == "python", "the slim image has python, not curl"
    assert f"http://127.0.0.1:{settings.http_port}/health" in " ".join(check)
    assert service["restart"] == "unless-stopped"
    assert _exit_code(check[1:], settings.http_port, answer=200) == 0
    assert _exit_code(check[1:], settings.http_port, answer=503) != 0


def _exit_code(command: list[str], port: int, *, answer: int) -> int:
    """Runs the healthcheck's command against a local server answering ``answer`` on /health
    (on a free port: the service's own may be in use on this machine)."""

    class Probe(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(answer if self.path == "/health" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with http.server.HTTPServer(("127.0.0.1", 0), Probe) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            local = [part.replace(f":{port}/", f":{server.server_address[1]}/") for part in command]
            return subprocess.run(
                [sys.executable, *local[1:]], capture_output=True, timeout=30
            ).returncode
        finally:
            server.shutdown()


def test_the_console_calls_the_services_by_their_compose_names(compose: dict) -> None:
    service = compose["services"][CONSOLE]
    environment = service["environment"]
    prefix = ConsoleSettings.model_config["env_prefix"]
    known = {prefix + field.upper() for field in ConsoleSettings.model_fields} | {"DEFENSE_ENV"}
    assert set(environment) <= known, f"unknown variables: {set(environment) - known}"
    settings = ConsoleSettings(
        **{
            key.removeprefix(prefix).lower() if key.startswith(prefix) else key: v
            for key, v in environment.items()
        }
    )
    assert settings.development, "the compose stack signs in with the development sign-in"
    assert service["command"] == ["python", "-m", "console"]
    assert service["ports"] == [f"{settings.http_port}:{settings.http_port}"]
    assert settings.http_port == ConsoleSettings().http_port, "compose and local ports differ"
    for name, settings_class in SERVICES.items():
        url = urlsplit(getattr(settings, f"{name}_url"))
        assert (url.hostname, url.port) == (name, settings_class().http_port)
        assert service["depends_on"][name]["condition"] == "service_healthy"
    check = service["healthcheck"]["test"]
    assert f"http://127.0.0.1:{settings.http_port}/health" in " ".join(check)
    assert _exit_code(check[1:], settings.http_port, answer=200) == 0
