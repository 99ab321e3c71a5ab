"""The three services as real processes on the bench's own databases and topics."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.infra import ENV_PREFIX, Sandbox, ServiceProcess, service_env
from service_runtime.security.principal import Principal, Role
from service_runtime.security.tokens import issue_token

SERVICES = ("procuratorate", "aid_center", "notifier")

# Who the bench's client is at each service (issue 7: every route wants a bearer token). The
# services run with the local token defaults, which ``issue_token`` signs with; the units are the
# workload's (bench/workload.py), as in the end-to-end test (tests/e2e/platform.py).
CALLERS = {
    "procuratorate": Principal(
        subject="bench", role=Role.PROCURATORATE_STAFF, agency="天津市河东区人民检察院"
    ),
    "aid_center": Principal(
        subject="bench", role=Role.AID_CENTER_STAFF, agency="天津市河东区法律援助中心"
    ),
    "notifier": Principal(subject="bench", role=Role.OPERATOR),
}


@dataclass
class BenchPlatform:
    sandbox: Sandbox
    topics: dict[str, str]
    services: dict[str, ServiceProcess]

    def client(self, name: str) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        return httpx.AsyncClient(
            base_url=self.services[name].url,
            timeout=120.0,
            limits=limits,
            headers={"Authorization": f"Bearer {issue_token(CALLERS[name])}"},
        )

    @property
    def workflow_topics(self) -> list[str]:
        return [
            self.topics[k] for k in ("topic_procuratorate", "topic_aid_center", "topic_notifier")
        ]

    async def stop(self) -> None:
        await asyncio.gather(*(service.stop() for service in self.services.values()))


def topic_names(sandbox: Sandbox) -> dict[str, str]:
    return {
        "topic_intake": sandbox.topic("intake.case-transfers"),
        "topic_procuratorate": sandbox.topic("procuratorate.events"),
        "topic_aid_center": sandbox.topic("aid-center.events"),
        "topic_notifier": sandbox.topic("notifier.events"),
    }


async def service(
    sandbox: Sandbox,
    name: str,
    topics: dict[str, str],
    *,
    label: str,
    profile_dir: Path | None,
    extra_env: dict[str, str] | None = None,
) -> ServiceProcess:
    env = service_env(
        name,
        database_url=await sandbox.database(label),
        topics=topics,
        group=sandbox.group(label),
        kafka=sandbox.endpoints.kafka,
    )
    env.update(extra_env or {})
    return ServiceProcess(
        name=name,
        env=env,
        log_path=sandbox.run_dir / f"{label}.log",
        profile_path=profile_dir / f"{label}.txt" if profile_dir else None,
    )


async def start_platform(
    sandbox: Sandbox, profile_dir: Path | None, settings: Mapping[str, str] | None = None
) -> BenchPlatform:
    """``settings`` (unprefixed names, e.g. ``CONSUMER_MAX_POLL_INTERVAL_MS``) go to every
    service."""
    topics = topic_names(sandbox)
    await sandbox.create_topics(sorted(sandbox.topics))
    sms = {"NOTIFIER_SMS_FILE_PATH": str(sandbox.run_dir / "sms" / "notifier-sms.jsonl")}
    services: dict[str, ServiceProcess] = {}
    for name in SERVICES:
        extra = {f"{ENV_PREFIX[name]}_{key}": value for key, value in (settings or {}).items()}
        if name == "notifier":
            extra.update(sms)
        services[name] = await service(
            sandbox, name, topics, label=name, profile_dir=profile_dir, extra_env=extra
        )
    for process in services.values():
        process.start()
    platform = BenchPlatform(sandbox=sandbox, topics=topics, services=services)
    try:
        await asyncio.gather(*(process.wait_ready() for process in services.values()))
    except BaseException:
        await platform.stop()
        raise
    return platform
