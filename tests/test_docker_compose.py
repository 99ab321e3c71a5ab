"""docker-compose.yml cannot run here (no Docker engine), so its agreement with the code is
checked by reading it: every service, its port and every environment variable it sets."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from urllib.parse import urlsplit

import pytest
import yaml

from aid_center.settings import AidCenterSettings
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


def test_compose_runs_broker_database_and_every_service(compose: dict) -> None:
    assert set(compose["services"]) == {"kafka", "postgres", *SERVICES}
    assert compose["services"]["kafka"]["image"].startswith("apache/kafka:")
    assert compose["services"]["postgres"]["image"].startswith("postgres:")


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
    assert set(service["depends_on"]) == {"kafka", "postgres"}


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
