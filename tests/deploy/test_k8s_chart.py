"""The Helm charts under deploy/k8s render, lint and validate without a cluster, and say what
the code means: every setting they pass is one the service reads, the probes point at the
endpoints with the right meaning, the topics and users are the platform's declarations.

helm and kubeconform are installed by deploy/local/install.sh (from the Go module proxy, into
.local/tools/bin); kubeconform validates against the schemas vendored in deploy/k8s/schemas."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
import yaml
from alembic.script import ScriptDirectory

from aid_center.settings import AidCenterSettings
from console.settings import ConsoleSettings
from notifier.service import definition as notifier_definition
from notifier.settings import NotifierSettings
from procuratorate.settings import ProcuratorateSettings
from service_runtime.migrations import alembic_config
from service_runtime.security.audit import audit_guard_sql
from service_runtime.settings import ServiceSettings
from tests.infrastructure import ROOT, Endpoints, session_name

K8S = ROOT / "deploy" / "k8s"
APP = K8S / "defense-coverage"
DATA = K8S / "defense-coverage-data"
TOOLS = ROOT / ".local" / "tools" / "bin"
SETTINGS: dict[str, type[ServiceSettings]] = {
    "procuratorate": ProcuratorateSettings,
    "aid_center": AidCenterSettings,
    "notifier": NotifierSettings,
}
# Production mode needs each service's own keys: the tests name a Secret managed elsewhere;
# the console needs its session key and an OIDC provider to sign people in.
CONSOLE_PRODUCTION = [
    "--set=console.existingSecret=console-keys",
    "--set=console.oidc.issuer=https://sso.example.org/realms/justice",
    "--set=console.oidc.clientId=agency-console",
    "--set=console.auth.jwksUrl=https://sso.example.org/realms/justice/protocol/openid-connect/certs",
    "--set=console.auth.issuer=https://sso.example.org/realms/justice",
    "--set=console.publicUrl=https://console.example.org",
]
PRODUCTION = [
    *(
        f"--set=secrets.{service}.existingSecret={service.replace('_', '-')}-keys"
        for service in SETTINGS
    ),
    *CONSOLE_PRODUCTION,
]
CONSOLE = "defense-console"


def _tool(name: str) -> Path:
    path = TOOLS / name
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: deploy/local/install.sh installs it")
        pytest.skip(f"{name} is not installed (deploy/local/install.sh installs it)")
    return path


def _run(*command: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# The optional monitoring resources too, so that kubeconform checks them against
# prometheus-operator's vendored schemas.
MONITORING = [
    "--set=monitoring.prometheusRule.enabled=true",
    "--set=monitoring.podMonitor.enabled=true",
]

RELEASES = {APP: "defense", DATA: "defense-data"}
"""The release names README's install commands use (the app chart's ``data.release``)."""


def _template(chart: Path, *values: str) -> str:
    result = _run(_tool("helm"), "template", RELEASES[chart], chart, *values)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def app_manifests() -> str:
    return _template(APP, *PRODUCTION)


@pytest.fixture(scope="module")
def data_manifests() -> str:
    return _template(DATA)


def _documents(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def _of_kind(text: str, kind: str) -> list[dict[str, Any]]:
    return [doc for doc in _documents(text) if doc["kind"] == kind]


def test_the_generated_chart_files_are_up_to_date() -> None:
    result = _run(sys.executable, K8S / "generate.py", "--check")
    assert result.returncode == 0, f"run deploy/k8s/generate.py: {result.stderr}"


@pytest.mark.parametrize("chart", [APP, DATA], ids=lambda path: path.name)
def test_helm_lint(chart: Path) -> None:
    result = _run(_tool("helm"), "lint", "--strict", chart, *(PRODUCTION if chart == APP else []))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("chart", [APP, DATA], ids=lambda path: path.name)
def test_the_rendered_manifests_validate_strictly(chart: Path) -> None:
    manifests = _template(chart, *([*PRODUCTION, *MONITORING] if chart == APP else []))
    result = _run(
        _tool("kubeconform"),
        "-strict",
        "-summary",
        "-kubernetes-version=1.33.0",
        f"-schema-location={K8S / 'schemas'}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json",
        "-",
        stdin=manifests,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Invalid: 0, Errors: 0, Skipped: 0" in result.stdout, result.stdout


@pytest.mark.parametrize(
    ("chart", "field", "unknown"),
    [
        (APP, "automountServiceAccountToken: false", "automountToken: no"),
        (DATA, "kraftMetadata: shared", "kraftMetadatum: shared"),  # Strimzi's CRD
        (DATA, "instances: 3", "instance: 3"),  # CloudNativePG's CRD
        # Strimzi's v1 API dropped the ACL rule's singular `operation` that v1beta2 accepted.
        (DATA, "operations: [", "operation: ["),
    ],
)
def test_kubeconform_refuses_a_field_the_schema_does_not_know(
    chart: Path, field: str, unknown: str
) -> None:
    """The validation can fail: an unknown field is an error under -strict, in a Kubernetes
    kind and in each operator's."""
    broken = _template(chart, *(PRODUCTION if chart == APP else [])).replace(field, unknown, 1)
    result = _run(
        _tool("kubeconform"),
        "-strict",
        f"-schema-location={K8S / 'schemas'}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json",
        "-",
        stdin=broken,
    )
    assert result.returncode != 0 and unknown.split(":")[0] in result.stdout, result.stdout


