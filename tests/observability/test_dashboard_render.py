"""The dashboards' queries with data, drawn by a browser: as close to "the dashboards load" as
this machine comes.

Grafana cannot be installed here (README, Dashboards), so this is **not** Grafana: a real
Prometheus (Debian's package, a server of this test's own) scrapes the three services of the
observability fixture over HTTP every two seconds while they run a short workload (more suspects
through the whole path); then every panel query of every dashboard, Grafana's variables
expanded, is asked of Prometheus's API and must return data, and headless Chromium draws them on
Prometheus's own graph page, PNGs under ``build/dashboard-queries/``
(``<dashboard>.prometheus-graph-<page>.png``, ten queries a page: the panels' queries as
Prometheus plots them, without Grafana's titles and layout).
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import socket
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml

from tests.e2e.platform import Platform
from tests.e2e.test_workflow import _minor_declining_counsel
from tests.infrastructure import ROOT, eventually
from tests.observability.test_dashboards import DASHBOARDS, _panels

pytestmark = pytest.mark.integration

OUT = ROOT / "build" / "dashboard-queries"
PER_PAGE = 10
JOBS = ("procuratorate", "aid_center", "notifier")
# Grafana's variables, as the board shows them with "All" chosen; the rate window is short
# because the workload is.
VARIABLES = {"$__rate_interval": "30s", "$job": ".+", "$agency": ".+"}
# Queries that may be empty after a healthy workload, and why: no series is what "none" is.
MAY_BE_EMPTY = {
    # No request failed: the 5xx numerator has no series, so neither has the share.
    "5xx share of requests": "no 5xx",
    # Nothing is breached or warned in a run of minutes (the notifier exports the states its
    # clocks are in).
    "Breached and still open": "no clock breached",
    "Breached clocks per unit": "no clock breached",
    "Approaching (warned)": "no clock warned",
}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: deploy/local/install.sh installs it")
        pytest.skip(f"{name} is not installed (deploy/local/install.sh installs it)")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _expanded(expr: str) -> str:
    for name, value in VARIABLES.items():
        expr = expr.replace(name, value)
    assert "$" not in expr, expr
    return expr


def _panel_queries(path: Path) -> Iterator[tuple[str, str]]:
    board = json.loads(path.read_text(encoding="utf-8"))
    for panel in _panels(board["panels"]):
        for target in panel.get("targets", []):
            yield panel["title"], _expanded(target["expr"])


@asynccontextmanager
async def _served_over_http(platform: Platform) -> AsyncIterator[dict[str, str]]:
    """The running apps on real ports (their lifespan already runs: not again), job → address."""
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
    addresses = {}
    for job, service in zip(
        JOBS, (platform.procuratorate, platform.aid_center, platform.notifier), strict=True
    ):
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                service.app,
                host="127.0.0.1",
                port=port,
                lifespan="off",
                log_config=None,
                access_log=False,
            )
        )
        servers.append((server, asyncio.create_task(server.serve())))
        addresses[job] = f"127.0.0.1:{port}"
    try:
        for server, _ in servers:

            async def started(server: uvicorn.Server = server) -> bool:
                return server.started

            await eventually(started, what="the services to listen")
        yield addresses
    finally:
        for server, task in servers:
            server.should_exit = True
            await task


@asynccontextmanager
async def _prometheus(tmp: Path, targets: dict[str, str]) -> AsyncIterator[str]:
    """A Prometheus of the test's own (port, data folder) scraping ``targets`` every two seconds,
    with the alert rules loaded; its base URL."""
    port = _free_port()
    config = {
        # A scrape of a loaded machine may take over a second; a failed one marks the target's
        # series stale at once.
        "global": {"scrape_interval": "2s", "scrape_timeout": "2s", "evaluation_interval": "2s"},
        "rule_files": [str(ROOT / "deploy" / "observability" / "alerts.yml")],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [address]}]}
            for job, address in targets.items()
        ],
    }
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    log = tmp / "prometheus.log"
    command = [
        _tool("prometheus"),
        f"--config.file={tmp / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    # exec: the shell only redirects the log; terminate() then reaches Prometheus itself.
    process = await asyncio.create_subprocess_shell(
        f"exec {shlex.join(command)} >{shlex.quote(str(log))} 2>&1"
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as client:

            async def ready() -> bool:
                assert process.returncode is None, f"Prometheus exited: see {log}"
                try:
                    return (await client.get("/-/ready")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, what="Prometheus to be ready")
        yield base
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=30)


async def _query(
    client: httpx.AsyncClient, expr: str, at: float | None = None
) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"query": expr}
    if at is not None:
        params["time"] = at
    response = await client.get("/api/v1/query", params=params)
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()["data"]["result"]
    return result


async def _screenshot(chromium: str, base: str, queries: list[str], out: Path) -> None:
    """Prometheus's classic graph page with one graph per query, the last two minutes."""
    params: dict[str, str] = {}
    for index, expr in enumerate(queries):
        params |= {f"g{index}.expr": expr, f"g{index}.tab": "0", f"g{index}.range_input": "2m"}
    url = f"{base}/classic/graph?{urllib.parse.urlencode(params)}"
    # Not subprocess.run: the services and their HTTP servers share this event loop, and
    # Prometheus keeps scraping them while the browser draws.
    process = await asyncio.create_subprocess_exec(
        chromium,
        "--headless",
        "--no-sandbox",  # the tests run as root
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size=1200,{640 * len(queries) + 120}",
        # Virtual time: the page's scripts fetch and draw before the picture is taken.
        "--virtual-time-budget=15000",
        f"--screenshot={out}",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=240)
    assert process.returncode == 0, stderr.decode(errors="replace")[-2000:]


