"""Writes the data chart's generated files from the platform's own declarations, so that the
cluster and the code cannot disagree (tests/deploy/test_k8s_chart.py fails when they do):

- ``defense-coverage-data/files/topics.json``: every platform topic and its dead-letter twin,
  with partitions, replication factor and topic configs (retention, ``min.insync.replicas``,
  cleanup policy, max message size), rendered as Strimzi ``KafkaTopic`` resources;
- ``defense-coverage-data/files/acls.json``: the ACL bindings that ``deploy/kafka/acls.json``
  means (``defense_messaging.acls.acl_bindings``, as the local broker gets them), by principal,
  rendered as Strimzi ``KafkaUser`` resources (SCRAM-SHA-512, simple authorization);
- ``defense-coverage-data/files/audit_guard.sql``: the audit log's guard
  (``service_runtime.security.audit.audit_guard_sql``), run by CloudNativePG as the superuser
  in each service's new database, as docker-compose's database init runs it;

and the services chart's copies of the observability files (Helm reads files inside its chart
only):

- ``defense-coverage/files/dashboards/*.json``: the Grafana dashboards of
  ``deploy/observability/grafana/dashboards/``, shipped as ConfigMaps for Grafana's sidecar;
- ``defense-coverage/files/alerts.yml``: ``deploy/observability/alerts.yml``, shipped as a
  PrometheusRule.

Run it after changing either: ``.venv/bin/python deploy/k8s/generate.py`` (``--check`` only
compares).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from defense_messaging.acls import acl_bindings, load_acls
from defense_messaging.topics import topic_specs
from service_runtime.security.audit import audit_guard_sql

ROOT = Path(__file__).resolve().parents[2]
FILES = ROOT / "deploy" / "k8s" / "defense-coverage-data" / "files"
SERVICES_FILES = ROOT / "deploy" / "k8s" / "defense-coverage" / "files"
OBSERVABILITY = ROOT / "deploy" / "observability"

PARTITIONS = 6
REPLICATION_FACTOR = 3  # the data chart's three brokers


def topic_declarations() -> list[dict[str, Any]]:
    """The topics as the platform declares them (``defense_messaging.topics``, the one place:
    retention, ``min.insync.replicas``, cleanup policy, max message size), for three brokers."""
    return [
        spec.as_json()
        for spec in topic_specs(partitions=PARTITIONS, replication_factor=REPLICATION_FACTOR)
    ]


def acl_declarations() -> dict[str, list[dict[str, Any]]]:
    """principal → its Strimzi ACL rules: one per resource, its operations together."""
    rules: dict[str, dict[tuple[str, str], set[str]]] = {}
    for binding in acl_bindings(load_acls(ROOT / "deploy" / "kafka" / "acls.json")):
        principal = binding.principal.removeprefix("User:")
        resource = (binding.resource_type.name.lower(), binding.resource)
        rules.setdefault(principal, {}).setdefault(resource, set()).add(
            binding.operation.name.capitalize()
        )
    return {
        principal: [
            {"type": kind, "name": name, "operations": sorted(operations)}
            for (kind, name), operations in sorted(resources.items())
        ]
        for principal, resources in sorted(rules.items())
    }


def observability_copies() -> dict[Path, str]:
    """The dashboards and the alert rules, as the services chart ships them."""
    copies = {
        SERVICES_FILES / "dashboards" / path.name: path.read_text(encoding="utf-8")
        for path in sorted((OBSERVABILITY / "grafana" / "dashboards").glob("*.json"))
    }
    copies[SERVICES_FILES / "alerts.yml"] = (OBSERVABILITY / "alerts.yml").read_text(
        encoding="utf-8"
    )
    return copies


def rendered() -> dict[Path, str]:
    acls = acl_declarations()
    return {
        FILES / "topics.json": json.dumps(
            topic_declarations(), indent=2, sort_keys=True, ensure_ascii=False
        )
        + "\n",
        FILES / "acls.json": json.dumps(acls, indent=2, ensure_ascii=False) + "\n",
        FILES / "audit_guard.sql": audit_guard_sql(),
        **observability_copies(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on a diff")
    args = parser.parse_args()
    stale = []
    expected = rendered()
    # A dashboard removed from deploy/observability must not live on in the chart.
    dashboards = SERVICES_FILES / "dashboards"
    for old in sorted(dashboards.glob("*.json")) if dashboards.is_dir() else []:
        if old not in expected:
            stale.append(str(old.relative_to(ROOT)))
            if not args.check:
                old.unlink()
    for path, text in expected.items():
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(str(path.relative_to(ROOT)))
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        verb = "out of date" if args.check else "written"
        print(f"{', '.join(stale)}: {verb}", file=sys.stderr)
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