def test_production_without_the_services_keys_does_not_render() -> None:
    result = _run(_tool("helm"), "template", RELEASES[APP], APP, *CONSOLE_PRODUCTION)
    assert result.returncode != 0
    assert "existingSecret" in result.stderr


@pytest.mark.parametrize("left_out", CONSOLE_PRODUCTION[:4])
def test_production_without_the_consoles_key_or_provider_does_not_render(left_out: str) -> None:
    values = [value for value in PRODUCTION if value != left_out]
    result = _run(_tool("helm"), "template", RELEASES[APP], APP, *values)
    assert result.returncode != 0
    assert "console" in result.stderr


def test_the_console_reads_its_settings_calls_the_apis_and_reaches_nothing_else(
    app_manifests: str,
) -> None:
    [config] = [c for c in _of_kind(app_manifests, "ConfigMap") if c["metadata"]["name"] == CONSOLE]
    prefix = ConsoleSettings.model_config["env_prefix"]
    fields = {prefix + name.upper() for name in ConsoleSettings.model_fields}
    assert set(config["data"]) <= fields | {"DEFENSE_ENV", "DEFENSE_SECRETS_DIR"}
    settings = ConsoleSettings(
        deployment_mode=config["data"]["DEFENSE_ENV"],
        session_key="the-mounted-secret-0123456789",
        **{
            key.removeprefix(prefix).lower(): value
            for key, value in config["data"].items()
            if key.startswith(prefix)
        },
    )
    services = {
        s["metadata"]["name"]: s["spec"]["ports"][0]["port"]
        for s in _of_kind(app_manifests, "Service")
    }
    for name in SETTINGS:
        url = urlsplit(getattr(settings, f"{name}_url"))
        assert services[url.hostname or ""] == url.port == SETTINGS[name]().http_port
    [deployment] = [
        d for d in _of_kind(app_manifests, "Deployment") if d["metadata"]["name"] == CONSOLE
    ]
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["command"] == ["python", "-m", "console"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert "env" not in container  # the session key is a file in DEFENSE_SECRETS_DIR
    [keys] = [v for v in pod["volumes"] if v["name"] == "keys"]
    assert keys["secret"]["secretName"] == "console-keys"
    policies = {p["metadata"]["name"]: p for p in _of_kind(app_manifests, "NetworkPolicy")}
    egress = policies[CONSOLE]["spec"]["egress"]
    reached = [rule["to"][0]["podSelector"]["matchLabels"] for rule in egress]
    assert reached == [
        {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": "defense"}
        for name in ("procuratorate", "aid-center", "notifier")
    ] + [{"k8s-app": "kube-dns"}]


def test_the_services_let_the_console_in_when_their_clients_are_restricted() -> None:
    manifests = _template(APP, *PRODUCTION, "--set=networkPolicy.apiClients.team=ingress")
    for policy in _of_kind(manifests, "NetworkPolicy"):
        if policy["metadata"]["name"] == CONSOLE:
            continue
        sources = policy["spec"]["ingress"][0]["from"]
        assert {
            "podSelector": {
                "matchLabels": {
                    "app.kubernetes.io/name": "console",
                    "app.kubernetes.io/instance": "defense",
                }
            }
        } in sources


def test_every_setting_passed_is_one_the_service_reads(app_manifests: str) -> None:
    for config in _of_kind(app_manifests, "ConfigMap"):
        if "grafana_dashboard" in config["metadata"]["labels"]:
            continue  # a dashboard, not settings
        if config["metadata"]["name"] == CONSOLE:
            continue  # not a ServiceSettings service: test_the_console_…
        service = next(
            s
            for s in SETTINGS
            if config["metadata"]["name"].startswith(f"defense-{s.replace('_', '-')}")
        )
        settings_class = SETTINGS[service]
        prefix = settings_class.model_config["env_prefix"]
        fields = {prefix + name.upper() for name in settings_class.model_fields}
        known = (
            fields | {f"{name}_FILE" for name in fields} | {"DEFENSE_ENV", "DEFENSE_SECRETS_DIR"}
        )
        assert set(config["data"]) <= known, set(config["data"]) - known
        plain = {
            key.removeprefix(prefix).lower(): value
            for key, value in config["data"].items()
            if key.startswith(prefix) and not key.endswith("_FILE")
        }
        # Values parse as the settings: a typo'd number or protocol fails here, not in a pod.
        settings_class(database_url="postgresql+asyncpg://u:p@db/x", **plain)


def test_deployments_probes_replicas_and_security(app_manifests: str) -> None:
    deployments = _of_kind(app_manifests, "Deployment")
    assert {d["metadata"]["name"] for d in deployments} == {
        "defense-procuratorate",
        "defense-aid-center",
        "defense-notifier",
        CONSOLE,
    }
    deployments = [d for d in deployments if d["metadata"]["name"] != CONSOLE]
    scalers = {
        h["spec"]["scaleTargetRef"]["name"]: h
        for h in _of_kind(app_manifests, "HorizontalPodAutoscaler")
    }
    budgets = {p["metadata"]["name"] for p in _of_kind(app_manifests, "PodDisruptionBudget")}
    for deployment in deployments:
        name = deployment["metadata"]["name"]
        spec = deployment["spec"]
        replicas = scalers[name]["spec"]["minReplicas"] if name in scalers else spec["replicas"]
        assert replicas >= 2, name
        assert name in budgets
        pod = spec["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        [container] = pod["containers"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["startupProbe"]["httpGet"]["path"] == "/health"
        assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
        assert container["resources"]["requests"] and container["resources"]["limits"]
        # The whole shutdown fits in the grace period, with a margin for the process to exit.
        config = next(
            c["data"] for c in _of_kind(app_manifests, "ConfigMap") if c["metadata"]["name"] == name
        )
        shutdown = sum(float(value) for key, value in config.items() if "_SHUTDOWN_" in key)
        assert shutdown + 3 <= pod["terminationGracePeriodSeconds"], (name, shutdown)
        # Secrets are files, never environment values.
        assert "env" not in container and all("secretRef" not in e for e in container["envFrom"])


def test_migrations_run_in_a_job_before_the_rollout(app_manifests: str) -> None:
    jobs = _of_kind(app_manifests, "Job")
    assert len(jobs) == 3
    for job in jobs:
        assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
        [container] = job["spec"]["template"]["spec"]["containers"]
        assert container["command"][-1] == "migrate"


def test_each_service_reaches_only_its_database_kafka_and_dns(app_manifests: str) -> None:
    policies = {p["metadata"]["name"]: p for p in _of_kind(app_manifests, "NetworkPolicy")}
    for service in ("procuratorate", "aid-center", "notifier"):
        egress = policies[f"defense-{service}"]["spec"]["egress"]
        targets = [rule["to"][0] for rule in egress]
        assert targets[0]["podSelector"]["matchLabels"] == {
            "cnpg.io/cluster": f"defense-data-{service}"
        }
        assert targets[1]["podSelector"]["matchLabels"]["strimzi.io/cluster"] == "defense-kafka"
        assert targets[2]["podSelector"]["matchLabels"] == {"k8s-app": "kube-dns"}
        assert len(egress) == 3, f"{service} reaches more than its database, Kafka and DNS"


def test_the_services_connect_to_what_the_data_chart_creates(
    app_manifests: str, data_manifests: str
) -> None:
    clusters = {c["metadata"]["name"] for c in _of_kind(data_manifests, "Cluster")}
    users = {u["metadata"]["name"] for u in _of_kind(data_manifests, "KafkaUser")}
    [kafka] = _of_kind(data_manifests, "Kafka")
    [listener] = kafka["spec"]["kafka"]["listeners"]
    for deployment in _of_kind(app_manifests, "Deployment"):
        if deployment["metadata"]["name"] == CONSOLE:
            continue  # no database, no Kafka
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        assert volumes["database"]["secret"]["secretName"].removesuffix("-app") in clusters
        assert volumes["kafka-user"]["secret"]["secretName"] in users
        assert volumes["kafka-ca"]["secret"]["secretName"] == (
            f"{kafka['metadata']['name']}-cluster-ca-cert"
        )
    for config in _of_kind(app_manifests, "ConfigMap"):
        servers = [v for k, v in config["data"].items() if k.endswith("KAFKA_BOOTSTRAP_SERVERS")]
        assert servers in ([], [f"{kafka['metadata']['name']}-kafka-bootstrap:{listener['port']}"])
    assert listener["tls"] is True and listener["authentication"]["type"] == "scram-sha-512"


def test_kafka_topics_and_users_are_the_platforms_declarations(data_manifests: str) -> None:
    declared = json.loads((DATA / "files" / "topics.json").read_text())
    topics = {t["spec"]["topicName"]: t["spec"] for t in _of_kind(data_manifests, "KafkaTopic")}
    assert set(topics) == {t["name"] for t in declared}
    for topic in declared:
        spec = topics[topic["name"]]
        assert spec["partitions"] == topic["partitions"]
        assert spec["replicas"] == topic["replication_factor"] == 3
        assert spec["config"] == topic["configs"]
        assert spec["config"]["min.insync.replicas"] == "2"
        expected = "-1" if not topic["name"].endswith(".dlq") else spec["config"]["retention.ms"]
        assert spec["config"]["retention.ms"] == expected and int(expected) != 0

    acls = json.loads((DATA / "files" / "acls.json").read_text())
    users = {u["metadata"]["name"]: u["spec"] for u in _of_kind(data_manifests, "KafkaUser")}
    assert set(users) == set(acls)
    for name, rules in acls.items():
        assert users[name]["authentication"] == {"type": "scram-sha-512"}
        rendered = [
            (r["resource"]["type"], r["resource"]["name"], r["operations"])
            for r in users[name]["authorization"]["acls"]
        ]
        assert rendered == [(r["type"], r["name"], r["operations"]) for r in rules]
    [pool] = _of_kind(data_manifests, "KafkaNodePool")
    assert pool["spec"]["replicas"] == 3 and set(pool["spec"]["roles"]) == {"controller", "broker"}
    [kafka] = _of_kind(data_manifests, "Kafka")
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"


def test_the_strimzi_resources_use_the_only_api_current_strimzi_serves(
    data_manifests: str,
) -> None:
    """Strimzi 1.x serves kafka.strimzi.io/v1 only; a resource left on v1beta2 has no schema
    (the vendored CRDs no longer serve it) and kubeconform refuses it."""
    strimzi = [d for d in _documents(data_manifests) if d["apiVersion"].startswith("kafka.")]
    assert {d["kind"] for d in strimzi} == {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser"}
    assert {d["apiVersion"] for d in strimzi} == {"kafka.strimzi.io/v1"}
    assert not list((K8S / "schemas").glob("kafka*-kafka-v1beta2.json"))
    old = data_manifests.replace(
        "apiVersion: kafka.strimzi.io/v1\n", "apiVersion: kafka.strimzi.io/v1beta2\n", 1
    )
    result = _run(
        _tool("kubeconform"),
        "-strict",
        f"-schema-location={K8S / 'schemas'}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json",
        "-",
        stdin=old,
    )
    assert result.returncode != 0 and "could not find schema" in result.stdout, result.stdout


def test_a_database_operators_uri_file_is_used_through_asyncpg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chart mounts CloudNativePG's ``<cluster>-app`` secret key ``uri`` as the URL file."""
    uri = tmp_path / "uri"
    uri.write_text("postgresql://procuratorate:s3cret@defense-data-procuratorate-rw:5432/db\n")
    monkeypatch.setenv("PROCURATORATE_DATABASE_URL_FILE", str(uri))
    monkeypatch.delenv("PROCURATORATE_DATABASE_URL", raising=False)
    url = str(ProcuratorateSettings().database_url)
    assert url == "postgresql+asyncpg://procuratorate:s3cret@defense-data-procuratorate-rw:5432/db"


def test_each_database_gets_the_audit_logs_guard(data_manifests: str) -> None:
    """As docker-compose's database init does: the superuser applies audit_guard.sql in each
    service's database, with the service's role and the owner role it cannot become."""
    configs = {c["metadata"]["name"]: c["data"] for c in _of_kind(data_manifests, "ConfigMap")}
    guard = audit_guard_sql()
    for cluster in _of_kind(data_manifests, "Cluster"):
        initdb = cluster["spec"]["bootstrap"]["initdb"]
        [ref] = initdb["postInitApplicationSQLRefs"]["configMapRefs"]
        sql = configs[ref["name"]][ref["key"]]
        role = initdb["owner"]
        assert sql.startswith(
            f"SELECT set_config('audit_guard.service_role', '{role}', false),\n"
            f"       set_config('audit_guard.owner_role', '{role}_audit', false);\n"
        ), sql[:200]
        assert sql.endswith(guard), "the guard is not the runtime's audit_guard.sql"


@pytest.mark.integration
async def test_the_rendered_guard_runs_as_one_script_and_guards_the_log(infra: Endpoints) -> None:
    """CloudNativePG runs the ConfigMap's text as one script in the new database: on a real
    server the audit table then belongs to the owner role and the service's role may only
    insert and read it."""
    service = session_name("guard").replace("_", "-")
    role = service.replace("-", "_")
    manifests = _template(DATA, f"--set=postgres.services={{{service}}}")
    [config] = _of_kind(manifests, "ConfigMap")
    script = config["data"]["audit_guard.sql"]
    admin = await asyncpg.connect(infra.pg_admin_url)
    try:
        await admin.execute(f'CREATE ROLE "{role}" LOGIN')
        await admin.execute(f'CREATE DATABASE "{role}" OWNER "{role}"')
        database = await asyncpg.connect(infra.pg_admin_url.rsplit("/", 1)[0] + f"/{role}")
        try:
            await database.execute(script)  # no arguments: the simple protocol, many statements
            owner = await database.fetchval(
                "SELECT tableowner FROM pg_tables WHERE schemaname = 'audit'"
                " AND tablename = 'audit_log'"
            )
            may = {
                privilege: await database.fetchval(
                    "SELECT has_table_privilege($1, 'audit.audit_log', $2)", role, privilege
                )
                for privilege in ("INSERT", "SELECT", "UPDATE", "DELETE", "TRUNCATE")
            }
        finally:
            await database.close()
        assert owner == f"{role}_audit"
        assert may == {
            "INSERT": True,
            "SELECT": True,
            "UPDATE": False,
            "DELETE": False,
            "TRUNCATE": False,
        }
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{role}" WITH (FORCE)')
        await admin.execute(f'DROP ROLE IF EXISTS "{role}_audit"')
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()


@pytest.mark.integration
async def test_the_migration_jobs_command_brings_the_database_to_head(
    scratch_database: Any, tmp_path: Path
) -> None:
    """What the Job runs, configured as the chart configures it: ``python -m <service> migrate``
    with the database URL in a file holding the operator's plain ``postgresql://`` URI."""
    url = (await scratch_database("migrate_job")).replace("postgresql+asyncpg://", "postgresql://")
    uri = tmp_path / "uri"
    uri.write_text(url + "\n")
    environment = {
        **os.environ,
        "DEFENSE_ENV": "development",
        "NOTIFIER_DATABASE_URL_FILE": str(uri),
    }
    environment.pop("NOTIFIER_DATABASE_URL", None)
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "notifier", "migrate"],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    database = await asyncpg.connect(url)
    try:
        revision = await database.fetchval("SELECT version_num FROM alembic_version")
    finally:
        await database.close()
    heads = ScriptDirectory.from_config(
        alembic_config(notifier_definition().migrations_dir, url)
    ).get_heads()
    assert [revision] == heads


def test_the_dashboards_ship_as_configmaps_for_grafanas_sidecar(app_manifests: str) -> None:
    """One ConfigMap per dashboard of deploy/observability, labelled as the sidecar looks for,
    holding the dashboard's JSON as it is."""
    sources = {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in (ROOT / "deploy" / "observability" / "grafana" / "dashboards").glob("*.json")
    }
    shipped = {
        key: json.loads(value)
        for config in _of_kind(app_manifests, "ConfigMap")
        if config["metadata"]["labels"].get("grafana_dashboard") == "1"
        for key, value in config["data"].items()
    }
    assert len(sources) == 4 and shipped == sources
    relabelled = _template(
        APP,
        *PRODUCTION,
        "--set=monitoring.dashboards.label=find_me",
        "--set=monitoring.dashboards.labelValue=yes",
        "--set=monitoring.dashboards.annotations.grafana_folder=defense",
    )
    boards = [
        config
        for config in _of_kind(relabelled, "ConfigMap")
        if config["metadata"]["labels"].get("find_me") == "yes"
    ]
    assert len(boards) == 4
    assert all(
        board["metadata"]["annotations"] == {"grafana_folder": "defense"} for board in boards
    )
    off = _template(APP, *PRODUCTION, "--set=monitoring.dashboards.enabled=false")
    assert not [c for c in _of_kind(off, "ConfigMap") if "dashboard" in c["metadata"]["name"]]


def test_the_alert_rules_ship_as_a_prometheusrule_behind_a_value(app_manifests: str) -> None:
    assert _of_kind(app_manifests, "PrometheusRule") == [], "off unless the CRD is there"
    manifests = _template(
        APP, *PRODUCTION, *MONITORING, "--set=monitoring.prometheusRule.labels.release=kps"
    )
    (rule,) = _of_kind(manifests, "PrometheusRule")
    source = yaml.safe_load((ROOT / "deploy" / "observability" / "alerts.yml").read_text())
    assert rule["spec"] == source, "the rules as promtool tests them, templates left as text"
    assert rule["metadata"]["labels"]["release"] == "kps"
    summaries = [r["annotations"]["summary"] for g in rule["spec"]["groups"] for r in g["rules"]]
    assert "{{ $labels.job }} does not answer its /metrics scrape" in summaries


def test_the_podmonitors_scrape_under_the_job_names_the_rules_use() -> None:
    manifests = _template(APP, *PRODUCTION, *MONITORING)
    monitors = _of_kind(manifests, "PodMonitor")
    jobs = {
        endpoint["relabelings"][0]["replacement"]
        for monitor in monitors
        for endpoint in monitor["spec"]["podMetricsEndpoints"]
    }
    assert jobs == set(SETTINGS)
    rules = (ROOT / "deploy" / "observability" / "alerts.yml").read_text(encoding="utf-8")
    assert 'up{job=~"procuratorate|aid_center|notifier"}' in rules
    deployments = {
        d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"]
        for d in _of_kind(manifests, "Deployment")
    }
    for monitor in monitors:
        selected = monitor["spec"]["selector"]["matchLabels"]
        assert [n for n, labels in deployments.items() if selected.items() <= labels.items()] == [
            monitor["metadata"]["name"]
        ]
        assert monitor["spec"]["podMetricsEndpoints"][0]["port"] == "http"
