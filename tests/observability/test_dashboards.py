"""The Grafana dashboards: every query parses (promtool) and reads only series the services
export (checked against their live /metrics after an end-to-end run); provisioning and the
compose services point at files that exist."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.platform import Platform
from tests.infrastructure import ROOT, operator
from tests.observability.promtool import promtool

OBSERVABILITY = ROOT / "deploy" / "observability"
DASHBOARDS = sorted((OBSERVABILITY / "grafana" / "dashboards").glob("*.json"))
# Grafana's variables, as a query would see them with "All" chosen.
VARIABLES = {"$__rate_interval": "5m", "$job": ".+", "$agency": ".+"}
METRIC = re.compile(r"\b((?:defense|process|python)_[a-z0-9_]+)\b")
FROM_PROMETHEUS = {"up"}


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def _queries(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for panel in _panels(dashboard["panels"]):
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]


def _expanded(expr: str) -> str:
    for name, value in VARIABLES.items():
        expr = expr.replace(name, value)
    assert "$" not in expr, f"an unknown variable in {expr}"
    return expr


def test_there_are_the_four_dashboards_each_with_its_own_uid() -> None:
    boards = [json.loads(path.read_text(encoding="utf-8")) for path in DASHBOARDS]
    assert sorted(path.stem for path in DASHBOARDS) == [
        "consumer-lag",
        "deadlines",
        "pipeline",
        "resources",
    ]
    assert len({board["uid"] for board in boards}) == len(boards)
    for board in boards:
        queried = [panel for panel in _panels(board["panels"]) if panel["type"] != "row"]
        assert queried and all(panel.get("targets") for panel in queried), board["uid"]
        assert all(panel["datasource"]["uid"] == "prometheus" for panel in queried)


def test_every_dashboard_query_parses(tmp_path: Path) -> None:
    rules = [
        {"record": f"dashboard:query_{index}", "expr": _expanded(expr)}
        for index, (_, expr) in enumerate(
            query for path in DASHBOARDS for query in _queries(json.loads(path.read_text()))
        )
    ]
    (tmp_path / "queries.yml").write_text(
        yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}), encoding="utf-8"
    )
    assert f"SUCCESS: {len(rules)} rules found" in promtool(
        "check", "rules", "queries.yml", cwd=tmp_path
    )


def test_provisioning_and_compose_mount_what_exists() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    for name in ("prometheus", "grafana"):
        service = compose["services"][name]
        image, _, tag = service["image"].partition(":")
        assert re.fullmatch(r"v?\d+\.\d+\.\d+", tag), f"{image}: an exact version, not {tag!r}"
        for volume in service["volumes"]:
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which is missing"
    provider = yaml.safe_load(
        (OBSERVABILITY / "grafana/provisioning/dashboards/defense.yml").read_text(encoding="utf-8")
    )
    mounted = {v.split(":")[1] for v in compose["services"]["grafana"]["volumes"]}
    assert provider["providers"][0]["options"]["path"] in mounted


@pytest.mark.integration
async def test_every_series_a_dashboard_reads_is_exported(worked_platform: Platform) -> None:
    exported: set[str] = set()
    for service in (
        worked_platform.procuratorate,
        worked_platform.aid_center,
        worked_platform.notifier,
    ):
        # The lag is read in the background; reading it now fills the lag series at once.
        lag = await service.client.get("/ops/lag", headers=operator(service.settings))
        assert lag.status_code == 200
        await service.client.get("/ready")
        page = (await service.client.get("/metrics")).text
        exported |= {
            line.split("{")[0].split(" ")[0] for line in page.splitlines() if line[:1] != "#"
        }
    missing = {
        (path.stem, title, name)
        for path in DASHBOARDS
        for title, expr in _queries(json.loads(path.read_text(encoding="utf-8")))
        for name in METRIC.findall(expr)
        if name not in exported and name not in FROM_PROMETHEUS
    }
    assert sorted(missing) == []
