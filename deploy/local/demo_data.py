"""Loads the demo data set into a running system (``./devctl up`` calls it).

The data file (default ``deploy/demo/tianjin.json``; another city is another file) gives the
legal aid center's roster and the cases. Cases arrive the way real ones do: as
``CaseTransferred`` events that a transferring agency's system publishes on the intake topic.
The procuratorate's staff then record rights notification and the suspects' decisions over its
REST API, and the rest of the workflow runs by itself. Ids are derived from the data, so
loading twice changes nothing.

    .venv/bin/python deploy/local/demo_data.py [path/to/data.json]
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from aid_center.settings import AidCenterSettings
from defense_messaging.kafka_client import KafkaConnection
from defense_schemas import Envelope
from defense_schemas.events.intake import CaseTransferred
from legal_calendar import LEGAL_TIMEZONE
from procuratorate.settings import ProcuratorateSettings
from service_runtime.security.principal import Principal, Role
from service_runtime.security.tokens import issue_token

ROOT = Path(__file__).resolve().parents[2]
DEMO_NAMESPACE = uuid.UUID("6f1d1a52-93f3-4c1a-9d7e-0d5c3b1e9a10")
AID_CENTER = "天津市河东区法律援助中心"


@dataclass(frozen=True)
class Target:
    """The instance the data goes into, read from the services' own settings (the same
    ``PROCURATORATE_*`` / ``AID_CENTER_*`` environment), so a system moved to other ports
    never gets its demo data written into the one on the default ports."""

    procuratorate: str
    aid_center: str
    kafka: KafkaConnection
    intake_topic: str
    sign: Callable[[Principal], str] = issue_token
    """Signs the demo users' tokens: with the local default key, which the services started by
    deploy/local accept."""

    def as_user(self, role: Role, agency: str) -> dict[str, str]:
        token = self.sign(Principal(subject=f"demo-{role.value}", role=role, agency=agency))
        return {"Authorization": f"Bearer {token}"}

    def aid_center_staff(self) -> dict[str, str]:
        return self.as_user(Role.AID_CENTER_STAFF, AID_CENTER)

    @classmethod
    def from_settings(
        cls, procuratorate: ProcuratorateSettings, aid_center: AidCenterSettings
    ) -> Target:
        return cls(
            procuratorate=_base_url(procuratorate.http_host, procuratorate.http_port),
            aid_center=_base_url(aid_center.http_host, aid_center.http_port),
            kafka=procuratorate.kafka,
            intake_topic=procuratorate.topic_intake,
        )


def _base_url(host: str, port: int) -> str:
    # A server bound to every interface is reached on the loopback one.
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '::', '') else host}:{port}"


def _id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, "/".join(parts))


async def load_roster(data: dict[str, Any], target: Target, client: httpx.AsyncClient) -> None:
    staff = target.aid_center_staff()
    existing = {
        firm["name"]: firm["firm_id"]
        for firm in await _every(client, f"{target.aid_center}/firms", headers=staff)
    }
    for firm in data["firms"]:
        if firm["name"] not in existing:
            existing[firm["name"]] = _ok(
                await client.post(f"{target.aid_center}/firms", json=firm, headers=staff)
            )["firm_id"]
    licences = {
        lawyer["license_number"]
        for lawyer in await _every(client, f"{target.aid_center}/lawyers", headers=staff)
    }
    for lawyer in data["lawyers"]:
        if lawyer["license_number"] in licences:
            continue
        body = {key: value for key, value in lawyer.items() if key != "firm"}
        _ok(
            await client.post(
                f"{target.aid_center}/lawyers",
                json={**body, "firm_id": existing[lawyer["firm"]]},
                headers=staff,
            )
        )
    print(f"demo: roster has {len(data['firms'])} firms and {len(data['lawyers'])} lawyers")


async def load_duty_rota(
    data: dict[str, Any], today: date, target: Target, client: httpx.AsyncClient
) -> None:
    """Duty lawyers' work stations (法律援助工作站) and their rota from today (Art. 15)."""
    staff = target.aid_center_staff()
    lawyers = {
        lawyer["license_number"]: lawyer["lawyer_id"]
        for lawyer in await _every(client, f"{target.aid_center}/lawyers", headers=staff)
    }
    stations = {
        station["name"]: station["station_id"]
        for station in await _every(client, f"{target.aid_center}/work-stations", headers=staff)
    }
    rota = await _every(
        client,
        f"{target.aid_center}/duty-rota",
        params={"starts_on": today.isoformat(), "ends_on": today.isoformat()},
        headers=staff,
    )
    for station in data.get("work_stations", []):
        body = {key: value for key, value in station.items() if key != "duty"}
        if station["name"] not in stations:
            stations[station["name"]] = _ok(
                await client.post(f"{target.aid_center}/work-stations", json=body, headers=staff)
            )["station_id"]
        station_id = stations[station["name"]]
        if any(shift["station_id"] == station_id for shift in rota):
            continue  # the rota was loaded before
        for duty in station["duty"]:
            _ok(
                await client.post(
                    f"{target.aid_center}/work-stations/{station_id}/shifts",
                    json={
                        "lawyer_id": lawyers[duty["lawyer"]],
                        "starts_on": today.isoformat(),
                        "ends_on": (today + timedelta(days=duty["days"] - 1)).isoformat(),
                        "mode": duty["mode"],
                    },
                    headers=staff,
                )
            )
    print(f"demo: {len(data.get('work_stations', []))} duty-lawyer work station(s) on the rota")


