"""The three services as real processes on the bench's own databases and topics."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
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


class RoundRobin(httpx.AsyncBaseTransport):
    """Each request to the next replica of a service, as a load balancer in front of them."""

    def __init__(self, ports: list[int], limits: httpx.Limits) -> None:
        self._next_port = itertools.cycle(ports)
        self._transport = httpx.AsyncHTTPTransport(limits=limits)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(port=next(self._next_port))
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self._transport.aclose()


@dataclass
class BenchPlatform:
    sandbox: Sandbox
    topics: dict[str, str]
    services: dict[str, ServiceProcess]
    """The first (often only) process of each service: its database and consumer group."""
    more_replicas: dict[str, list[ServiceProcess]] = field(default_factory=dict)
    """Further processes of a service (``--replicas``): the same database and consumer group."""

    @property
    def processes(self) -> dict[str, ServiceProcess]:
        """Every service process, named ``<service>`` and ``<service>#<n>`` from the second."""
        named = dict(self.services)
        for name, extra in self.more_replicas.items():
            named.update({f"{name}#{i}": process for i, process in enumerate(extra, start=2)})
        return named

    def client(self, name: str) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        replicas = [self.services[name], *self.more_replicas.get(name, [])]
        return httpx.AsyncClient(
            base_url=self.services[name].url,
            timeout=120.0,
            transport=RoundRobin([r.port for r in replicas], limits),
            headers={"Authorization": f"Bearer {issue_token(CALLERS[name])}"},
        )

    @property
    def workflow_topics(self) -> list[str]:
        return [
            self.topics[k] for k in ("topic_procuratorate", "topic_aid_center", "topic_notifier")
        ]

    async def stop(self) -> None:
        await asyncio.gather(*(process.stop() for process in self.processes.values()))


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
    sandbox: Sandbox,
    profile_dir: Path | None,
    settings: Mapping[str, str] | None = None,
    replicas: Mapping[str, int] | None = None,
) -> BenchPlatform:
    """``settings`` (unprefixed names, e.g. ``CONSUMER_MAX_POLL_INTERVAL_MS``) go to every
    service; ``replicas`` runs that many processes of a service (default one), each with its own
    port and replica id, all on the service's one database and in its one consumer group, as
    replicas run in a deployment."""
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
        # Started once the first has migrated its database (the others would wait on its lock).
        for name, count in (replicas or {}).items():
            first = services[name]
            platform.more_replicas[name] = [
                ServiceProcess(
                    name=name,
                    env={**first.env, "DEFENSE_REPLICA_ID": f"{name}-{n}"},
                    log_path=first.log_path.with_name(f"{name}-{n}.log"),
                    profile_path=(
                        first.profile_path.with_name(f"{name}-{n}.txt")
                        if first.profile_path
                        else None
                    ),
                )
                for n in range(2, count + 1)
            ]
        extra = [p for more in platform.more_replicas.values() for p in more]
        for process in extra:
            process.start()
        await asyncio.gather(*(process.wait_ready() for process in extra))
    except BaseException:
        await platform.stop()
        raise
    return platform