async def test_every_dashboard_query_has_data_and_is_drawn_headless(
    worked_platform: Platform, tmp_path: Path
) -> None:
    chromium = _tool("chromium")
    async with (
        _served_over_http(worked_platform) as targets,
        _prometheus(tmp_path, targets) as base,
        httpx.AsyncClient(base_url=base) as client,
    ):

        async def scraped_all() -> bool:
            up = await _query(client, "up == 1")
            return {series["metric"]["job"] for series in up} == set(JOBS)

        await eventually(scraped_all, what="Prometheus to scrape the three services")
        # A short real workload while Prometheus watches: three more suspects' whole path.
        procuratorate = worked_platform.procuratorate.client
        for index in range(3):
            await _minor_declining_counsel(
                procuratorate,
                decided_at=f"2026-03-03T11:0{index + 1}:00+08:00",
                materials=["起诉意见书"],
            )

        async def assigned_seen() -> bool:
            count = await _query(client, "sum(defense_notice_to_assignment_seconds_count)")
            return bool(count) and float(count[0]["value"][1]) >= 4

        await eventually(assigned_seen, timeout=60, what="the assignments in Prometheus")

        async def rates_seen() -> bool:
            # Two scrapes after the last assignment at least: every rate has its points.
            rates = await _query(client, "sum(rate(defense_events_handled_total[30s])) > 0")
            scrapes = await _query(client, "count_over_time(up{job='aid_center'}[30s]) > 5")
            return bool(rates and scrapes)

        await eventually(rates_seen, timeout=60, what="rates over the workload")

        # Every query at one moment when the last scrape of every service succeeded: a scrape
        # that timed out on the loaded machine leaves its series stale (absent), which is not
        # what a panel would show a moment later.
        at = 0.0

        async def all_scraped() -> bool:
            nonlocal at
            up = await _query(client, f"count(up{{job=~'{'|'.join(JOBS)}'}} == 1) == 3")
            if up:
                at = float(up[0]["value"][0])
            return bool(up)

        await eventually(all_scraped, what="a moment when every scrape succeeded")
        titles = {title for path in DASHBOARDS for title, _ in _panel_queries(path)}
        assert set(MAY_BE_EMPTY) <= titles, "an exception for a panel that is gone"
        empty: list[tuple[str, str, str]] = []
        OUT.mkdir(parents=True, exist_ok=True)
        for path in DASHBOARDS:
            queries = list(_panel_queries(path))
            for title, expr in queries:
                if not await _query(client, expr, at) and title not in MAY_BE_EMPTY:
                    empty.append((path.stem, title, expr))
            for old in OUT.glob(f"{path.stem}.prometheus-graph-*.png"):
                old.unlink()
            # Ten graphs a page: the classic page mixes up graphs numbered 10 and on.
            for page, start in enumerate(range(0, len(queries), PER_PAGE), start=1):
                out = OUT / f"{path.stem}.prometheus-graph-{page}.png"
                chunk = [expr for _, expr in queries[start : start + PER_PAGE]]
                await _screenshot(chromium, base, chunk, out)
                assert out.stat().st_size > 20_000 * len(chunk), f"{out} looks blank"
        assert empty == [], "\n".join(map(str, empty))
