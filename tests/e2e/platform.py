"""The three real services running in-process together on topics of their own."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from aid_center.service import create_app as aid_center_app
from aid_center.settings import AidCenterSettings
from notifier.service import create_app as notifier_app
from notifier.settings import NotifierSettings
from procuratorate.service import create_app as procuratorate_app
from procuratorate.settings import ProcuratorateSettings
from service_runtime.security.principal import Role
from tests.infrastructure import RunningService, bearer, operator, own_topics, run_service


@dataclass
class Platform:
    procuratorate: RunningService
    aid_center: RunningService
    notifier: RunningService


@contextlib.asynccontextmanager
async def running_platform(
    service_settings: Callable[..., Any], label: str, **overrides: Any
) -> AsyncIterator[Platform]:
    topics = own_topics(f"e2e-{label}")
    group = topics.pop("consumer_group")
    procuratorate = await service_settings(
        ProcuratorateSettings, "procuratorate", consumer_group=f"{group}-p", **topics
    )
    aid_center = await service_settings(
        AidCenterSettings, "aid_center", consumer_group=f"{group}-a", **topics
    )
    notifier = await service_settings(
        NotifierSettings, "notifier", consumer_group=f"{group}-n", **topics, **overrides
    )
    async with (
        run_service(procuratorate_app(procuratorate), procuratorate) as p,
        run_service(aid_center_app(aid_center), aid_center) as a,
        run_service(notifier_app(notifier), notifier) as n,
    ):
        # Each API is called as the people who use it: Hedong's procuratorate staff, the aid
        # center's staff, an operator for the notifier.
        p.client.headers.update(
            bearer(procuratorate, Role.PROCURATORATE_STAFF, agency="天津市河东区人民检察院")
        )
        a.client.headers.update(
            bearer(aid_center, Role.AID_CENTER_STAFF, agency="天津市河东区法律援助中心")
        )
        n.client.headers.update(operator(notifier))
        for service in (p, a, n):
            consumer = service.runtime.consumer
            assert consumer is not None
            await consumer.started.wait()
        yield Platform(procuratorate=p, aid_center=a, notifier=n)
