"""The Prometheus alert rules are valid and behave as their unit tests say
(``deploy/observability/alerts.test.yml``, run by ``promtool test rules``)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.infrastructure import ROOT
from tests.observability.promtool import promtool

RULES = ROOT / "deploy" / "observability"


def test_the_rules_parse() -> None:
    assert "SUCCESS" in promtool("check", "rules", "alerts.yml", cwd=RULES)


def test_every_alert_passes_its_unit_tests() -> None:
    assert "SUCCESS" in promtool("test", "rules", "alerts.test.yml", cwd=RULES)


def test_every_alert_is_unit_tested_and_has_a_runbook_section() -> None:
    rules = yaml.safe_load((RULES / "alerts.yml").read_text(encoding="utf-8"))
    alerts = {rule["alert"]: rule for group in rules["groups"] for rule in group["rules"]}
    tests = yaml.safe_load((RULES / "alerts.test.yml").read_text(encoding="utf-8"))
    tested = {
        case["alertname"]
        for test in tests["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert sorted(set(alerts) - tested) == []
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    anchors = {_anchor(line.lstrip("#").strip()) for line in readme.splitlines() if line[:1] == "#"}
    for name, rule in alerts.items():
        runbook = rule["annotations"]["runbook"]
        assert runbook.startswith("README.md#"), name
        assert runbook.split("#", 1)[1] in anchors, f"{name}: no README section {runbook}"


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def test_the_prometheus_configurations_scrape_the_same_jobs_with_the_rules() -> None:
    promtool("check", "config", "prometheus.yml", cwd=RULES)
    local, compose = (
        yaml.safe_load((RULES / name).read_text(encoding="utf-8"))
        for name in ("prometheus.yml", "prometheus.compose.yml")
    )
    jobs = [job["job_name"] for job in local["scrape_configs"]]
    assert jobs == [job["job_name"] for job in compose["scrape_configs"]]
    assert {"procuratorate", "aid_center", "notifier"} <= set(jobs)
    assert [Path(rules).name for rules in compose["rule_files"]] == local["rule_files"]