def transfer(case: dict[str, Any], transferred_at: datetime) -> tuple[uuid.UUID, CaseTransferred]:
    case_id = _id("case", case["transfer_number"])
    suspects = [
        {
            "suspect_id": str(_id("suspect", case["transfer_number"], suspect["name"])),
            "disabilities": [],
            "limited_capacity": False,
            **{key: value for key, value in suspect.items() if key != "decision"},
        }
        for suspect in case["suspects"]
    ]
    fields = {
        key: case[key]
        for key in (
            "transfer_number",
            "transferring_agency",
            "transferring_agency_kind",
            "procuratorate_unit",
            "district",
            "charges",
            "major_and_complex",
            "social_impact",
        )
    }
    event = CaseTransferred.model_validate(
        {
            **fields,
            "suspects": suspects,
            "transfer_kind": "initial",
            "transferred_at": transferred_at,
        }
    )
    return case_id, event


async def publish_transfers(data: dict[str, Any], now: datetime, target: Target) -> list[uuid.UUID]:
    producer = AIOKafkaProducer(**target.kafka.options(), enable_idempotence=True)
    await producer.start()
    case_ids = []
    try:
        for case in data["cases"]:
            case_id, event = transfer(case, now - timedelta(minutes=10))
            envelope = Envelope.for_event(event, case_id=case_id, producer=case["agency_system"])
            await producer.send_and_wait(target.intake_topic, envelope.to_bytes(), key=envelope.key)
            case_ids.append(case_id)
    finally:
        await producer.stop()
    print(f"demo: {len(case_ids)} case transfers published on {target.intake_topic}")
    return case_ids


async def record_decisions(
    data: dict[str, Any],
    case_ids: list[uuid.UUID],
    target: Target,
    client: httpx.AsyncClient,
) -> None:
    for case, case_id in zip(data["cases"], case_ids, strict=True):
        staff = target.as_user(Role.PROCURATORATE_STAFF, case["procuratorate_unit"])  # its unit
        view = await _wait_for_case(client, target, case_id, staff)
        for suspect in case["suspects"]:
            if suspect.get("decision") is None:
                continue  # left open on purpose: the ledger shows the gap
            suspect_id = _id("suspect", case["transfer_number"], suspect["name"])
            url = f"{target.procuratorate}/cases/{case_id}/suspects/{suspect_id}"
            informed = [{"role": "suspect", "name": suspect["name"]}]
            if suspect.get("guardian"):
                informed.append({"role": "guardian", "name": suspect["guardian"]["name"]})
            current = next(s for s in view["suspects"] if s["suspect_id"] == str(suspect_id))
            if current.get("rights_notified_at") is None:
                _ok(
                    await client.post(
                        f"{url}/rights-notification",
                        # No time given: now, which lies after the case's receipt (a time staff
                        # record must lie between the receipt and now).
                        json={"informed": informed},
                        headers=staff,
                    )
                )
            if current.get("decision") is None:
                _ok(
                    await client.post(
                        f"{url}/defense-decision",
                        json={
                            "choice": suspect["decision"],
                            "materials": ["起诉意见书"],
                            "case_handler": case["prosecutor"],
                        },
                        headers=staff,
                    )
                )
        print(f"demo: {case['transfer_number']}: {case['label']}")


async def _wait_for_case(
    client: httpx.AsyncClient, target: Target, case_id: uuid.UUID, headers: dict[str, str]
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while loop.time() < deadline:
        response = await client.get(f"{target.procuratorate}/cases/{case_id}", headers=headers)
        if response.status_code == 200:
            return dict(response.json())
        await asyncio.sleep(0.3)
    raise SystemExit(f"demo: case {case_id} never reached the procuratorate")


async def _every(client: httpx.AsyncClient, url: str, **options: Any) -> list[Any]:
    """Every item of a list, page after page (each list answers ``items`` and
    ``next_cursor``)."""
    params = dict(options.pop("params", {}))
    items: list[Any] = []
    while True:
        page = _ok(await client.get(url, params=params, **options))
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]


def _ok(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise SystemExit(
            f"demo: {response.request.method} {response.request.url}: "
            f"{response.status_code} {response.text}"
        )
    return response.json()


async def load(
    data: dict[str, Any], now: datetime, target: Target, client: httpx.AsyncClient
) -> list[uuid.UUID]:
    """The whole data set into ``target``; returns the cases' ids."""
    await load_roster(data, target, client)
    await load_duty_rota(data, now.date(), target, client)
    case_ids = await publish_transfers(data, now, target)
    await record_decisions(data, case_ids, target, client)
    return case_ids


def read_data(path: Path | None = None) -> dict[str, Any]:
    path = path or ROOT / "deploy" / "demo" / "tianjin.json"
    return dict(json.loads(path.read_text(encoding="utf-8")))


async def _main(path: Path | None) -> None:
    now = datetime.now(LEGAL_TIMEZONE).replace(microsecond=0)
    target = Target.from_settings(ProcuratorateSettings(), AidCenterSettings())
    async with httpx.AsyncClient(timeout=10) as client:
        await load(read_data(path), now, target, client)


def main() -> None:
    asyncio.run(_main(Path(sys.argv[1]) if len(sys.argv) > 1 else None))


if __name__ == "__main__":
    main()
